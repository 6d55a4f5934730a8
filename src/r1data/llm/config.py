"""Sampling settings, shared by generation, evaluation and GRPO (R1's defaults: temperature 0.6,
top-p 0.95, long outputs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SamplingConfig:
    max_tokens: int = field(default=32768, metadata={"help": "longest completion, in tokens"})
    temperature: float = field(default=0.6, metadata={"help": "sampling temperature (R1: 0.6)"})
    top_p: float = field(default=0.95, metadata={"help": "nucleus sampling (R1: 0.95)"})
    seed: int | None = field(default=None, metadata={"help": "base seed; sample i uses seed + i"})

    def __post_init__(self):
        if self.max_tokens < 1 or not 0.0 < self.top_p <= 1.0 or self.temperature < 0:
            raise ValueError("need max_tokens >= 1, 0 < top_p <= 1 and temperature >= 0")

    def params(self) -> dict[str, Any]:
        """The request parameters (``seed`` only when set)."""
        out: dict[str, Any] = {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
        }
        if self.seed is not None:
            out["seed"] = self.seed
        return out
