"""What a run needs, checked before it writes anything (a refused run leaves no folder behind): the output
is a folder, the input exists, every step can be built (the files it names exist …), and the executors
the recipe names can be reached — Slurm's commands answer, a Ray cluster's address accepts a connection.
Each failure is a :class:`PreflightError`: one line saying what is wrong and how to fix it (exit 2)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

from r1data.pipelines.recipe import Recipe
from r1data.pipelines.registry import build_step


class PreflightError(ValueError):
    """A run that cannot start as written."""


def check_run(recipe: Recipe, output_dir: str) -> None:
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise PreflightError(f"--output {output_dir} is a file, not a folder (choose a folder)")
    _check_input(recipe)
    for stage in recipe.stages:
        for step in stage.steps:
            build_step(step.kind, step.params)
    kinds = {recipe.stage_executor(i).type for i in range(len(recipe.stages))}
    if "slurm" in kinds:
        check_slurm()
    for index in range(len(recipe.stages)):
        spec = recipe.stage_executor(index)
        if spec.type == "ray" and spec.address and spec.address != "auto":
            check_ray(spec.address)


def _check_input(recipe: Recipe) -> None:
    from r1data.core.paths import resolve_path

    spec = recipe.input
    if spec.path is not None:
        path = resolve_path(spec.path)
        if not os.path.exists(path):
            raise PreflightError(
                f"the recipe's input.path {path} does not exist (relative paths are read from the current folder)"
            )


def check_slurm() -> None:
    missing = [cmd for cmd in ("sbatch", "squeue", "sinfo") if shutil.which(cmd) is None]
    if missing:
        raise PreflightError(
            f"executor type slurm, but Slurm's commands are not on this machine ({', '.join(missing)} not found): "
            "run from a Slurm login node, or use executor type local or ray"
        )
    try:
        done = subprocess.run(["sinfo", "-h", "-o", "%P"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        raise PreflightError(
            "executor type slurm, but Slurm does not answer (sinfo timed out after 20 s)"
        ) from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["no reason given"])[-1]
        raise PreflightError(f"executor type slurm, but Slurm does not answer (sinfo: {why})")


def check_ray(address: str) -> None:
    """A Ray address (``ray://host:port``, or ``host:port`` of the head's GCS) accepts a connection."""
    hostport = address.removeprefix("ray://").rsplit("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    try:
        with socket.create_connection((host or hostport, int(port or 10001)), timeout=5):
            return
    except (OSError, ValueError) as exc:
        raise PreflightError(
            f"cannot reach the Ray cluster at {address} ({exc.__class__.__name__}: {exc}): start it "
            "(`ray start --head`), fix executor.address, or leave it out to start a Ray here"
        ) from None
