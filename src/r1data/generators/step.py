"""Pipeline step: rollouts from OpenAI-compatible endpoints or the vLLM engine (see :mod:`.generate`)."""

from __future__ import annotations

import os
from typing import Any

from r1data.core.step import R1Step, RecordStream

_ROLLOUT_OPTIONS = ("examples", "shots", "template", "patterns", "cot_template")


def build_rollout(method: str, n: int, r1_conventions: bool, think_prefix: bool, **options: Any):
    """A rollout from step/CLI options; options left at None are not passed."""
    from r1data.generators.rollouts import ROLLOUTS, RewriteRollout, RouterRollout, make_rollout

    kwargs: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    kwargs["think_prefix"] = think_prefix
    cls = ROLLOUTS.get(method)
    if cls is not None and not issubclass(cls, RewriteRollout):
        kwargs["n"] = n
    elif n != 1:
        raise ValueError(f"method {method!r} rewrites each completion once; n must be 1")
    if cls is not None and not issubclass(cls, RouterRollout):
        kwargs["r1_conventions"] = r1_conventions
    return make_rollout(method, **kwargs)


def endpoint_config(endpoints, vllm_model: str | None, model: str | None, **config: Any):
    """Check that exactly one backend is given (endpoints need a model name); the endpoint settings,
    or None for the vLLM engine. Several endpoints are routed least-busy."""
    from r1data.generators.client import EndpointConfig

    if bool(endpoints) == bool(vllm_model):
        raise ValueError(
            "generation needs exactly one of endpoints (--endpoint) or vllm_model (--vllm-model)"
        )
    if not endpoints:
        return None
    if not model:
        raise ValueError("generation from endpoints needs a model name (model / --model)")
    urls = endpoints if isinstance(endpoints, list) else [endpoints]
    return EndpointConfig(urls, model, routing="least_busy" if len(urls) > 1 else "round_robin", **config)


def build_backend(
    endpoint=None, vllm_model: str | None = None, engine: dict | None = None, model: str | None = None
):
    """A ChatClient for endpoints, or a VLLMEngine for a local model path."""
    if vllm_model:
        from r1data.generators.engine import VLLMEngine

        return VLLMEngine(vllm_model, model_name=model, **(engine or {}))
    from r1data.generators.client import ChatClient

    return ChatClient(endpoint)


def default_concurrency(concurrency: int | None, vllm_model: str | None) -> int:
    if concurrency is not None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        return concurrency
    return 1024 if vllm_model else 16


class Generate(R1Step):
    """Rollouts for every record: ``n`` samples per prompt, or another method (:mod:`.rollouts`).

    Args:
        endpoints: base URLs (…/v1) of vLLM/SGLang servers or hosted APIs; several → least-busy routing.
        vllm_model: instead of endpoints, a model path for the vLLM offline engine in this process
            (``engine``: extra ``vllm.LLM`` arguments, e.g. ``tensor_parallel_size``, ``max_model_len``).
        model: model name to request (engine: the name recorded; default the path).
        n: samples per prompt.
        method: ``sample`` | ``few_shot`` (``examples``: JSONL of prompt/reasoning/summary, ``shots``) |
            ``reflect_verify`` | ``reformat`` | ``refine`` (``template``: another template file) |
            ``router`` (``patterns``: trivial-prompt patterns file, ``cot_template``).
        think_prefix: make responses start with ``<think>\\n`` (R1 advice; endpoints: vLLM/SGLang only).
        max_tokens / temperature / top_p / seed: sampling (R1 defaults: 0.6 and 0.95).
        concurrency: requests in flight per task (default 16); engine: records per ``generate`` call
            (default 1024: vLLM schedules its own batches and wants many requests at once).
        cache_dir: where each task keeps its request cache (``<rank>.sqlite``); a relaunch resumes.
        api_key_env: environment variable holding the API key.
        r1_conventions: no system prompt; the boxed-answer instruction appended to math prompts.
        timeout_s / retries: per request.

    A record with a request that failed for good is dropped (``generation_failed_<reason>``); its
    finished requests stay cached for the next launch. Added completions are counted
    (``completions_generated``) so that the funnel still adds up.
    """

    name = "🤖 generate"

    def __init__(
        self,
        endpoints: list[str] | str | None = None,
        model: str | None = None,
        n: int = 1,
        method: str = "sample",
        vllm_model: str | None = None,
        engine: dict | None = None,
        think_prefix: bool = False,
        max_tokens: int = 32768,
        temperature: float = 0.6,
        top_p: float = 0.95,
        seed: int | None = None,
        concurrency: int | None = None,
        cache_dir: str | None = None,
        api_key_env: str | None = "R1DATA_API_KEY",
        r1_conventions: bool = True,
        timeout_s: float = 600.0,
        retries: int = 5,
        examples: str | None = None,
        shots: int | None = None,
        template: str | None = None,
        patterns: str | None = None,
        cot_template: str | None = None,
    ):
        super().__init__()
        self.endpoint = endpoint_config(
            endpoints, vllm_model, model, api_key_env=api_key_env, timeout_s=timeout_s, retries=retries
        )
        self.vllm_model, self.engine_kwargs, self.model = vllm_model, engine or {}, model
        options = dict(
            zip(_ROLLOUT_OPTIONS, (examples, shots, template, patterns, cot_template), strict=True)
        )
        self.rollout = build_rollout(method, n, r1_conventions, think_prefix, **options)
        self.concurrency, self.cache_dir = default_concurrency(concurrency, vllm_model), cache_dir
        self.params = {"max_tokens": max_tokens, "temperature": temperature, "top_p": top_p}
        if seed is not None:
            self.params["seed"] = seed

    def process(self, data):
        from r1data.generators.generate import GenerationStats, RequestCache, generate_records

        stream_of = RecordStream(data)
        cache_path = None
        if self.cache_dir:
            os.makedirs(self.cache_dir, exist_ok=True)
            cache_path = os.path.join(self.cache_dir, f"{self._rank:05d}.sqlite")
        cache, stats = RequestCache(cache_path), GenerationStats()
        backend = build_backend(self.endpoint, self.vllm_model, self.engine_kwargs, self.model)
        added = 0
        try:
            for record, reasons in generate_records(
                stream_of.records(), backend, self.rollout, self.params, cache, self.concurrency, stats
            ):
                doc = stream_of.document(record)
                if reasons:
                    self.drop_record(doc, f"generation_failed_{reasons[0]}")
                    continue
                self.stat_update("completions_generated", value=stats.completions_added - added)
                added = stats.completions_added
                yield doc
        finally:
            cache.close()
            for key in ("requests_sent", "requests_cached", "tokens_prompt", "tokens_completion"):
                self.stat_update(f"generation_{key}", value=getattr(stats, key))
            self.stat_update("generation_seconds", value=round(stats.seconds, 3))
            for reason, count in stats.failures_by_reason.items():
                self.stat_update(f"generation_request_failures_{reason}", value=count)
