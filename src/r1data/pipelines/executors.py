"""Executor choice: one factory per ``executor.type``, so Slurm and Ray slot in as one more entry.

Every executor must run the stage's tasks, write per-task stats under ``logging_dir/stats/`` and
completion markers under ``logging_dir/completions/`` (datatrove's executors all do), and return when
the stage is finished: the runner chains stages and finalizes the output after the last one.
"""

from __future__ import annotations

from collections.abc import Callable

from datatrove.executor.base import PipelineExecutor

from r1data.pipelines.recipe import ExecutorSpec


def _local(spec: ExecutorSpec, pipeline: list, logging_dir: str, tasks: int) -> PipelineExecutor:
    from datatrove.executor.local import LocalPipelineExecutor

    return LocalPipelineExecutor(
        pipeline,
        tasks=tasks,
        workers=min(spec.workers, tasks),
        logging_dir=logging_dir,
        skip_completed=True,
        start_method="fork",
    )


EXECUTORS: dict[str, Callable[..., PipelineExecutor]] = {"local": _local}


def make_executor(spec: ExecutorSpec, pipeline: list, logging_dir: str, tasks: int | None = None):
    return EXECUTORS[spec.type](spec, pipeline, logging_dir, tasks or spec.tasks)
