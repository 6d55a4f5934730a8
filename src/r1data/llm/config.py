"""Sampling settings, shared by generation, evaluation and GRPO (R1's defaults: temperature 0.6,
top-p 0.95, long outputs), with the budget ladder for samples the budget cuts."""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import field_validator

from r1data.core.configs import Config, option

TRUNCATION_MODES = ("drop", "continue", "resample", "close")


class SamplingConfig(Config):
    max_tokens: list[int] = option(
        [32768],
        "longest completion, in tokens; several (16384 32768 65536) make a ladder: a sample cut at one "
        "budget goes up to the next as --on-truncation says",
        nargs="+",
    )
    on_truncation: Literal[TRUNCATION_MODES] = option(
        "drop",
        "what a sample cut by its budget gets: drop (kept as cut; the filters drop it), continue (its "
        "text is continued up to the next budget), resample (a fresh sample at the next budget), close "
        "(the reasoning is closed and only a summary is asked, close_tokens long)",
    )
    close_tokens: int = option(1024, "close: the budget of the summary written after a forced </think>", ge=1)
    temperature: float = option(0.6, "sampling temperature (R1: 0.6)", ge=0)
    top_p: float = option(0.95, "nucleus sampling (R1: 0.95)", gt=0, le=1)
    seed: int | None = option(None, "base seed; sample i uses seed + i")

    @field_validator("max_tokens", mode="before")
    @classmethod
    def _ladder(cls, value: Any) -> Any:
        value = [value] if isinstance(value, int | str) else value
        numbers = isinstance(value, list) and all(isinstance(v, int) for v in value)
        if numbers and any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("a budget ladder must increase (16384 32768 65536)")
        return value

    @field_validator("max_tokens")
    @classmethod
    def _positive(cls, value: list[int]) -> list[int]:
        if not value or any(v < 1 for v in value):
            raise ValueError("budgets are positive token counts")
        return value

    def params(self) -> dict[str, Any]:
        """The request parameters of the first rung (``seed`` only when set)."""
        out: dict[str, Any] = {
            "max_tokens": self.max_tokens[0],
            "temperature": self.temperature,
            "top_p": self.top_p,
        }
        if self.seed is not None:
            out["seed"] = self.seed
        return out

    def ladder(self):
        """The budget ladder of these settings (:class:`r1data.llm.ladder.Ladder`)."""
        from r1data.llm.ladder import Ladder

        return Ladder(list(self.max_tokens), self.on_truncation, self.close_tokens)
