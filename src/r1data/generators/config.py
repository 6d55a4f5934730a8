"""Everything a generation step or ``r1data generate`` takes: one dataclass, from which the recipe
parameters of ``generate``, the flags of ``r1data generate`` and the step's constructor all come."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from r1data.llm.config import SamplingConfig

METHODS = ("sample", "few_shot", "reflect_verify", "reformat", "refine", "router")


def _f(default: Any = None, help: str = "", **meta: Any):
    return field(default=default, metadata={"help": help, **meta})


@dataclass
class EngineOptions:
    """The ``vllm.LLM`` arguments the commands take as flags (``GenerationConfig.engine`` holds them and
    any other ``vllm.LLM`` argument a recipe gives)."""

    tensor_parallel_size: int | None = _f(help="vLLM engine: GPUs per model")
    max_model_len: int | None = _f(help="vLLM engine: context length")
    dtype: str | None = _f(help="vLLM engine: weights dtype (default auto)")
    gpu_memory_utilization: float | None = _f(help="vLLM engine: memory share (CPU: of RAM)")
    enforce_eager: bool = _f(False, "vLLM engine: no graph capture")

    def options(self) -> dict[str, Any]:
        """The options that were set (a flag not given leaves vLLM's default)."""
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}


@dataclass
class GenerationConfig(SamplingConfig):
    endpoints: list[str] | None = _f(  # noqa: RUF009 (a field() with metadata)
        help="base URL ending in /v1 of an OpenAI-compatible server; several → least-busy routing",
        flag="--endpoint",
    )
    vllm_model: str | None = _f(help="instead of endpoints: a model path for the vLLM offline engine")
    model: str | None = _f(help="model name to request (required with endpoints; engine: the name recorded)")
    n: int = _f(1, "samples per prompt", flag="-n")
    method: str = _f("sample", "rollout method (see README 'Rollouts')", choices=METHODS)
    think_prefix: bool = _f(False, "responses start with '<think>\\n' (endpoints: vLLM/SGLang only)")
    concurrency: int | None = _f(
        help="requests in flight (default 16); engine: records per batch (default 1024)"
    )
    cache: str | None = _f(help="request cache file (SQLite; CLI default: OUTPUT.cache.sqlite)")
    cache_dir: str | None = _f(help="recipes: a folder with one request cache per task", flag=None)
    api_key_env: str | None = _f("R1DATA_API_KEY", "environment variable holding the API key")
    r1_conventions: bool = _f(
        True, "keep system prompts and do not append the boxed-answer instruction to math prompts"
    )
    timeout_s: float = _f(600.0, "seconds per request", flag="--request-timeout")
    retries: int = _f(5, "retries per request on 408/409/429/5xx, timeouts, resets")
    backoff_s: float = _f(1.0, "first retry back-off in seconds (doubles, with jitter)", flag="--backoff")
    examples: str | None = _f(help="few_shot: JSONL of worked examples (prompt, reasoning, summary)")
    shots: int | None = _f(help="few_shot: examples per prompt (default 2)")
    template: str | None = _f(help="reflect_verify/reformat/refine: another template file")
    patterns: str | None = _f(help="router: a file of trivial-prompt patterns")
    cot_template: str | None = _f(help="router: the template of prompts that get a chain of thought")
    engine: dict[str, Any] | None = _f(help="extra vllm.LLM arguments (CLI: the engine flags)", flag=None)  # noqa: RUF009

    def __post_init__(self):
        super().__post_init__()
        if isinstance(self.endpoints, str):
            self.endpoints = [self.endpoints]
        if bool(self.endpoints) == bool(self.vllm_model):
            raise ValueError(
                "generation needs exactly one of endpoints (--endpoint) or vllm_model (--vllm-model)"
            )
        if self.endpoints and not self.model:
            raise ValueError("generation from endpoints needs a model name (model / --model)")
        if self.n < 1:
            raise ValueError("n (-n) must be >= 1")
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if self.concurrency is not None and self.concurrency < 1:
            raise ValueError("concurrency must be >= 1")

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
