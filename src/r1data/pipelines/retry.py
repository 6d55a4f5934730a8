"""Ask again what failed: a relaunch of a recipe redoes the generation tasks that dropped prompts
because a request failed for good (the teacher was down), so that exactly those requests are sent
again — the request cache answers every other — and what now succeeds is published.

A generation task whose stats count ``records_dropped_generation_failed_<reason>`` loses its completion
marker; every stage after it is redone whole (its input changed), and so is the last stage when the
failure is in it (its shards are renamed together); the published data is removed, to be written again.
``r1data run --keep-failures`` skips this and keeps the earlier failures.
"""

from __future__ import annotations

import glob
import json
import os
import shutil

from loguru import logger

from r1data.core import counters as C

FAILED_GENERATION = C.named(C.RECORDS_DROPPED, "generation_failed")


def failed_generation_ranks(logging_dir: str) -> list[int]:
    """Tasks of a stage (by rank) that dropped prompts because a generation request failed for good."""
    ranks = []
    for path in sorted(glob.glob(os.path.join(logging_dir, "stats", "*.json"))):
        rank = os.path.basename(path).split(".")[0]
        if not os.path.exists(os.path.join(logging_dir, "completions", rank)):
            continue  # an unfinished task (its stats may be cut short by a full disk): redone anyway
        with open(path) as f:
            steps = json.load(f)
        if any(
            key.startswith(FAILED_GENERATION) for step in steps for key in (step.get("stats") or {}) if key
        ):
            ranks.append(int(rank))
    return ranks


def redo_failed_generation(stage_names: list[str], output_dir: str) -> int:
    """Mark the failed generation tasks of the first stage that has any, and everything after them, as
    not done; returns how many prompts will be asked again (0: nothing to redo)."""
    for index, name in enumerate(stage_names):
        logs = os.path.join(output_dir, "logs", name)
        ranks = failed_generation_ranks(logs)
        if not ranks:
            continue
        prompts = _failed_prompts(logs, ranks)
        last = index == len(stage_names) - 1
        markers = os.path.join(logs, "completions")
        for rank in ranks if not last else _all_ranks(markers):
            _remove(os.path.join(markers, f"{rank:05d}"))
        for later in stage_names[index + 1 :]:
            for path in (("logs", later), ("work", later), ("work", f"_{later}_minhash")):
                _remove(os.path.join(output_dir, *path))
        for path in (("data",), ("work", "_profiles")):
            _remove(os.path.join(output_dir, *path))
        logger.warning(
            f"stage '{name}': {prompts} prompt(s) dropped earlier because a generation request failed "
            f"for good are asked again (task(s) {ranks}; the request cache answers the rest); "
            "--keep-failures keeps them dropped"
        )
        return prompts
    return 0


def _failed_prompts(logging_dir: str, ranks: list[int]) -> int:
    total = 0
    for rank in ranks:
        with open(os.path.join(logging_dir, "stats", f"{rank:05d}.json")) as f:
            for step in json.load(f):
                for key, value in (step.get("stats") or {}).items():
                    if key.startswith(FAILED_GENERATION):
                        total += value.get("total", 0) if isinstance(value, dict) else value
    return int(total)


def _all_ranks(markers: str) -> list[int]:
    return [int(n) for n in os.listdir(markers) if n.isdigit()] if os.path.isdir(markers) else []


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
