"""Pipeline step: N samples per prompt from OpenAI-compatible endpoints (see :mod:`.generate`)."""

from __future__ import annotations

import os

from r1data.pipelines.step import R1Step, RecordStream


class Generate(R1Step):
    """Add ``n`` completions to every record.

    Args:
        endpoints: base URLs (…/v1) of vLLM/SGLang servers or hosted APIs; several → least-busy routing.
        model: model name to request.
        n: samples per prompt.
        max_tokens / temperature / top_p / seed: sampling (R1 defaults: 0.6 and 0.95).
        concurrency: requests in flight per task.
        cache_dir: where each task keeps its request cache (``<rank>.sqlite``); a relaunch resumes.
        api_key_env: environment variable holding the API key.
        r1_conventions: no system prompt; the boxed-answer instruction appended to math prompts.
        timeout_s / retries: per request.

    A prompt with a sample that failed for good is dropped (``generation_failed_<reason>``); its
    finished samples stay cached for the next launch. Generated completions are counted
    (``completions_generated``) so that the funnel still adds up.
    """

    name = "🤖 generate"

    def __init__(
        self,
        endpoints: list[str] | str,
        model: str,
        n: int = 1,
        max_tokens: int = 32768,
        temperature: float = 0.6,
        top_p: float = 0.95,
        seed: int | None = None,
        concurrency: int = 16,
        cache_dir: str | None = None,
        api_key_env: str | None = "R1DATA_API_KEY",
        r1_conventions: bool = True,
        timeout_s: float = 600.0,
        retries: int = 5,
        exclusion_writer=None,
    ):
        super().__init__(exclusion_writer)
        from r1data.generators.client import EndpointConfig

        self.endpoint = EndpointConfig(
            endpoints if isinstance(endpoints, list) else [endpoints],
            model,
            api_key_env=api_key_env,
            timeout_s=timeout_s,
            retries=retries,
            routing="least_busy",
        )
        if n < 1:
            raise ValueError("n must be >= 1")
        self.n, self.concurrency, self.cache_dir, self.r1_conventions = (
            n,
            concurrency,
            cache_dir,
            r1_conventions,
        )
        self.params = {"max_tokens": max_tokens, "temperature": temperature, "top_p": top_p}
        if seed is not None:
            self.params["seed"] = seed

    def process(self, data):
        from r1data.generators.client import ChatClient
        from r1data.generators.generate import GenerationStats, RequestCache, generate_records

        stream_of = RecordStream(data)
        records = stream_of.records

        cache_path = None
        if self.cache_dir:
            os.makedirs(self.cache_dir, exist_ok=True)
            cache_path = os.path.join(self.cache_dir, f"{self._rank:05d}.sqlite")
        cache, stats = RequestCache(cache_path), GenerationStats()
        try:
            for record, reasons in generate_records(
                records(),
                ChatClient(self.endpoint),
                self.n,
                self.params,
                cache,
                self.concurrency,
                self.r1_conventions,
                stats,
            ):
                doc = stream_of.document(record)
                if reasons:
                    self.drop_record(doc, f"generation_failed_{reasons[0]}")
                    continue
                self.stat_update("completions_generated", value=self.n)
                yield doc
        finally:
            cache.close()
            for key in ("requests_sent", "requests_cached", "tokens_prompt", "tokens_completion"):
                self.stat_update(f"generation_{key}", value=getattr(stats, key))
            for reason, count in stats.failures_by_reason.items():
                self.stat_update(f"generation_request_failures_{reason}", value=count)
