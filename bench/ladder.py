"""What a budget ladder buys: completion tokens spent per accepted sample with ``drop``, ``resample``,
``continue`` and ``close``, on one set of prompts where a share of the samples is longer than the first
budget, in one run.

The teacher is the FAKE loopback server of tests.doubles (not a model) with a ``writer``: each sample's
reasoning length is drawn from a log-normal by (prompt, seed) — a long-tailed distribution like real
long-CoT lengths — and the server cuts at ``max_tokens`` as a model does. A sample is accepted when it
ends (not cut) and the math verifier passes it (the writer's answers are right). Budgets are in the
fake server's tokens (words).

    .venv/bin/python bench/ladder.py [--prompts 300] [--first 400] [--second 1600] [--median 250] [--sigma 0.8]
"""

from __future__ import annotations

import sys
from pathlib import Path as _Path

sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))  # the repository: its tests.doubles

import argparse
import hashlib
import math
import random
import re


def make_writer(median: float, sigma: float):
    def writer(prompt: str, seed: int) -> str:
        n = int(re.search(r"What is (\d+)", prompt).group(1))
        digest = hashlib.sha256(f"{prompt}|{seed}".encode()).digest()
        rng = random.Random(digest)
        words = max(5, int(median * math.exp(sigma * rng.gauss(0, 1))))
        return (
            "<think>\n"
            + " ".join(f"w{i}" for i in range(words))
            + f"\n</think>\n\nSo the sum is $\\boxed{{{2 * n}}}$."
        )

    return writer


def run(url: str, prompts: int, ladder) -> dict:
    from r1data.generators.generate import GenerationStats, RequestCache, generate_records
    from r1data.llm.client import ChatClient, EndpointConfig
    from r1data.verifiers.math_verifier import MathVerifier

    records = [{"id": f"p{i}", "domain": "math", "prompt": f"What is {i} + {i}?", "reference": {"answer": str(2 * i)}}
               for i in range(prompts)]  # fmt: skip
    client = ChatClient(EndpointConfig([url], "bench", timeout_s=30))
    stats = GenerationStats()
    params = {"max_tokens": ladder.rungs[0], "temperature": 0.6, "seed": 0}
    accepted = 0
    for record, reasons in generate_records(
        records, client, 1, params, RequestCache(None), 16, stats, ladder=ladder
    ):
        if reasons:
            continue
        for c in record["completions"]:
            verdict = MathVerifier.fast(record["reference"], record["prompt"], c)
            accepted += verdict.get("label") == "pass"
    return {"accepted": accepted, "tokens": stats.tokens_completion, "rescue": stats.tokens_rescue,
            "cut_first": stats.truncated_by_budget.get(ladder.rungs[0], 0)}  # fmt: skip


def main() -> None:
    from tests.doubles.fake_chat_server import FakeChatServer

    from r1data.llm.ladder import Ladder

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=300)
    parser.add_argument("--first", type=int, default=400)
    parser.add_argument("--second", type=int, default=1600)
    parser.add_argument("--median", type=float, default=250)
    parser.add_argument("--sigma", type=float, default=0.8)
    args = parser.parse_args()
    ladders = {
        "drop": Ladder([args.first]),
        "resample": Ladder([args.first, args.second], "resample"),
        "continue": Ladder([args.first, args.second], "continue"),
        "close": Ladder([args.first], "close", close_tokens=64),
    }
    print(f"{args.prompts} prompts, one sample each; budgets {args.first} then {args.second}; lengths log-normal "
          f"(median {args.median:.0f}, sigma {args.sigma})")  # fmt: skip
    print(
        f"{'mode':<10} {'accepted':>9} {'tokens':>10} {'on rescues':>11} {'tokens/accepted':>16} {'vs drop':>8}"
    )
    with FakeChatServer(writer=make_writer(args.median, args.sigma)) as server:
        base = None
        for mode, ladder in ladders.items():
            r = run(server.url, args.prompts, ladder)
            per = r["tokens"] / r["accepted"] if r["accepted"] else float("inf")
            base = base or per
            print(
                f"{mode:<10} {r['accepted']:>9} {r['tokens']:>10} {r['rescue']:>11} {per:>16.1f} {per / base:>8.2f}"
            )
        print(f"samples cut at the first budget: {r['cut_first']} of {args.prompts}")


if __name__ == "__main__":
    main()
