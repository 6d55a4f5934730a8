"""A recipe's stages as datatrove pipelines: the reader (the input, or the previous stage's hand-off),
the stage's steps, the writer (the next hand-off, or the shards); a near_dedup stage as datatrove's
MinHash jobs then the accounting filter."""

from __future__ import annotations

import os

from r1data.pipelines.finish import PROFILES_DIR
from r1data.pipelines.recipe import Recipe
from r1data.pipelines.registry import build_step


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
    if recipe.output.exclusions:
        _write_exclusions(steps, stage, output_dir)
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


EXCLUDED_DIR = "excluded"


def _write_exclusions(steps: list, stage, output_dir: str) -> None:
    """Every drop of every step written with its recorded reason (``excluded/<stage>/``), unless the
    step names its own folder: what ``r1data view`` and the report show as not kept."""
    from r1data.core.step import R1Step
    from r1data.io.writers import RecordWriter

    folder = os.path.join(output_dir, EXCLUDED_DIR, stage.name)
    for position, (spec, step) in enumerate(zip(stage.steps, steps, strict=True)):
        if isinstance(step, R1Step) and step.exclusion_writer is None:
            name = f"{position:02d}_{spec.kind}_${{rank}}.jsonl.gz"
            step.exclusion_writer = RecordWriter(folder, output_filename=name)


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
