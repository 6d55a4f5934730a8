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


if __name__ == "__main__":
    main()
