"""Runs on Slurm: the job names of a run, the finish as a dependent job, waiting for the jobs (and
noticing when they can no longer finish), and refusing a relaunch while the run's jobs are queued."""

from __future__ import annotations

import os
from dataclasses import dataclass

from datatrove.pipeline.base import PipelineStep

from r1data.pipelines.executors import squeue
from r1data.pipelines.finish import finish_run
from r1data.pipelines.recipe import Recipe
from r1data.pipelines.stages import stage_jobs


def _job_name(recipe: Recipe, output_dir: str, part: str) -> str:
    """Slurm job names of one run: recipe, output folder (hashed: two runs of a recipe differ) and part."""
    import hashlib

    return f"r1data-{recipe.name}-{part}-{hashlib.sha256(output_dir.encode()).hexdigest()[:6]}"


def _stage_job_name(recipe: Recipe, output_dir: str, index: int, part: int) -> str:
    """The job name of datatrove job ``part`` of stage ``index`` (near_dedup stages have several)."""
    return _job_name(recipe, output_dir, f"{recipe.stages[index].name}{part or ''}")


def slurm_job_names(recipe: Recipe, output_dir: str) -> list[str]:
    """Every Slurm job name a run of ``recipe`` into ``output_dir`` uses (empty: no Slurm stage)."""
    names = [
        _stage_job_name(recipe, output_dir, index, part)
        for index in range(len(recipe.stages))
        if recipe.stage_executor(index).type == "slurm"
        for part in range(len(stage_jobs(recipe, index, output_dir)))
    ]
    return [*names, _job_name(recipe, output_dir, "finish")] if names else []


@dataclass
class Submitted:
    """A run handed to Slurm (``detach``): the job ids, and where its result will be."""

    output_dir: str
    jobs: list[str]


class FinishRun(PipelineStep):
    """The last job of a run on Slurm: :func:`finish_run` as a one-task pipeline that depends on the
    last stage's jobs."""

    name = "🏁 finish"
    type = "🧠 - R1DATA"

    def __init__(self, recipe: Recipe, output_dir: str):
        super().__init__()
        self.recipe_json, self.output_dir = recipe.model_dump_json(), output_dir

    def run(self, data, rank: int = 0, world_size: int = 1):
        finish_run(Recipe.model_validate_json(self.recipe_json), self.output_dir)
        yield from ()


def _refuse_while_queued(recipe: Recipe, output_dir: str) -> None:
    """A relaunch while jobs of the same run are queued or running would submit the missing tasks a
    second time (and rewrite the files those jobs read when they start): refused."""
    names = slurm_job_names(recipe, output_dir)
    jobs = squeue(names) if names else None
    if jobs:
        listed = ", ".join(f"{j['job']} ({j['state']})" for j in jobs[:5])
        raise RuntimeError(
            f"Slurm jobs of this run are still queued or running: {listed}; follow them with "
            f"`r1data status {output_dir}`, or `scancel` them before relaunching"
        )


def wait_slurm(recipe: Recipe, output_dir: str, executors: list) -> None:
    """Wait until every task of the submitted Slurm jobs has finished; raise as soon as one can no longer
    finish, cancelling the jobs that would wait for it forever: Slurm says a dependency can never be
    satisfied (a task failed or was cancelled), or none of the run's jobs is running or able to run
    for a minute while tasks are missing (they ended without finishing)."""
    import subprocess
    import time

    poll = min(recipe.stage_executor(i).poll_s for i in range(len(recipe.stages)))
    names = sorted({e.job_name for e in executors})
    idle_since = None
    while True:
        if all(not e.get_incomplete_ranks(skip_completed=True) for e in executors):
            return
        answer = squeue(names)
        jobs = answer or []
        # (tasks still running are let finish: their work is kept for the relaunch)
        never = any("DependencyNeverSatisfied" in j["reason"] for j in jobs) and not any(
            j["state"] in ("RUNNING", "CONFIGURING", "COMPLETING") for j in jobs
        )
        # waiting on a dependency is not progress by itself: some job must run or be able to start
        active = any(j["state"] != "PENDING" or not j["reason"].startswith("Dependency") for j in jobs)
        idle_since = None if active or answer is None else (idle_since or time.monotonic())
        if never or (idle_since is not None and time.monotonic() - idle_since > max(60.0, 10 * poll)):
            if all(not e.get_incomplete_ranks(skip_completed=True) for e in executors):
                return
            if jobs:
                subprocess.run(
                    ["scancel", *(j["job"].split("_")[0] for j in jobs)], capture_output=True, timeout=60
                )
            failed = [
                f"{os.path.relpath(e.logging_dir.path, output_dir)} tasks {e.get_incomplete_ranks(skip_completed=True)}"
                for e in executors
                if e.get_incomplete_ranks(skip_completed=True)
            ]
            raise RuntimeError(
                "Slurm jobs ended with tasks unfinished: "
                + "; ".join(failed)
                + f" (slurm logs in {output_dir}/logs/*/slurm_logs); relaunch `r1data run` to redo only those"
            )
        time.sleep(poll)
