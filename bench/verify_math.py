"""Math verification throughput on the real model outputs in ../shared/data/model_outputs.

Runs, in one process and on the same (reference, completion) pairs:
  1. plain math-verify, the way most pipelines call it: ``verify(parse(gold), parse(completion))`` per
     pair, in this process, with its default 5 s timeouts;
  2. r1data's verifier (in-process rules, then math-verify in its bounded pool for the rest) with
     1 worker;
both pinned to one core (``sched_setaffinity``; the pool's workers inherit it), so "pairs/s on one
core" is literal; then r1data again with every core. r1data is timed with a *cold* pool (starting its
worker, ~1 s of imports, is inside the timing) and a *warm* one (started before the clock, as in a
long run where the pool lives for the whole stage). Prints pairs/s, the ratio to the baseline, and agreement with the files' own grader labels.

    .venv/bin/python bench/verify_math.py [--files qwen25math7b_instruct_math_8samples.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "model_outputs"


def load(files: list[str]) -> list[dict]:
    records = []
    for name in files:
        for line in (DATA / name).read_text().splitlines():
            row = json.loads(line)
            records.append(
                {
                    "id": f"{name}:{row['idx']}",
                    "domain": "math",
                    "prompt": row["question"],
                    "reference": {"answer": str(row["gt"])},
                    "completions": [{"text": t} for t in row["code"]],
                    "score": row["score"],
                }
            )
    return records


def plain_math_verify(records: list[dict]) -> list[bool]:
    from math_verify import parse, verify

    out = []
    for rec in records:
        for c in rec["completions"]:
            gold = parse("\\boxed{" + rec["reference"]["answer"] + "}")
            out.append(bool(verify(gold, parse(c["text"]))))
    return out


def r1data_verify(records: list[dict], workers: int, warm: bool = False) -> tuple[float, list[bool | None]]:
    """Seconds and verdicts. ``warm``: the pool's workers are started (and have verified a few other
    pairs) before the clock starts, as during a long run; otherwise start-up is included."""
    import copy

    from r1data.verifiers.pool import BoundedPool
    from r1data.verifiers.stream import iter_verified

    with BoundedPool("r1data.verifiers.math_verifier:MathVerifier", workers=workers, timeout_s=10) as pool:
        if warm:
            # pairs the in-process rules cannot decide, so that they reach (and start) every worker
            warmup = [
                {
                    "id": f"w{i}",
                    "prompt": "",
                    "reference": {"answer": "\\cot x"},
                    "completions": [{"text": "\\boxed{\\frac{\\cos x}{\\sin x}}"}],
                }
                for i in range(4 * workers)
            ]
            list(iter_verified(pool, warmup, "math"))
        fresh = copy.deepcopy(records)
        t = time.perf_counter()
        done = list(iter_verified(pool, fresh, "math"))
        seconds = time.perf_counter() - t
    return seconds, [c["correct"] for rec in done for c in rec["completions"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", nargs="*", default=sorted(p.name for p in DATA.glob("*.jsonl")))
    args = parser.parse_args()
    if not DATA.exists():
        raise SystemExit(f"real data not found at {DATA}")
    records = load(args.files)
    labels = [s for rec in records for s in rec["score"]]
    n = len(labels)
    print(f"{len(records)} prompts, {n} pairs from {len(args.files)} file(s); {os.cpu_count()} cores")

    all_cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(all_cores)})
    rows = []
    t = time.perf_counter()
    base = plain_math_verify(records)
    base_s = time.perf_counter() - t
    rows.append(("plain math-verify (1 core)", base_s, base))
    for workers, cores, warm in (
        (1, {min(all_cores)}, False),
        (1, {min(all_cores)}, True),
        (1, all_cores, False),  # the worker starts on the other core while the rules run
        (len(all_cores), all_cores, True),
    ):
        os.sched_setaffinity(0, cores)
        seconds, ours = r1data_verify(records, workers, warm)
        label = f"r1data {len(cores)} core{'s' * (len(cores) > 1)}, {'warm' if warm else 'cold'} pool"
        rows.append((label, seconds, ours))

    print(f"{'verifier':<34} {'seconds':>8} {'pairs/s':>9} {'ratio':>6} {'agree w/ labels':>16}")
    for name, seconds, verdicts in rows:
        agree = sum((v is True) == bool(label) for v, label in zip(verdicts, labels, strict=True))
        print(
            f"{name:<30} {seconds:>8.2f} {n / seconds:>9.1f} {base_s / seconds:>5.2f}x "
            f"{agree:>6}/{n} ({100 * agree / n:.2f}%)"
        )


if __name__ == "__main__":
    main()
