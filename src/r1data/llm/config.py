"""Sampling settings, shared by generation, evaluation and GRPO (R1's defaults: temperature 0.6,
top-p 0.95, long outputs)."""

from __future__ import annotations

from typing import Any

from r1data.core.configs import Config, option


class SamplingConfig(Config):
    max_tokens: int = option(32768, "longest completion, in tokens", ge=1)
    temperature: float = option(0.6, "sampling temperature (R1: 0.6)", ge=0)
    top_p: float = option(0.95, "nucleus sampling (R1: 0.95)", gt=0, le=1)
    seed: int | None = option(None, "base seed; sample i uses seed + i")

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
