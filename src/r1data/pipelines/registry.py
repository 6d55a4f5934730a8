"""Step names usable in recipes → the classes that build them, imported only when used."""

from __future__ import annotations

import importlib
import inspect

from datatrove.pipeline.base import PipelineStep

STEPS: dict[str, str] = {
    "generate": "r1data.generators.step:Generate",
    "self_cognition": "r1data.generators.self_cognition:SelfCognition",
    "judge_quality": "r1data.verifiers.quality:QualityJudge",
    "parse_traces": "r1data.formats.steps:ParseTraces",
    "from_sft": "r1data.formats.steps:FromSFT",
    "verify": "r1data.verifiers.step:Verify",
    "select": "r1data.filters.selection:Select",
    "format_r1": "r1data.formats.steps:FormatR1",
    "filter_language": "r1data.filters.completion_filters:LanguageMixFilter",
    "filter_readability": "r1data.filters.completion_filters:ReadabilityFilter",
    "decontaminate": "r1data.filters.decontamination:Decontaminate",
    "dedup_exact": "r1data.filters.dedup:ExactDedup",
    "dedup_completions": "r1data.filters.dedup:CompletionDedup",
}


def build_step(kind: str, params: dict) -> PipelineStep:
    """Build a step from its recipe name and parameters. ``exclusions: FOLDER`` on any step writes what
    it drops there (records JSONL: dropped records with ``dropped_reason``, dropped completions inside a
    copy of their record with ``excluded_reason``)."""
    params = dict(params)
    exclusions = params.pop("exclusions", None)
    if kind not in STEPS:
        raise ValueError(f"unknown step {kind!r}; known steps: {', '.join(sorted(STEPS))}")
    module, _, name = STEPS[kind].partition(":")
    cls = getattr(importlib.import_module(module), name)
    signature = inspect.signature(cls.__init__).parameters
    allowed = set(signature) - {"self", "kwargs"}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.values()):
        allowed |= set(getattr(cls, "config_fields", lambda: ())())
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(
            f"step {kind!r} got unknown parameters {sorted(unknown)}; it accepts {sorted(allowed)}"
        )
    step = cls(**params)
    if exclusions is not None:
        from r1data.core.step import R1Step
        from r1data.io.writers import RecordWriter

        if not isinstance(step, R1Step):
            raise ValueError(f"step {kind!r} drops nothing: `exclusions` does not apply to it")
        step.exclusion_writer = RecordWriter(exclusions, output_filename=f"{kind}_${{rank}}.jsonl.gz")
    return step
