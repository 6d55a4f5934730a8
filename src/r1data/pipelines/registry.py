"""Step names usable in recipes → the classes that build them, imported only when used."""

from __future__ import annotations

import importlib

from datatrove.pipeline.base import PipelineStep

from r1data.core.configs import ConfigError, validate

STEPS: dict[str, str] = {
    "generate": "r1data.generators.generate_step:Generate",
    "self_cognition": "r1data.generators.self_cognition:SelfCognition",
    "judge_quality": "r1data.verifiers.quality:QualityJudge",
    "parse_traces": "r1data.formats.steps:ParseTraces",
    "from_sft": "r1data.formats.steps:FromSFT",
    "verify": "r1data.verifiers.verify_step:Verify",
    "select": "r1data.filters.selection:Select",
    "format_r1": "r1data.formats.steps:FormatR1",
    "filter_language": "r1data.filters.completion_filters:LanguageMixFilter",
    "filter_readability": "r1data.filters.completion_filters:ReadabilityFilter",
    "decontaminate": "r1data.filters.decontamination:Decontaminate",
    "dedup_exact": "r1data.filters.dedup:ExactDedup",
    "dedup_completions": "r1data.filters.dedup:CompletionDedup",
}


def step_class(kind: str) -> type:
    """The class of a recipe step name (its module imported now)."""
    if kind not in STEPS:
        raise ValueError(f"unknown step {kind!r}; known steps: {', '.join(sorted(STEPS))}")
    module, _, name = STEPS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def validate_step(kind: str, params: dict, where: str) -> dict:
    """A step's recipe parameters checked against its typed config (one line naming ``where``, the
    field, the value and what it expects); returns them as set, with their types."""
    params = dict(params)
    exclusions = params.pop("exclusions", None)
    if exclusions is not None and not isinstance(exclusions, str):
        raise ConfigError(f"{where}, field 'exclusions': {exclusions!r} is not a folder path")
    config = validate(step_class(kind).Config, params, where)
    return {**config.set_values(), **({"exclusions": exclusions} if exclusions is not None else {})}


def build_step(kind: str, params: dict) -> PipelineStep:
    """Build a step from its recipe name and parameters. ``exclusions: FOLDER`` on any step writes what
    it drops there (records JSONL: dropped records with ``dropped_reason``, dropped completions inside a
    copy of their record with ``excluded_reason``)."""
    params = dict(params)
    exclusions = params.pop("exclusions", None)
    cls = step_class(kind)
    validate(cls.Config, params, f"step {kind!r}")  # the error names the recipe's step
    step = cls(**params)
    if exclusions is not None:
        from r1data.core.step import R1Step
        from r1data.io.writers import RecordWriter

        if not isinstance(step, R1Step):
            raise ValueError(f"step {kind!r} drops nothing: `exclusions` does not apply to it")
        step.exclusion_writer = RecordWriter(exclusions, output_filename=f"{kind}_${{rank}}.jsonl.gz")
    return step
