"""Generation throughput against a loopback server of known capacity, and the cost of the request cache.

The FAKE server (tests.doubles.fake_chat_server) answers each request after a fixed latency with at most
``capacity`` requests in service at once, so its maximum throughput is capacity / latency requests/s.
r1data's generation, with twice that many requests in flight (so the next one is always queued at the
server), should reach ≥ 0.95 of it. Server and client share this process (and its GIL). The checkpoint (request
cache) overhead is the same run with and without the SQLite cache.

    .venv/bin/python bench/generate.py [--prompts 200] [--n 4] [--latency 0.05] [--capacity 16]
"""

from __future__ import annotations

import sys
from pathlib import Path as _Path

sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))  # the repository: its tests.doubles

import argparse
import tempfile
import time


def run(url: str, prompts: int, n: int, concurrency: int, cache_path: str | None) -> float:
    from r1data.generators.generate import RequestCache, generate_records
    from r1data.llm.client import ChatClient, EndpointConfig

    records = [{"id": f"p{i}", "domain": "math", "prompt": f"What is {i} plus {i}?"} for i in range(prompts)]
    client = ChatClient(EndpointConfig([url], "bench", timeout_s=30))
    cache = RequestCache(cache_path)
    start = time.perf_counter()
    done = sum(
        not reasons
        for _, reasons in generate_records(
            records, client, n, {"max_tokens": 16}, cache, concurrency=concurrency
        )
    )
    seconds = time.perf_counter() - start
    cache.close()
    assert done == prompts
    return seconds


def main() -> None:
    from tests.doubles.fake_chat_server import FakeChatServer

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--n", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--capacity", type=int, default=16)
    parser.add_argument(
        "--concurrency",
        type=int,
        help="requests in flight (default: 2 × capacity, so that "
        "the server always has the next request queued)",
    )
    args = parser.parse_args()
    concurrency = args.concurrency or 2 * args.capacity
    requests = args.prompts * args.n
    max_rps = args.capacity / args.latency
    with FakeChatServer(latency_s=args.latency, max_concurrent=args.capacity) as server:
        without = run(server.url, args.prompts, args.n, concurrency, None)
        with tempfile.TemporaryDirectory() as tmp:
            with_cache = run(server.url, args.prompts, args.n, concurrency, f"{tmp}/cache.sqlite")
    print(
        f"{requests} requests, {concurrency} in flight; server capacity {args.capacity} concurrent × {args.latency * 1000:.0f} ms "
        f"= {max_rps:.0f} requests/s at most"
    )
    print(f"{'run':<28} {'seconds':>8} {'requests/s':>11} {'of maximum':>11}")
    for name, seconds in (("no request cache", without), ("with request cache", with_cache)):
        print(f"{name:<28} {seconds:>8.2f} {requests / seconds:>11.1f} {requests / seconds / max_rps:>10.1%}")
    print(f"request-cache (checkpoint) overhead: {100 * (with_cache / without - 1):+.1f}% time")


if __name__ == "__main__":
    main()
