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
from dataclasses import dataclass

from datatrove.pipeline.base import PipelineStep
from loguru import logger

from r1data.core import counters as C
from r1data.core.funnel import build_funnel, merge_stage_stats, sum_counters
from r1data.core.versions import package_versions
from r1data.io.locks import LOCK_NAME
from r1data.io.profile import merged_profile
from r1data.pipelines.executors import make_executor, squeue
from r1data.pipelines.recipe import Recipe
from r1data.pipelines.registry import build_step
from r1data.pipelines.retry import redo_failed_generation
from r1data.verifiers.step import sandbox_failure_warning

PROFILES_DIR = "_profiles"  # under work/: what each task of the last stage published (io.profile)


@dataclass
class RunResult:
    output_dir: str
    funnel: dict
    shards: list[str]
    stats_path: str
    card_path: str


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


def _records_written(steps: dict[str, dict[str, float]]) -> int | None:
    """How many records a finished stage handed on (its writer's count)."""
    for name, counters in steps.items():
        if name.startswith("💽"):
            return int(counters.get("total", 0))
    return None


def build_stage_pipeline(recipe: Recipe, index: int, output_dir: str, expected: int | None = None) -> list:
    from r1data.io.readers import RecordReader, make_reader
    from r1data.io.writers import PARTS_DIR, HubShardWriter, RecordWriter

    stage = recipe.stages[index]
    if index == 0:
        reader = make_reader(recipe.input.model_dump(), os.path.join(output_dir, "quarantine"))
    else:
        previous = recipe.stages[index - 1].name
        reader = RecordReader(
            os.path.join(output_dir, "work", previous),
            glob_pattern="*.jsonl.gz",
            quarantine_folder=os.path.join(output_dir, "quarantine", stage.name),
            allow_empty=True,  # the previous stage may have kept nothing
            doc_progress=True,
        )
        reader.expected_records = expected
        reader.check_unique_ids = False  # the first stage made them unique: no per-record state here
    reader.progress_label = f"stage {index + 1}/{len(recipe.stages)} {stage.name}"
    steps = [build_step(s.kind, s.params) for s in stage.steps]
    for step in steps:
        # generation steps keep their request cache in the output directory unless told otherwise, so
        # that relaunching the recipe resends nothing that had finished
        if hasattr(step, "cache_dir") and step.cache_dir is None:
            step.cache_dir = os.path.join(output_dir, "cache", stage.name)
    profiles = os.path.join(output_dir, "work", PROFILES_DIR)
    if index == len(recipe.stages) - 1 and recipe.output.records:
        writer = RecordWriter(os.path.join(output_dir, "data", PARTS_DIR), profile_dir=profiles)
    elif index == len(recipe.stages) - 1:
        writer = HubShardWriter(
            os.path.join(output_dir, "data"),
            recipe.output.max_shard_bytes,
            recipe.output.rows_per_group,
            profile_dir=profiles,
        )
    else:
        writer = RecordWriter(os.path.join(output_dir, "work", stage.name))
    return [reader, *steps, writer]


def _check_complete(executor, stage: str, logging_dir: str) -> None:
    incomplete = executor.get_incomplete_ranks(skip_completed=True)
    if incomplete:
        raise RuntimeError(f"stage '{stage}' left tasks {incomplete} unfinished; see {logging_dir}")


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


def stage_jobs(recipe: Recipe, index: int, output_dir: str) -> list[tuple[str, int]]:
    """``(logging_dir, tasks)`` of each datatrove job of stage ``index``: one, or for a near_dedup stage
    datatrove's MinHash signatures, buckets and clusters, then the filter (the stage's own logs)."""
    stage, tasks = recipe.stages[index], recipe.stage_tasks(index)
    logs = os.path.join(output_dir, "logs", stage.name)
    if stage.near_dedup is None:
        return [(logs, tasks)]
    parts = [("_1_signatures", tasks), ("_2_buckets", stage.near_dedup.num_buckets), ("_3_clusters", 1)]
    return [(os.path.join(logs, name), n) for name, n in parts] + [(logs, tasks)]


def near_dedup_pipelines(recipe: Recipe, index: int, output_dir: str, tasks: int):
    """datatrove's MinHash stages 1-3 (signatures, buckets, clusters), then our accounting filter; the
    filter's logs are the stage's logs, so its drops reach the funnel."""
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )

    from r1data.filters.dedup import NearDupFilter, PromptTokenizer
    from r1data.io.readers import RecordReader
    from r1data.io.writers import RecordWriter

    stage, previous = recipe.stages[index], recipe.stages[index - 1].name
    spec = stage.near_dedup
    config = MinhashConfig(
        n_grams=spec.n_grams,
        num_buckets=spec.num_buckets,
        hashes_per_bucket=spec.hashes_per_bucket,
        seed=spec.seed,
    )
    work = os.path.join(output_dir, "work", f"_{stage.name}_minhash")
    (signatures_logs, _), (buckets_logs, _), (clusters_logs, _), (logs, _) = stage_jobs(
        recipe, index, output_dir
    )

    def reader():
        return RecordReader(os.path.join(output_dir, "work", previous), glob_pattern="*.jsonl.gz")

    yield (
        signatures_logs,
        [
            reader(),
            MinhashDedupSignature(
                os.path.join(work, "signatures"), config, language=PromptTokenizer().tokenizer
            ),
        ],
        tasks,
    )
    yield (
        buckets_logs,
        [MinhashDedupBuckets(os.path.join(work, "signatures"), os.path.join(work, "buckets"), config=config)],
        spec.num_buckets,
    )
    yield (
        clusters_logs,
        [MinhashDedupCluster(os.path.join(work, "buckets"), os.path.join(work, "remove"), config=config)],
        1,
    )
    yield (
        logs,
        [
            reader(),
            NearDupFilter(remove_folder=os.path.join(work, "remove"), annotate_only=spec.annotate_only),
            RecordWriter(os.path.join(output_dir, "work", stage.name)),
        ],
        tasks,
    )


def stage_pipelines(recipe: Recipe, index: int, output_dir: str, expected: int | None = None):
    """``(logging_dir, pipeline, tasks)`` of each datatrove job of stage ``index``, in order (one, or
    datatrove's MinHash jobs then the filter for a near_dedup stage)."""
    stage, tasks = recipe.stages[index], recipe.stage_tasks(index)
    if stage.near_dedup is not None:
        yield from near_dedup_pipelines(recipe, index, output_dir, tasks)
    else:
        ((logging_dir, _),) = stage_jobs(recipe, index, output_dir)
        yield logging_dir, build_stage_pipeline(recipe, index, output_dir, expected), tasks


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
    for stage in recipe.stages:  # every step can be built (files it names exist …) before anything is written
        for step in stage.steps:
            build_step(step.kind, step.params)
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


def _result(output_dir: str) -> RunResult:
    stats_path = os.path.join(output_dir, "stats.json")
    with open(stats_path) as f:
        stats = json.load(f)
    return RunResult(
        output_dir, stats["funnel"], stats["shards"], stats_path, os.path.join(output_dir, "README.md")
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


def finish_run(recipe: Recipe, output_dir: str) -> RunResult:
    """After the last stage: every stage complete, the shards in the Hub layout, stats.json, the card."""
    from r1data.data_cards.card import write_card
    from r1data.io.files import write_atomic
    from r1data.io.writers import finalize_shards

    stage_stats = {}
    for index, stage in enumerate(recipe.stages):
        logging_dir = os.path.join(output_dir, "logs", stage.name)
        done = (
            len(os.listdir(os.path.join(logging_dir, "completions")))
            if os.path.isdir(os.path.join(logging_dir, "completions"))
            else 0
        )
        if done < recipe.stage_tasks(index):
            raise RuntimeError(
                f"stage '{stage.name}' has {done}/{recipe.stage_tasks(index)} tasks done; see {logging_dir}"
            )
        stage_stats[stage.name] = merge_stage_stats(logging_dir)
        warning = sandbox_failure_warning(
            sum_counters({stage.name: stage_stats[stage.name]}), f"stage '{stage.name}'"
        )
        if warning:
            logger.warning(warning)

    data_dir = os.path.join(output_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    shards = finalize_shards(data_dir, recipe.output.split)
    profile = merged_profile(
        os.path.join(output_dir, "work", PROFILES_DIR), recipe.stage_tasks(len(recipe.stages) - 1)
    )
    if profile is None:  # written before profiles existed: read the shards back
        rows, provenance = _read_provenance(data_dir, shards)
        row_stats = row_statistics(data_dir, shards)
    else:
        rows, provenance, row_stats = profile.rows, profile.provenance_summary(), profile.row_statistics()
    funnel = build_funnel(stage_stats, recipe.stages[0].name, rows)
    stats = {
        "recipe": recipe.name,
        "fingerprint": recipe.fingerprint(),
        "funnel": funnel,
        "provenance": provenance,
        "decontamination": _decontamination_hits(stage_stats),
        "generation": _generation_accounting(stage_stats, rows),
        "rows": row_stats,
        "versions": package_versions(),
        "shards": shards,
        "stages": stage_stats,
    }
    if recipe.card.calibration:
        from r1data.core.paths import resolve_path
        from r1data.verifiers.calibration import calibrate

        spec = recipe.card.calibration
        stats["calibration"] = calibrate(resolve_path(spec["path"]), spec.get("mapping"), spec.get("label"))
    stats_path = os.path.join(output_dir, "stats.json")
    write_atomic(stats_path, json.dumps(stats, indent=2, ensure_ascii=False).encode("utf-8"))
    card_path = write_card(recipe, stats, output_dir)
    from r1data.data_cards.report import write_report

    write_report(output_dir)
    return RunResult(output_dir, funnel, shards, stats_path, card_path)


def _read_provenance(data_dir: str, shards: list[str]) -> tuple[int, dict]:
    """Kept completions (SFT rows, or the completions of published records) and the sources /
    teachers / verifiers / domains behind them, read back from the shards (outputs written before the
    writers counted them: :mod:`r1data.io.profile`)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from r1data.io.profile import PROVENANCE, RowProfile

    profile = RowProfile()
    for shard in shards:
        path = os.path.join(data_dir, shard)
        if shard.endswith(".jsonl.gz"):
            from r1data.io.readers import read_jsonl

            for record in read_jsonl(path):
                profile.add_record(record)
            continue
        for batch in pq.ParquetFile(path).iter_batches(8192, columns=list(PROVENANCE)):
            profile.rows += batch.num_rows
            for column in PROVENANCE:  # value counts in Arrow: no Python object per row
                for entry in pc.value_counts(batch.column(column)).to_pylist():
                    profile.provenance[column][str(entry["values"])] += entry["counts"]
    return profile.rows, profile.provenance_summary()


def _describe(chunks: list) -> dict[str, float] | None:
    """min / median / mean / max of Arrow integer arrays (kept as Arrow: 8 bytes a row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.chunked_array(chunks, type=pa.int64()) if chunks else None
    if values is None or len(values) == values.null_count:
        return None
    bounds = pc.min_max(values).as_py()
    median = pc.quantile(values, q=0.5, interpolation="lower").to_pylist()[0]
    return {
        "min": bounds["min"],
        "median": median,
        "mean": round(pc.mean(values).as_py(), 1),
        "max": bounds["max"],
    }


def row_statistics(data_dir: str, shards: list[str]) -> dict:
    """What the published rows are like, read from the shards (Arrow compute, no Python object per
    row): how many carry a ``<think>`` block, and the lengths of completions, reasoning and summaries."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    think, lengths = 0, {"completion_tokens": [], "reasoning_chars": [], "summary_chars": []}
    for shard in shards:
        if not shard.endswith(".parquet"):
            continue
        columns = ["reasoning", "summary", "completion_tokens"]
        for batch in pq.ParquetFile(os.path.join(data_dir, shard)).iter_batches(8192, columns=columns):
            reasoning = pc.utf8_length(pc.fill_null(batch.column("reasoning"), ""))
            think += int(pc.sum(pc.greater(reasoning, 0)).as_py() or 0)
            lengths["reasoning_chars"].append(reasoning.cast(pa.int64()))
            lengths["summary_chars"].append(
                pc.utf8_length(pc.fill_null(batch.column("summary"), "")).cast(pa.int64())
            )
            lengths["completion_tokens"].append(batch.column("completion_tokens"))
    return {"with_think_block": think, **{k: _describe(v) for k, v in lengths.items()}}


def _generation_accounting(stage_stats: dict, kept_rows: int) -> dict[str, float]:
    """Tokens and requests of generation steps, and the yield-adjusted cost: completion tokens spent
    per published row (every sample generated, kept or not, divided by the rows that survived; None
    when no row survived)."""
    from r1data.generators.generate import completion_rate

    totals = C.summed(stage_stats, C.GENERATION)
    if totals:
        tokens = totals.get("tokens_completion", 0)
        totals["completion_tokens_per_kept_row"] = round(tokens / kept_rows, 1) if kept_rows else None
        # seconds are summed over tasks: a per-task throughput, not the wall clock's
        totals["completion_tokens_per_s"] = completion_rate(
            totals.get("tokens_completion_sent", 0), totals.get("seconds", 0)
        )
    return totals


def _decontamination_hits(stage_stats: dict) -> dict[str, int]:
    """Prompts that overlapped each benchmark (dropped, or only annotated with ``annotate_only``)."""
    return {name: int(value) for name, value in C.summed(stage_stats, C.DECONTAM_HITS).items()}
