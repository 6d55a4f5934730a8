"""``r1data status DIR``: where a run stands, read from its folder (and ``squeue`` for Slurm jobs).

Per stage: tasks done / total (datatrove's completion markers), tasks started and failed (task and
Slurm logs), the records the finished tasks read and handed on (their stats), and the elapsed time
(first task start → last completion, or → now while it runs). It reads files only, so it works
while a run goes on, after it ended, and for local, Ray and Slurm runs alike.
"""

from __future__ import annotations

import json
import os
import time

from r1data.core.funnel import merge_stage_stats
from r1data.pipelines.recipe import Recipe

_FAILURE_MARKS = (
    "Traceback (most recent call last)",
    "| ERROR    |",
    "CANCELLED AT",
    "Exited with exit code",
)


def _files(folder: str) -> list[str]:
    return [os.path.join(folder, n) for n in os.listdir(folder)] if os.path.isdir(folder) else []


def _rank(name: str) -> int | None:
    digits = "".join(ch for ch in os.path.basename(name).split(".")[0] if ch.isdigit())
    return int(digits) if digits else None


def _failed(path: str) -> bool:
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    return any(mark in text for mark in _FAILURE_MARKS)


def stage_status(logging_dir: str, tasks: int, now: float) -> dict:
    done_files = _files(os.path.join(logging_dir, "completions"))
    done = {_rank(p) for p in done_files}
    task_logs = _files(os.path.join(logging_dir, "logs"))
    slurm_logs = _files(os.path.join(logging_dir, "slurm_logs"))
    started = {_rank(p) for p in task_logs} | done
    failed = sorted(r for r in {_rank(p) for p in task_logs if _failed(p)} if r is not None and r not in done)
    slurm_failed = [os.path.basename(p) for p in slurm_logs if _failed(p)]
    stats = merge_stage_stats(logging_dir, ranks=done) if done else {}
    records_in = records_out = 0
    for name, counters in stats.items():
        if name.startswith("📖") or "reader" in name.lower():
            records_in += int(counters.get("documents", 0))
        if name.startswith("💽"):
            records_out += int(counters.get("total", 0))
    times = [os.path.getmtime(p) for p in (*task_logs, *slurm_logs, *done_files)]
    starts = [os.path.getctime(p) for p in (*task_logs, *slurm_logs)] or times
    complete = len(done) >= tasks
    end = max((os.path.getmtime(p) for p in done_files), default=now) if complete else now
    return {
        "tasks": tasks,
        "done": len(done),
        "started": len(started),
        "failed_tasks": failed,
        "failed_slurm_logs": slurm_failed,
        "records_in": records_in,
        "records_out": records_out,
        "elapsed_s": round(end - min(starts), 1) if starts else None,
        "state": "done" if complete else ("failed" if failed else ("running" if started else "pending")),
    }


def run_status(output_dir: str) -> dict:
    from r1data.pipelines.executors import squeue
    from r1data.pipelines.slurm import slurm_job_names
    from r1data.pipelines.stages import stage_jobs

    output_dir = os.path.abspath(output_dir)
    if not os.path.isdir(output_dir):
        raise FileNotFoundError(f"no such run folder: {output_dir} (give the --output of an `r1data run`)")
    path = os.path.join(output_dir, "recipe.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{output_dir} is not an r1data run folder (no recipe.json)")
    with open(path) as f:
        recipe = Recipe.model_validate(json.load(f)["recipe"])
    now = time.time()
    stages = []
    for index, stage in enumerate(recipe.stages):
        spec = recipe.stage_executor(index)
        parts = stage_jobs(recipe, index, output_dir)
        entry = {"name": stage.name, "executor": spec.type, **stage_status(parts[-1][0], parts[-1][1], now)}
        if len(parts) > 1:  # near_dedup: datatrove's MinHash jobs before the filter
            entry["jobs"] = [
                {"logs": os.path.relpath(d, output_dir), **stage_status(d, t, now)} for d, t in parts[:-1]
            ]
        stages.append(entry)
    finished = os.path.exists(os.path.join(output_dir, "stats.json")) and all(
        s["state"] == "done" for s in stages
    )
    status = {"output_dir": output_dir, "recipe": recipe.name, "finished": finished, "stages": stages}
    slurm_names = slurm_job_names(recipe, output_dir)
    if slurm_names:
        status["slurm_jobs"] = squeue(slurm_names)
    if finished:
        with open(os.path.join(output_dir, "stats.json")) as f:
            status["funnel"] = json.load(f)["funnel"]
    return status


def format_status(status: dict) -> str:
    lines = [
        f"run '{status['recipe']}' in {status['output_dir']}: "
        + ("finished" if status["finished"] else "not finished"),
        "",
        f"{'stage':<16}{'executor':<10}{'tasks done':>12}{'started':>9}{'failed':>8}{'records in':>12}"
        f"{'out':>9}{'elapsed':>10}  state",
    ]
    for s in status["stages"]:
        elapsed = "–" if s["elapsed_s"] is None else f"{s['elapsed_s']:.0f} s"
        lines.append(
            f"{s['name']:<16}{s['executor']:<10}{s['done']:>6}/{s['tasks']:<5}{s['started']:>9}"
            f"{len(s['failed_tasks']):>8}{s['records_in']:>12}{s['records_out']:>9}{elapsed:>10}  {s['state']}"
        )
        if s["failed_tasks"]:
            lines.append(f"{'':16}failed tasks {s['failed_tasks']}: see logs/{s['name']}/logs/")
        if s["failed_slurm_logs"]:
            lines.append(f"{'':16}Slurm logs reporting errors: {', '.join(s['failed_slurm_logs'][:5])}")
    jobs = status.get("slurm_jobs")
    if jobs:
        lines += ["", "Slurm jobs queued or running:"]
        lines += [f"  {j['job']:<14}{j['name']:<44}{j['state']:<12}{j['reason']}" for j in jobs]
    elif jobs == [] and not status["finished"]:
        lines += ["", "no Slurm job of this run is queued or running: relaunch `r1data run` to finish it"]
    if status.get("funnel"):
        f = status["funnel"]
        lines += [
            "",
            f"records in {f['records']['in']}, completions kept {f['completions']['kept']} (stats.json)",
        ]
    return "\n".join(lines)
