"""Step names usable in recipes → the classes that build them, imported only when used."""

from __future__ import annotations

import importlib
import inspect

from datatrove.pipeline.base import PipelineStep

STEPS: dict[str, str] = {
    "parse_traces": "r1data.formats.steps:ParseTraces",
    "verify": "r1data.verifiers.step:Verify",
    "select": "r1data.filters.selection:Select",
    "format_r1": "r1data.formats.steps:FormatR1",
}


def build_step(kind: str, params: dict) -> PipelineStep:
    if kind not in STEPS:
        raise ValueError(f"unknown step {kind!r}; known steps: {', '.join(sorted(STEPS))}")
    module, _, name = STEPS[kind].partition(":")
    cls = getattr(importlib.import_module(module), name)
    allowed = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = set(params) - allowed
    if unknown:
        raise ValueError(
            f"step {kind!r} got unknown parameters {sorted(unknown)}; it accepts {sorted(allowed)}"
        )
    return cls(**params)
