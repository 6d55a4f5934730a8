"""Everything a generation step or ``r1data generate`` takes: one dataclass, from which the recipe
parameters of ``generate``, the flags of ``r1data generate`` and the step's constructor all come."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import field_validator, model_validator

from r1data.core.configs import Config, option
from r1data.llm.config import SamplingConfig

METHODS = ("sample", "few_shot", "reflect_verify", "reformat", "refine", "router")


def check_model_path(model: str | None) -> None:
    """A model given as a local path must be a model folder (``config.json`` in it); a Hub id
    (``org/name``) is left to the engine. Checked before anything is written."""
    if not model:
        return
    path = os.path.expanduser(model)
    looks_local = path.startswith((".", "/", "~")) or path.count("/") != 1 or os.path.exists(path)
    if looks_local and not os.path.isfile(os.path.join(path, "config.json")):
        what = "no such folder" if not os.path.exists(path) else "no config.json in it"
        raise FileNotFoundError(f"model {model}: {what} (give a local model folder, or a Hub id ORG/NAME)")


class EngineOptions(Config):
    """The ``vllm.LLM`` arguments the commands take as flags (``GenerationConfig.engine`` holds them and
    any other ``vllm.LLM`` argument a recipe gives)."""

    tensor_parallel_size: int | None = option(None, "vLLM engine: GPUs per model", ge=1)
    max_model_len: int | None = option(None, "vLLM engine: context length", ge=1)
    dtype: str | None = option(None, "vLLM engine: weights dtype (default auto)")
    gpu_memory_utilization: float | None = option(None, "vLLM engine: memory share (CPU: of RAM)", gt=0, le=1)
    enforce_eager: bool = option(False, "vLLM engine: no graph capture")

    def options(self) -> dict[str, Any]:
        """The options that were set (a flag not given leaves vLLM's default)."""
        return {k: v for k, v in self.model_dump().items() if v not in (None, False)}


class GenerationConfig(SamplingConfig):
    """Everything a generation step or ``r1data generate`` takes: the recipe parameters of
    ``generate``, the flags of ``r1data generate`` and the step's constructor all come from here."""

    endpoints: list[str] | None = option(
        None,
        "base URL ending in /v1 of an OpenAI-compatible server; several → least-busy routing",
        flag="--endpoint",
    )
    vllm_model: str | None = option(None, "instead of endpoints: a model path for the vLLM offline engine")
    model: str | None = option(
        None, "model name to request (required with endpoints; engine: the name recorded)"
    )
    n: int = option(1, "samples per prompt", flag="-n", ge=1)
    method: Literal[METHODS] = option("sample", "rollout method (see the docs' Generation page)")
    think_prefix: bool = option(False, "responses start with '<think>\\n' (endpoints: vLLM/SGLang only)")
    concurrency: int | None = option(
        None, "requests in flight (default 16); engine: records per batch (default 1024)", ge=1
    )
    cache: str | None = option(None, "request cache file (SQLite; CLI default: OUTPUT.cache.sqlite)")
    cache_dir: str | None = option(None, "recipes: a folder with one request cache per task", flag=None)
    api_key_env: str | None = option("R1DATA_API_KEY", "environment variable holding the API key")
    r1_conventions: bool = option(
        True, "keep system prompts and do not append the boxed-answer instruction to math prompts"
    )
    timeout_s: float = option(600.0, "seconds per request", flag="--request-timeout", gt=0)
    retries: int = option(5, "retries per request on 408/409/429/5xx, timeouts, resets", ge=0)
    backoff_s: float = option(
        1.0, "first retry back-off in seconds (doubles, with jitter)", flag="--backoff", ge=0
    )
    examples: str | None = option(None, "few_shot: JSONL of worked examples (prompt, reasoning, summary)")
    shots: int | None = option(None, "few_shot: examples per prompt (default 2)", ge=1)
    template: str | None = option(None, "reflect_verify/reformat/refine: another template file")
    patterns: str | None = option(None, "router: a file of trivial-prompt patterns")
    cot_template: str | None = option(None, "router: the template of prompts that get a chain of thought")
    engine: dict[str, Any] | None = option(
        None, "extra vllm.LLM arguments (CLI: the engine flags)", flag=None
    )

    @field_validator("endpoints", mode="before")
    @classmethod
    def _one_endpoint(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_backend(self) -> GenerationConfig:
        if bool(self.endpoints) == bool(self.vllm_model):
            raise ValueError(
                "generation needs exactly one of endpoints (--endpoint) or vllm_model (--vllm-model)"
            )
        if self.endpoints and not self.model:
            raise ValueError("generation from endpoints needs a model name (model / --model)")
        return self

    @property
    def requests_at_once(self) -> int:
        if self.concurrency is not None:
            return self.concurrency
        return 1024 if self.vllm_model else 16

    def rollout_options(self) -> dict[str, Any]:
        names = ("examples", "shots", "template", "patterns", "cot_template")
        return {k: getattr(self, k) for k in names if getattr(self, k) is not None}

    def endpoint(self):
        """The client's endpoint settings, or None for the vLLM engine."""
        if not self.endpoints:
            return None
        from r1data.llm.client import EndpointConfig

        return EndpointConfig(
            self.endpoints,
            self.model,
            api_key_env=self.api_key_env,
            timeout_s=self.timeout_s,
            retries=self.retries,
            backoff_s=self.backoff_s,
            routing="least_busy" if len(self.endpoints) > 1 else "round_robin",
        )
