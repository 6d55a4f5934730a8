"""``r1data generate IN OUT (--endpoint URL | --vllm-model PATH) --model NAME -n K``: rollouts, resumable."""

from __future__ import annotations

import os

import orjson
from tqdm import tqdm

from r1data.io.writers import open_output


def generate_file(
    input_path: str,
    output_path: str,
    endpoints: list[str] | None,
    model: str | None,
    n: int,
    max_tokens: int = 32768,
    temperature: float = 0.6,
    top_p: float = 0.95,
    concurrency: int | None = None,
    cache_path: str | None = None,
    api_key_env: str | None = "R1DATA_API_KEY",
    timeout_s: float = 600.0,
    retries: int = 5,
    backoff_s: float = 1.0,
    r1_conventions: bool = True,
    seed: int | None = None,
    progress: bool = True,
    vllm_model: str | None = None,
    engine: dict | None = None,
    method: str = "sample",
    think_prefix: bool = False,
    **rollout_options,
) -> str:
    from r1data.generators.generate import GenerationStats, RequestCache, generate_records
    from r1data.generators.step import build_backend, build_rollout, default_concurrency, endpoint_config
    from r1data.io.readers import RecordReader

    if not os.path.isfile(input_path):
        raise FileNotFoundError(f"no such input file: {input_path}")
    if n < 1:
        raise ValueError("-n must be >= 1")
    endpoint = endpoint_config(
        endpoints, vllm_model, model, api_key_env=api_key_env, timeout_s=timeout_s, retries=retries,
        backoff_s=backoff_s,
    )  # fmt: skip
    rollout = build_rollout(method, n, r1_conventions, think_prefix, **rollout_options)
    backend = build_backend(endpoint, vllm_model, engine, model)
    cache = RequestCache(cache_path or output_path + ".cache.sqlite")
    reader = RecordReader.for_file(input_path, output_path + ".quarantine.jsonl")
    params = {"max_tokens": max_tokens, "temperature": temperature, "top_p": top_p}
    if seed is not None:
        params["seed"] = seed
    stats = GenerationStats()
    failures_path = output_path + ".failures.jsonl"
    records = (doc.metadata for doc in reader.run())
    try:
        with (
            open_output(output_path) as out,
            open(failures_path, "wb") as failures,
            tqdm(desc="generate", unit="prompt", disable=not progress) as bar,
        ):
            for record, reasons in generate_records(
                records, backend, rollout, params, cache, default_concurrency(concurrency, vllm_model), stats
            ):
                if reasons:
                    failures.write(orjson.dumps({"id": record["id"], "reasons": reasons}) + b"\n")
                else:
                    out.write(orjson.dumps(record) + b"\n")
                bar.update()
    finally:
        cache.close()
    s = stats.as_dict()
    quarantined = int(reader.stats.stats["quarantined"].total)
    return (
        f"prompts in {s['prompts_in']} → done {s['prompts_done']}, failed {s['prompts_failed']}"
        + (f" {s['failures_by_reason']}" if s["failures_by_reason"] else "")
        + f"; quarantined {quarantined} line(s)\n"
        f"requests sent {s['requests_sent']}, from cache {s['requests_cached']}; tokens in {s['tokens_prompt']}, "
        f"out {s['tokens_completion']} ({s['completion_tokens_per_s']} tokens/s)\n"
        f"output: {output_path}\nfailures: {failures_path}"
    )
