"""Counter names: the one vocabulary of stats.json, the funnel, the card and the CLIs' summaries.

Steps count through :class:`~r1data.core.step.R1Step` (``completions_dropped_<reason>``,
``records_dropped_<reason>``); readers count ``records_in``, ``records_ok``, ``quarantined_<reason>``
and ``completions_in``; generation steps ``completions_generated`` and ``generation_<name>``;
decontamination ``decontam_hits_<benchmark>``.

>>> by_reason({"completions_dropped": 3, "completions_dropped_language_mixed": 2,
...            "completions_dropped_not_selected": 1}, COMPLETIONS_DROPPED)
{'language_mixed': 2, 'not_selected': 1}
"""

from __future__ import annotations

from collections.abc import Mapping

RECORDS_IN = "records_in"
RECORDS_OK = "records_ok"
RECORDS_ADDED = "records_added"
RECORDS_SELECTED = "records_selected"
RECORDS_RENAMED = "records_renamed_duplicate_id"
QUARANTINED = "quarantined"
COMPLETIONS_IN = "completions_in"
COMPLETIONS_GENERATED = "completions_generated"
COMPLETIONS_DROPPED = "completions_dropped"
RECORDS_DROPPED = "records_dropped"
GENERATION = "generation"
DECONTAM_HITS = "decontam_hits"


def named(family: str, reason: str) -> str:
    """``completions_dropped`` + ``language_mixed`` → ``completions_dropped_language_mixed``."""
    return f"{family}_{reason}"


def by_reason(counters: Mapping[str, float], family: str) -> dict[str, int]:
    """The per-reason counters of one family (``completions_dropped``, ``quarantined`` …), without the
    family's own total."""
    prefix = family + "_"
    return {k.removeprefix(prefix): int(v) for k, v in counters.items() if k.startswith(prefix)}


def summed(stages: Mapping[str, Mapping[str, Mapping[str, float]]], family: str) -> dict[str, float]:
    """``by_reason`` summed over every step of every stage (``{stage: {step: {counter: value}}}``),
    values kept as they are (generation seconds are not integers)."""
    prefix = family + "_"
    total: dict[str, float] = {}
    for steps in stages.values():
        for counters in steps.values():
            for key, value in counters.items():
                if key.startswith(prefix):
                    name = key.removeprefix(prefix)
                    total[name] = total.get(name, 0) + value
    return total
