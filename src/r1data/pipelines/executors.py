"""Executor choice: one factory per ``executor.type`` — datatrove's Local, Ray and Slurm executors.

Every executor runs the stage's tasks, writes per-task stats under ``logging_dir/stats/`` and completion
markers under ``logging_dir/completions/`` (datatrove's executors all do). Local and Ray return when the
stage is finished; Slurm returns once the stage's job array is submitted (``depends=`` chains it after
the previous stage's), and the runner waits on the completion markers.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable

from datatrove.executor.base import PipelineExecutor
from datatrove.executor.slurm import SlurmPipelineExecutor
from loguru import logger

from r1data.pipelines.recipe import ExecutorSpec


def _local(spec: ExecutorSpec, pipeline: list, logging_dir: str, tasks: int, **_) -> PipelineExecutor:
    from datatrove.executor.local import LocalPipelineExecutor

    return LocalPipelineExecutor(
        pipeline,
        tasks=tasks,
        workers=min(spec.workers or 1, tasks),
        logging_dir=logging_dir,
        skip_completed=True,
        start_method="fork",
    )


_RAY_STARTED = False


def ensure_ray(address: str | None) -> None:
    """Connect to the Ray cluster at ``address``, or start one on this machine (loopback, no
    dashboard, no usage statistics); a no-op when this process is connected already."""
    global _RAY_STARTED
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("executor type 'ray' needs ray: pip install 'r1data[ray]'") from exc
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False)
        _RAY_STARTED = True
    logger.info(f"Ray: {ray.cluster_resources()}")


def shutdown_ray() -> None:
    """Stop the Ray this process started (never a cluster it only connected to)."""
    global _RAY_STARTED
    if _RAY_STARTED:
        import ray

        ray.shutdown()
        _RAY_STARTED = False


def _ray(spec: ExecutorSpec, pipeline: list, logging_dir: str, tasks: int, **_) -> PipelineExecutor:
    from datatrove.executor.ray import RayPipelineExecutor

    ensure_ray(spec.address)
    return RayPipelineExecutor(
        pipeline,
        tasks=tasks,
        workers=spec.workers or -1,
        logging_dir=logging_dir,
        skip_completed=True,
        cpus_per_task=spec.cpus_per_task,
        mem_per_cpu_gb=spec.mem_per_cpu_gb,
        gpus_per_task=spec.gpus,
        tasks_per_job=spec.tasks_per_job,
    )


def cluster_max_array_size() -> int | None:
    """The cluster's ``MaxArraySize`` (array indices run 0…MaxArraySize-1), or None if unknown."""
    try:
        out = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "MaxArraySize" and value.strip().isdigit():
            return int(value.strip())
    return None


def squeue(names: list[str]) -> list[dict] | None:
    """The queued and running Slurm jobs with these names, each ``{job, name, state, reason}`` (array
    elements as ``<id>_<index>``); None when squeue cannot answer."""
    try:
        out = subprocess.run(["squeue", "-h", "-o", "%i|%j|%T|%r", "-n", ",".join(names)],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    fields = ("job", "name", "state", "reason")
    return [
        dict(zip(fields, line.split("|"), strict=True))
        for line in out.stdout.splitlines()
        if line.count("|") == 3
    ]


def _default_venv() -> str | None:
    activate = os.path.join(sys.prefix, "bin", "activate")
    return activate if sys.prefix != sys.base_prefix and os.path.exists(activate) else None


class FreshSlurmPipelineExecutor(SlurmPipelineExecutor):
    """datatrove's Slurm executor, each task on its own copy of the pipeline. With ``tasks_per_job`` > 1
    datatrove runs several ranks in one process on the same step objects: their stats would add up
    from rank to rank (a funnel counting records twice) and per-task state (request caches, id sets)
    would carry over."""

    array_job_ids: list[str] = []  # noqa: RUF012 (set per instance by launch_job)

    def launch_job(self):
        """datatrove's launch, recording every job array it submits: a stage with more tasks than the
        cluster's MaxArraySize goes out as several arrays, and what runs after the stage must wait for
        all of them (datatrove's own dependency names only the last)."""
        import datatrove.executor.slurm as slurm

        launched, original = [], slurm.launch_slurm_job

        def record(*args, **kwargs):
            launched.append(original(*args, **kwargs))
            return launched[-1]

        slurm.launch_slurm_job = record
        try:
            super().launch_job()
        finally:
            slurm.launch_slurm_job = original
        self.array_job_ids = [str(j) for j in launched[:-1]]  # the last one: datatrove's stats merge

    def _run_for_rank(self, rank: int, *args, **kwargs):
        pristine = self.pipeline
        self.pipeline = copy.deepcopy(pristine)
        try:
            return super()._run_for_rank(rank, *args, **kwargs)
        finally:
            self.pipeline = pristine


def _slurm(
    spec: ExecutorSpec,
    pipeline: list,
    logging_dir: str,
    tasks: int,
    after: list[str] | None = None,
    job_name: str = "r1data",
) -> PipelineExecutor:
    """``after``: job ids the stage's jobs wait for (``afterok``: every array of the earlier stages)."""
    max_array = spec.max_array_size or cluster_max_array_size() or 1001
    return FreshSlurmPipelineExecutor(
        pipeline,
        tasks=tasks,
        time=spec.time,
        partition=spec.partition,
        cpus_per_task=spec.cpus_per_task,
        mem_per_cpu_gb=int(spec.mem_per_cpu_gb) if float(spec.mem_per_cpu_gb).is_integer() else 1,
        gpus_per_task=spec.gpus,
        workers=spec.workers or -1,
        job_name=job_name,
        qos=spec.qos or "",
        env_command=spec.env_command,
        venv_path=None if spec.env_command else (spec.venv_path or _default_venv()),
        # sbatch takes whole units: a fraction of a GB goes in MB (over datatrove's own directive)
        sbatch_args={
            **(
                {}
                if float(spec.mem_per_cpu_gb).is_integer()
                else {"mem-per-cpu": f"{round(spec.mem_per_cpu_gb * 1024)}M"}
            ),
            **spec.sbatch_args,
        },
        max_array_size=max_array,
        depends_job_id=":".join(after) if after else None,
        logging_dir=logging_dir,
        skip_completed=True,
        tasks_per_job=spec.tasks_per_job,
        mail_type="NONE",
        requeue=False,  # a failed task fails the stage; relaunching `r1data run` redoes only it
        requeue_signals=None,
    )


EXECUTORS: dict[str, Callable[..., PipelineExecutor]] = {"local": _local, "ray": _ray, "slurm": _slurm}


def make_executor(spec: ExecutorSpec, pipeline: list, logging_dir: str, tasks: int | None = None, **kwargs):
    return EXECUTORS[spec.type](spec, pipeline, logging_dir, tasks or spec.tasks, **kwargs)
