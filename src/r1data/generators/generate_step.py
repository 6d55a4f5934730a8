"""Pipeline step: rollouts from OpenAI-compatible endpoints or the vLLM engine (see :mod:`.generate`)."""

from __future__ import annotations

import os
from typing import Any

from r1data.core.step import R1Step, RecordStream
from r1data.generators.config import GenerationConfig


def build_rollout(method: str, n: int, r1_conventions: bool, think_prefix: bool, **options: Any):
    """A rollout from the generation options; options left at None are not passed."""
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


def build_backend(config: GenerationConfig):
    """A ChatClient for endpoints, or a VLLMEngine for a local model path."""
    if config.vllm_model:
        from r1data.llm.engine import VLLMEngine

        return VLLMEngine(config.vllm_model, model_name=config.model, **(config.engine or {}))
    from r1data.llm.client import ChatClient

    return ChatClient(config.endpoint())


class Generate(R1Step):
    """Rollouts for every record: ``n`` samples per prompt, or another method (:mod:`.rollouts`).
    Parameters are the fields of :class:`~r1data.generators.config.GenerationConfig`:

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
        max_tokens / temperature / top_p / seed: sampling (R1 defaults: 0.6 and 0.95). Several
            ``max_tokens`` make a budget ladder; ``on_truncation`` (drop | continue | resample | close)
            says what a cut sample gets (:mod:`r1data.llm.ladder`).
        concurrency: requests in flight per task (default 16); engine: records per ``generate`` call
            (default 1024: vLLM schedules its own batches and wants many requests at once).
        cache_dir: where each task keeps its request cache (``<rank>.sqlite``); a relaunch resumes.
            ``cache``: one cache file instead (one task).
        api_key_env: environment variable holding the API key.
        r1_conventions: no system prompt; the boxed-answer instruction appended to math prompts.
        timeout_s / retries / backoff_s: per request.

    A record with a request that failed for good is dropped (``generation_failed_<reason>``); its
    finished requests stay cached for the next launch. Added completions are counted
    (``completions_generated``) so that the funnel still adds up.
    """

    name = "🤖 generate"
    Config = GenerationConfig

    def __init__(self, *args: Any, **params: Any):
        super().__init__(*args, **params)
        c = self.config
        self.rollout = build_rollout(c.method, c.n, c.r1_conventions, c.think_prefix, **c.rollout_options())
        self.cache_dir = c.cache_dir
        self.params = c.params()

    def process(self, data):
        from r1data.generators.generate import GenerationStats, RequestCache, generate_records

        stream_of = RecordStream(data)
        cache_path = self.config.cache
        if cache_path is None and self.cache_dir:
            os.makedirs(self.cache_dir, exist_ok=True)
            cache_path = os.path.join(self.cache_dir, f"{self._rank:05d}.sqlite")
        cache, stats = RequestCache(cache_path), GenerationStats()
        backend = build_backend(self.config)
        added = 0
        try:
            for record, reasons in generate_records(
                stream_of.records(),
                backend,
                self.rollout,
                self.params,
                cache,
                self.config.requests_at_once,
                stats,
                ladder=self.config.ladder(),
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
            for key in (
                "requests_sent",
                "requests_cached",
                "tokens_prompt",
                "tokens_completion",
                "tokens_completion_sent",
            ):
                self.stat_update(f"generation_{key}", value=getattr(stats, key))
            self.stat_update("generation_seconds", value=round(stats.seconds, 3))
            for reason, count in stats.failures_by_reason.items():
                self.stat_update(f"generation_request_failures_{reason}", value=count)
            for budget, count in stats.truncated_by_budget.items():
                self.stat_update(f"generation_truncated_at_{budget}", value=count)
            for mode, count in stats.rescued_by_mode.items():
                self.stat_update(f"generation_rescued_{mode}", value=count)
            self.stat_update("generation_tokens_rescue", value=stats.tokens_rescue)
            self.stat_update("generation_forced_close", value=stats.forced_close)
            self.stat_update("generation_samples", value=stats.samples)
