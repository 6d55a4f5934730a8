"""Recipes: a YAML file that names the input, the stages (lists of steps with their parameters), the
executor and the output. Keys are the field names below; unknown keys are an error.

>>> r = Recipe.model_validate({"name": "t", "input": {"path": "x.jsonl"},
...                            "stages": [{"name": "s", "steps": [{"select": {"policy": "first"}}, "format_r1"]}]})
>>> r.stages[0].steps[0].kind, r.executor.type
('select', 'local')
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import orjson
from pydantic import Field, field_validator, model_validator

from r1data.core.configs import Config
from r1data.core.paths import resolve_path  # noqa: F401  (re-exported)
from r1data.core.recipes import expand_env, load_model  # noqa: F401  (expand_env re-exported)
from r1data.data_cards.spec import CardSpec


class InputSpec(Config):
    """The input: a file or folder (``path``) or a dataset (``dataset``), exactly one; lines that
    cannot be records are quarantined with their reason."""

    path: str | None = Field(
        None, description="File or folder (JSONL[.gz|.zst] / Parquet); package:// allowed."
    )
    glob: str | None = Field(None, description="Files to read inside a folder, e.g. '*.jsonl.gz'.")
    dataset: str | None = Field(None, description="A dataset saved on disk or a Hub dataset name.")
    split: str = Field("train", description="With dataset: the split to read.")
    config: str | None = Field(None, description="With dataset: the configuration (subset) to read.")
    mapping: dict[str, Any] | None = Field(None, description="Column mapping; see r1data.io.mapping.")
    keep_unmapped: bool = Field(False, description="Keep the input's columns the mapping does not name.")
    source: str | None = Field(None, description="Default 'source' for records that have none.")
    limit: int = Field(-1, description="Read at most this many records per task (-1: all).")
    max_record_bytes: int = Field(
        64 * 2**20, ge=1, description="Longer JSONL lines are quarantined (oversized) without being parsed."
    )
    max_completions_per_record: int = Field(
        4096, ge=1, description="Records with more completions are quarantined (too_many_completions)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> InputSpec:
        if (self.path is None) == (self.dataset is None):
            raise ValueError("input needs exactly one of 'path' or 'dataset'")
        return self


class StepSpec(Config):
    """One step of a stage, written ``- kind`` or ``- kind: {params}`` (the steps reference lists them)."""

    kind: str = Field(description="The step's name (see the steps reference).")
    params: dict[str, Any] = Field(
        default_factory=dict, description="The step's parameters, checked against its typed config."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        # YAML spells a step as {kind: {params}} or as a bare kind name.
        if isinstance(value, str):
            return {"kind": value}
        if isinstance(value, dict) and len(value) == 1 and "kind" not in value:
            ((kind, params),) = value.items()
            return {"kind": kind, "params": params or {}}
        return value


class NearDedupSpec(Config):
    """MinHash near-duplicate removal of prompts with datatrove's stages (signatures, buckets, clusters)."""

    n_grams: int = Field(5, ge=1, description="Shingle size in tokens.")
    num_buckets: int = Field(14, ge=1)
    hashes_per_bucket: int = Field(8, ge=1)
    seed: int = 1
    annotate_only: bool = Field(False, description="Mark near duplicates (near_duplicate: true), drop none.")


class StageSpec(Config):
    """A stage: datatrove pipeline whose tasks read the previous stage's records (the first reads the
    input) and write their own; a resumed run skips its finished tasks."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="Unique; names the stage's folder.")
    steps: list[StepSpec] = Field(default_factory=list, description="The steps, in order.")
    near_dedup: NearDedupSpec | None = Field(
        None, description="Instead of steps: near-duplicate prompt removal."
    )
    tasks: int | None = Field(None, description="Override the executor's task count for this stage.")
    executor: dict[str, Any] | None = Field(
        None,
        description="Override the recipe's executor for this stage (its fields over the recipe's; e.g. "
        "generation on a GPU partition, curation on CPU partitions).",
    )

    @field_validator("executor")
    @classmethod
    def _known_executor_fields(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # checked in full over the recipe's executor (Recipe._stage_executors): an override may omit `type`
        unknown = sorted(set(value or {}) - set(ExecutorSpec.model_fields))
        if unknown:
            raise ValueError(f"unknown executor field(s) {unknown}")
        return value

    @model_validator(mode="after")
    def _steps_or_dedup(self) -> StageSpec:
        if bool(self.steps) == (self.near_dedup is not None):
            raise ValueError(f"stage {self.name!r} needs either `steps` or `near_dedup`")
        return self

    @model_validator(mode="after")
    def _typed_parameters(self) -> StageSpec:
        """Every step's parameters against its typed config, before anything runs."""
        from r1data.pipelines.registry import validate_step

        for step in self.steps:
            step.params = validate_step(step.kind, step.params, f"stage {self.name!r}, step {step.kind!r}")
        return self


_RAY_FIELDS = {"address"}
_SLURM_FIELDS = {"partition", "time", "qos", "env_command", "venv_path", "sbatch_args", "max_array_size",
                 "poll_s"}  # fmt: skip
_CLUSTER_FIELDS = {"cpus_per_task", "mem_per_cpu_gb", "gpus", "tasks_per_job"}


class ExecutorSpec(Config):
    """Where a stage's tasks run: ``local`` (datatrove's LocalPipelineExecutor), ``ray``
    (RayPipelineExecutor on the cluster at ``address``, or a Ray started on this machine) or ``slurm``
    (SlurmPipelineExecutor: one job array per stage, chained by job dependencies)."""

    type: Literal["local", "ray", "slurm"] = "local"
    tasks: int = Field(1, ge=1, description="Shards of the input (files are split across tasks).")
    workers: int | None = Field(
        None, ge=1, description="Tasks run at the same time (default: local 1, ray and slurm all)."
    )
    cpus_per_task: int = Field(1, ge=1, description="ray/slurm: CPUs reserved per task.")
    mem_per_cpu_gb: float = Field(2, gt=0, description="ray/slurm: memory reserved per CPU, in GB.")
    gpus: int = Field(0, ge=0, description="ray/slurm: GPUs per task (generation stages).")
    tasks_per_job: int = Field(
        1, ge=1, description="ray/slurm: tasks one job runs one after another (fewer, longer jobs)."
    )
    address: str | None = Field(
        None, description="ray: the cluster (`auto`, `ray://…`); none: start one here."
    )
    partition: str | None = Field(None, description="slurm: the partition (required).")
    time: str = Field("24:00:00", description="slurm: time limit per job.")
    qos: str | None = Field(None, description="slurm: quality of service.")
    env_command: str | None = Field(None, description="slurm: shell line that sets up the job's environment.")
    venv_path: str | None = Field(
        None, description="slurm: `activate` script of the job's venv (default: the running one's)."
    )
    sbatch_args: dict[str, Any] = Field(default_factory=dict, description="slurm: more sbatch directives.")
    max_array_size: int | None = Field(
        None, ge=1, description="slurm: job-array cap (default: the cluster's MaxArraySize)."
    )
    poll_s: float = Field(5.0, gt=0, description="slurm: seconds between checks while `r1data run` waits.")

    @model_validator(mode="after")
    def _fields_of_the_type(self) -> ExecutorSpec:
        allowed = {"type", "tasks", "workers"}
        allowed |= {"ray": _RAY_FIELDS | _CLUSTER_FIELDS, "slurm": _SLURM_FIELDS | _CLUSTER_FIELDS}.get(
            self.type, set()
        )
        stray = sorted(  # a dumped spec holds every field: only values other than the default stray
            name
            for name in self.model_fields_set - allowed
            if getattr(self, name) != type(self).model_fields[name].get_default(call_default_factory=True)
        )
        if stray:
            raise ValueError(f"executor type {self.type!r} takes no {stray}")
        if self.type == "slurm" and not self.partition:
            raise ValueError("executor type 'slurm' needs a `partition`")
        return self

    def merged(self, override: dict[str, Any] | None) -> ExecutorSpec:
        """A stage's executor: its own fields over the recipe's (of another type: over its tasks and workers)."""
        if not override:
            return self
        base = self.model_dump(exclude_unset=True)
        if override.get("type", self.type) != self.type:  # another kind of executor: only the task count
            base = {k: v for k, v in base.items() if k in ("tasks", "workers")}
        return ExecutorSpec.model_validate({**base, **override})


class OutputSpec(Config):
    """What the run publishes in its output folder (a Hub dataset repository)."""

    split: str = Field("train", description="The split the shards are written as.")
    records: bool = Field(
        False,
        description="Publish the last stage's records (JSONL shards) instead of SFT rows: for a stage "
        "that ends without `format_r1` (e.g. verified completions for later selection or evaluation).",
    )
    max_shard_bytes: int = Field(256 * 2**20, ge=1024, description="A shard is closed past this size.")
    push_to_hub: str | None = Field(
        None,
        description="`r1data run` pushes the finished dataset to this Hub repo (ORG/NAME), as `r1data publish`.",
    )
    private: bool = Field(False, description="With push_to_hub: create the repo private.")
    exclusions: bool = Field(
        True,
        description="Write every dropped completion and record with its reason to excluded/<stage>/ "
        "(compressed JSONL; what `r1data view` and the report's not-kept panel show). false: counts only, "
        "for very large runs.",
    )
    rows_per_group: int = Field(
        1000,
        ge=1,
        description="Parquet row group size; shard sizes overshoot max_shard_bytes by at most one group. "
        "The writer keeps ~20 KB of metadata per group until a shard closes: 100-row groups cost ~50 MB "
        "per 256 MB shard of reasoning rows.",
    )


class Recipe(Config):
    """A recipe (``r1data run RECIPE.yaml``): where the records come from, the stages they go
    through, where the tasks run, and what is published."""

    name: str = Field(description="The run's name (the default output folder is outputs/NAME).")
    description: str | None = Field(None, description="Free text, shown in the card.")
    input: InputSpec = Field(description="The records the first stage reads.")
    stages: list[StageSpec] = Field(min_length=1, description="The stages, run in order.")
    executor: ExecutorSpec = Field(
        default_factory=ExecutorSpec, description="Where the tasks run (each stage may override it)."
    )
    output: OutputSpec = Field(default_factory=OutputSpec, description="What is published.")
    card: CardSpec = Field(default_factory=CardSpec, description="The data card's metadata.")

    @field_validator("stages")
    @classmethod
    def _unique_stage_names(cls, stages: list[StageSpec]) -> list[StageSpec]:
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique: {names}")
        if stages[0].near_dedup is not None or stages[-1].near_dedup is not None:
            raise ValueError("a near_dedup stage must sit between two stages of steps")
        return stages

    @model_validator(mode="after")
    def _output_makes_rows(self) -> Recipe:
        last = self.stages[-1]
        if not self.output.records and "format_r1" not in [s.kind for s in last.steps]:
            raise ValueError(
                f"the last stage ({last.name!r}) has no `format_r1` step, so it makes no SFT rows: add "
                "`format_r1` to it, or set `output: {records: true}` to publish the records themselves"
            )
        return self

    @model_validator(mode="after")
    def _stage_executors(self) -> Recipe:
        for index, stage in enumerate(self.stages):
            if stage.executor:
                try:
                    self.stage_executor(index)
                except ValueError as exc:
                    raise ValueError(f"stage {stage.name!r}: executor: {exc}") from None
        return self

    def stage_executor(self, index: int) -> ExecutorSpec:
        """The executor of stage ``index``: the recipe's, with the stage's override."""
        return self.executor.merged(self.stages[index].executor)

    def stage_tasks(self, index: int) -> int:
        stage = self.stages[index]
        return stage.tasks or self.stage_executor(index).tasks

    def fingerprint(self) -> str:
        """Stable hash of everything that changes the output (the recipe's resolved content). Where the
        tasks run is not part of it — local, Ray and Slurm write the same output — but how many there
        are is (the shards and the resume of tasks follow them)."""
        content = self.model_dump()
        content["executor"] = {"tasks": self.executor.tasks}
        for index, stage in enumerate(content["stages"]):
            stage.pop("executor")
            stage["tasks"] = self.stage_tasks(index)
        return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def load_recipe(path: str) -> Recipe:
    """A run recipe from YAML (``${VAR}`` expanded), validated whole — every step's parameters
    included — or a :class:`~r1data.core.recipes.RecipeError` in one line."""
    return load_model(path, Recipe)
