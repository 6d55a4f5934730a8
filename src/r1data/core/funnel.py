"""Merge per-task stats of every stage and build the funnel: where each record and completion went.

Two equations must hold, and :func:`build_funnel` raises if they do not (that would be a bug):

* records:     ``in = ok + quarantined`` (records added by a step, e.g. self-cognition, are ``added``)
* completions: ``in (of ok records, plus generated ones) = kept rows + dropped, by reason``
"""

from __future__ import annotations

import glob
import json
import os
from collections import Counter

from r1data.core import counters as C


class FunnelError(RuntimeError):
    pass


def _total(value) -> float:
    # datatrove writes a counter as a bare number, or as {"total": ..., "mean": ...} when it varies
    return value.get("total", 0) if isinstance(value, dict) else value


def merge_stage_stats(logging_dir: str, ranks: set[int] | None = None) -> dict[str, dict[str, float]]:
    """Sum the per-task stats files of one stage → ``{step name: {counter: total}}``.

    Reads ``stats/<rank>.json`` rather than the executor's stats.json, which only covers the tasks
    of the last launch (a relaunch that skipped finished tasks would undercount). ``ranks``: only
    these tasks' files — a live run's reader (``r1data status``) passes the finished ones, whose files
    datatrove wrote whole before marking them done (a running task's may be half-written)."""
    out: dict[str, dict[str, float]] = {}
    for path in sorted(glob.glob(os.path.join(logging_dir, "stats", "*.json"))):
        if ranks is not None and _rank_of(path) not in ranks:
            continue
        with open(path) as f:
            steps = json.load(f)
        for step in steps:
            counters = out.setdefault(step["name"], {"time_s": 0.0})
            for label, value in step.get("stats", {}).items():
                counters[label] = counters.get(label, 0) + _total(value)
            counters["time_s"] = round(counters["time_s"] + _total(step.get("time_stats") or 0), 3)
    return out


def _rank_of(path: str) -> int | None:
    stem = os.path.basename(path).split(".")[0]
    return int(stem) if stem.isdigit() else None


def sum_counters(stages: dict[str, dict[str, dict[str, float]]]) -> Counter:
    """Every counter summed over the steps of ``{stage: {step: {counter: value}}}`` (times left out)."""
    total: Counter = Counter()
    for steps in stages.values():
        for counters in steps.values():
            total.update({k: v for k, v in counters.items() if k != "time_s"})
    return total


def build_funnel(stages: dict[str, dict[str, dict[str, float]]], first_stage: str, kept_rows: int) -> dict:
    first = sum_counters({first_stage: stages[first_stage]})
    every = sum_counters(stages)
    quarantined = C.by_reason(first, C.QUARANTINED)
    dropped = C.by_reason(every, C.COMPLETIONS_DROPPED)
    records_dropped = C.by_reason(every, C.RECORDS_DROPPED)
    funnel = {
        "records": {
            "in": int(first["records_in"]),
            "ok": int(first["records_ok"]),
            "quarantined": int(first["quarantined"]),
            "quarantined_by_reason": dict(sorted(quarantined.items())),
            "dropped_by_reason": dict(sorted(records_dropped.items())),
            "added": int(every["records_added"]),
            "selected": int(every["records_selected"]),
        },
        "completions": {
            # read from the input, plus those a generation step added
            "in": int(first["completions_in"]) + int(every["completions_generated"]),
            "kept": kept_rows,
            "dropped": int(every["completions_dropped"]),
            "dropped_by_reason": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
        },
    }
    problems = funnel_problems(funnel)
    if problems:
        raise FunnelError("counts do not add up: " + "; ".join(problems) + f" ({funnel})")
    return funnel


def funnel_problems(funnel: dict) -> list[str]:
    """Where a funnel (stats.json's) breaks its equations — records in = ok + quarantined, completions
    in = kept + dropped, each by-reason table summing to its count; empty when it adds up."""
    rec, comp = funnel.get("records") or {}, funnel.get("completions") or {}
    problems = []
    if rec.get("in") != rec.get("ok", 0) + rec.get("quarantined", 0):
        problems.append(
            f"records in {rec.get('in')} != ok {rec.get('ok')} + quarantined {rec.get('quarantined')}"
        )
    if sum((rec.get("quarantined_by_reason") or {}).values()) != rec.get("quarantined", 0):
        problems.append("quarantined records by reason do not sum to the quarantined count")
    if comp.get("in") != comp.get("kept", 0) + comp.get("dropped", 0):
        problems.append(
            f"completions in {comp.get('in')} != kept {comp.get('kept')} + dropped {comp.get('dropped')}"
        )
    if sum((comp.get("dropped_by_reason") or {}).values()) != comp.get("dropped", 0):
        problems.append("dropped completions by reason do not sum to the dropped count")
    return problems


def format_funnel(funnel: dict) -> str:
    rec, comp = funnel["records"], funnel["completions"]
    lines = [
        f"records      in {rec['in']:>8} → ok {rec['ok']}, quarantined {rec['quarantined']}"
        + (
            f" ({', '.join(f'{k}: {v}' for k, v in rec['quarantined_by_reason'].items())})"
            if rec["quarantined"]
            else ""
        ),
        f"completions  in {comp['in']:>8} → kept {comp['kept']}, dropped {comp['dropped']}",
    ]
    if rec.get("added"):
        lines.insert(1, f"records added {rec['added']:>7} (by steps such as self_cognition)")
    lines += [f"    dropped {reason:<32} {n:>8}" for reason, n in comp["dropped_by_reason"].items()]
    if rec["dropped_by_reason"]:
        lines.append(
            "prompts dropped: " + ", ".join(f"{k}: {v}" for k, v in rec["dropped_by_reason"].items())
        )
    return "\n".join(lines)
