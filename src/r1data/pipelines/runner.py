"""Run a recipe: stage after stage, each a datatrove pipeline on the chosen executor, then finalize the
Hub-layout output (shards, stats.json, card).

Layout of an output directory::

    DIR/README.md  DIR/stats.json  DIR/data/<split>-NNNNN-of-MMMMM.parquet     (the dataset)
    DIR/recipe.json                  resolved recipe and fingerprint
    DIR/work/<stage>/*.jsonl.gz      records handed from one stage to the next
    DIR/logs/<stage>/                datatrove logs, per-task stats and completion markers
    DIR/quarantine/*.jsonl           input rows that could not enter, with their reason
    DIR/cache/<stage>/<rank>.sqlite  request caches of generation steps (resume)

Re-running a finished recipe skips every completed task (datatrove completion markers) and only
re-writes the card. A different recipe on the same directory is refused unless ``force``.
"""

from __future__ import annotations

import json
import os
import shutil

from loguru import logger

from r1data.core.funnel import merge_stage_stats
from r1data.io.locks import LOCK_NAME
from r1data.pipelines.executors import make_executor
from r1data.pipelines.finish import _result, finish_run
from r1data.pipelines.preflight import check_run
from r1data.pipelines.recipe import Recipe
from r1data.pipelines.retry import redo_failed_generation
from r1data.pipelines.slurm import (
    FinishRun,
    Submitted,
    _job_name,
    _refuse_while_queued,
    _stage_job_name,
    wait_slurm,
)
from r1data.pipelines.stages import _records_written, stage_pipelines


def input_identity(spec) -> dict:
    """What the input is, cheaply: every file's path, size and modification time (a folder's files
    recursively), or a Hub dataset's name, config and split. A changed input is a changed run."""
    from r1data.core.paths import resolve_path

    if spec.dataset and not os.path.isdir(spec.dataset):
        return {"dataset": spec.dataset, "config": spec.config, "split": spec.split}
    root = resolve_path(spec.path) if spec.path else spec.dataset
    files = [root] if os.path.isfile(root) else sorted(
        os.path.join(d, name) for d, _, names in os.walk(root) for name in names
    )  # fmt: skip
    out = []
    for path in files:
        st = os.stat(path)
        out.append(
            [
                os.path.relpath(path, root) if path != root else os.path.basename(path),
                st.st_size,
                st.st_mtime_ns,
            ]
        )
    return {"path": os.path.abspath(root), "files": out}


def _check_fingerprint(recipe: Recipe, output_dir: str, force: bool) -> None:
    path = os.path.join(output_dir, "recipe.json")
    identity = input_identity(recipe.input)
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        why = None
        if previous.get("fingerprint") != recipe.fingerprint():
            why = f"the output of a different recipe (fingerprint {previous.get('fingerprint')})"
        elif previous.get("input") not in (None, identity):
            why = "the output of this recipe on a different input (files, sizes or times changed)"
        if why:
            if not force:
                raise FileExistsError(
                    f"{output_dir} holds {why}; choose another --output or pass --force to overwrite it"
                )
            for name in os.listdir(output_dir):  # everything but the lock this run holds
                if name != LOCK_NAME:
                    path = os.path.join(output_dir, name)
                    shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    os.makedirs(output_dir, exist_ok=True)
    with open(path, "w") as f:
        json.dump(
            {"fingerprint": recipe.fingerprint(), "input": identity, "recipe": recipe.model_dump()},
            f,
            indent=2,
        )


def _check_complete(executor, stage: str, logging_dir: str) -> None:
    incomplete = executor.get_incomplete_ranks(skip_completed=True)
    if incomplete:
        raise RuntimeError(f"stage '{stage}' left tasks {incomplete} unfinished; see {logging_dir}")


def run_recipe(
    recipe: Recipe, output_dir: str, force: bool = False, detach: bool = False, keep_failures: bool = False
):
    """Run every stage on its executor and finish the output, holding the folder's lock
    (:class:`~r1data.io.locks.FolderLock`) throughout. Local and Ray stages run here one after
    another; consecutive Slurm stages are submitted at once, chained by job dependencies, with the
    finish as a last dependent job when the run ends on Slurm. A relaunch asks again the generation
    requests that failed for good before (:mod:`.retry`) unless ``keep_failures``. Returns the
    :class:`RunResult`, or with ``detach`` and a run that ends on Slurm, a :class:`Submitted` as soon as
    the jobs are queued."""
    from r1data.io.locks import FolderLock

    output_dir = os.path.abspath(output_dir)
    check_run(recipe, output_dir)  # before anything is written: a refused run leaves no folder
    with FolderLock(output_dir, f"r1data run {recipe.name}"):
        _check_fingerprint(recipe, output_dir, force)
        _refuse_while_queued(recipe, output_dir)
        if not keep_failures:
            redo_failed_generation([stage.name for stage in recipe.stages], output_dir)
        return _run_stages(recipe, output_dir, detach)


def _run_stages(recipe: Recipe, output_dir: str, detach: bool):
    from r1data.pipelines.executors import shutdown_ray

    submitted = []  # Slurm executors not waited for yet
    try:
        for index, stage in enumerate(recipe.stages):
            spec = recipe.stage_executor(index)
            logger.info(
                f"stage {index + 1}/{len(recipe.stages)} '{stage.name}' ({recipe.stage_tasks(index)} task(s), {spec.type})"
            )
            if spec.type != "slurm" and submitted:
                wait_slurm(recipe, output_dir, submitted)
                submitted = []
            expected = None
            if index and not submitted:
                previous = os.path.join(output_dir, "logs", recipe.stages[index - 1].name)
                expected = _records_written(merge_stage_stats(previous))
            for part, (logging_dir, pipeline, tasks) in enumerate(
                stage_pipelines(recipe, index, output_dir, expected)
            ):
                if spec.type == "slurm":
                    name = _stage_job_name(recipe, output_dir, index, part)
                    executor = make_executor(
                        spec,
                        pipeline,
                        logging_dir,
                        tasks,
                        after=[j for e in submitted for j in e.array_job_ids],
                        job_name=name,
                    )
                    executor.run()  # submits the job array (after its dependency)
                    submitted.append(executor)
                else:
                    executor = make_executor(spec, pipeline, logging_dir, tasks)
                    executor.run()
                    _check_complete(executor, stage.name, logging_dir)
        if all(e.job_id == -1 for e in submitted):  # nothing was left to do on Slurm
            return finish_run(recipe, output_dir)
        spec = recipe.stage_executor(len(recipe.stages) - 1).model_copy(
            update={"gpus": 0, "tasks_per_job": 1}
        )
        finish = make_executor(spec, [FinishRun(recipe, output_dir)], os.path.join(output_dir, "logs", "_finish"), 1,
                               after=[j for e in submitted for j in e.array_job_ids], job_name=_job_name(recipe, output_dir, "finish"))  # fmt: skip
        if os.path.exists(os.path.join(output_dir, "logs", "_finish", "completions", "00000")):
            # a finished run relaunched: the finish is redone here (it is idempotent), not resubmitted
            shutil.rmtree(os.path.join(output_dir, "logs", "_finish", "completions"))
        finish.run()
        submitted.append(finish)
        if detach:
            return Submitted(output_dir, [j for e in submitted for j in e.array_job_ids])
        wait_slurm(recipe, output_dir, submitted)
        return _result(output_dir)
    finally:
        shutdown_ray()
