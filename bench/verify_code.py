"""Sandboxed code verification throughput on HumanEval (../shared/data/code/HumanEval.jsonl.gz).

Runs the 164 canonical solutions (all must pass) and one wrong solution per task (all must fail)
through r1data's code verifier: each run is a fresh sandbox (a fork of a warm zygote with its own
mount, IPC and PID namespaces, a tmpfs root, two unprivileged uids, rlimits, seccomp). Baseline in the same run: the same programs executed by a bare ``python3`` subprocess
per task with no isolation at all (what a naive harness does), so the ratio is the price of the
sandbox.

    .venv/bin/python bench/verify_code.py [--workers N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "code" / "HumanEval.jsonl.gz"


def tasks() -> list[dict]:
    with gzip.open(DATA, "rt") as f:
        return [json.loads(line) for line in f]


def bare_run(task: dict, completion: str) -> bool:
    program = task["prompt"] + completion + "\n" + task["test"] + f"\ncheck({task['entry_point']})\n"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=20)
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"real data not found at {DATA}")
    from r1data.verifiers.pool import BoundedPool
    from r1data.verifiers.stream import iter_verified

    items = tasks()
    runs = [(t, t["canonical_solution"], True) for t in items] + [
        (t, "    return None\n", False) for t in items
    ]
    n = len(runs)

    start = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        bare = list(pool.map(lambda r: bare_run(r[0], r[1]), runs))
    bare_s = time.perf_counter() - start

    records = [
        {
            "id": t["task_id"],
            "domain": "code",
            "prompt": t["prompt"],
            "reference": {
                "tests": {
                    "kind": "functional",
                    "test": t["test"],
                    "entry_point": t["entry_point"],
                    "prefix": t["prompt"],
                }
            },
            "completions": [{"text": t["canonical_solution"]}, {"text": "    return None\n"}],
        }
        for t in items
    ]
    start = time.perf_counter()
    with BoundedPool("r1data.verifiers.code:CodeVerifier", workers=args.workers, timeout_s=60) as pool:
        done = list(iter_verified(pool, records, "code"))
    ours_s = time.perf_counter() - start
    canonical = sum(r["completions"][0]["verdict"]["label"] == "pass" for r in done)
    wrong = sum(r["completions"][1]["verdict"]["label"] == "fail" for r in done)

    print(f"HumanEval: {len(items)} tasks × (canonical + wrong) = {n} runs, {args.workers} workers")
    print(f"{'runner':<34} {'seconds':>8} {'runs/s':>8} {'ratio':>6}  result")
    print(
        f"{'bare python3 subprocess (no isolation)':<34} {bare_s:>8.2f} {n / bare_s:>8.1f} {1.0:>5.2f}x  "
        f"canonical pass {sum(bare[: len(items)])}/{len(items)}, wrong fail {len(items) - sum(bare[len(items) :])}/{len(items)}"
    )
    print(
        f"{'r1data sandbox':<34} {ours_s:>8.2f} {n / ours_s:>8.1f} {bare_s / ours_s:>5.2f}x  "
        f"canonical pass {canonical}/{len(items)}, wrong fail {wrong}/{len(items)}"
    )
    overhead_split(items[:60])


def overhead_split(items: list[dict]) -> None:
    """One worker, one run at a time: where a sandboxed run's time goes, against a bare subprocess."""
    from statistics import mean

    from r1data.verifiers.sandbox.host import Sandbox

    bare = []
    for t in items:
        start = time.perf_counter()
        bare_run(t, t["canonical_solution"])
        bare.append(time.perf_counter() - start)
    sandbox, timings = Sandbox(report_timing=True), []
    sandbox.run_functional("pass", "assert True", None, budget_s=20)  # the zygote, warm
    for t in items:
        result = sandbox.run_functional(t["canonical_solution"], t["test"], t["entry_point"],
                                        prefix=t["prompt"], budget_s=20)  # fmt: skip
        timings.append(result["timing"])
    sandbox.close()
    parts = ["cgroup", "fork_and_namespaces", "init", "root", "roles", "program_and_tests"]
    total = mean(t["host_total"] for t in timings)
    print(
        f"\noverhead split, {len(items)} canonical runs one at a time (ms per run; bare subprocess "
        f"{mean(bare) * 1000:.1f} ms, sandbox {total * 1000:.1f} ms):"
    )
    for part in parts:
        print(f"  {part:<22} {mean(t.get(part, 0) for t in timings) * 1000:7.1f}")
    rest = total - sum(mean(t.get(p, 0) for t in timings) for p in parts)
    print(f"  {'pipes, JSON, waits':<22} {rest * 1000:7.1f}")


if __name__ == "__main__":
    main()
