"""Memory and throughput at scale: a quickstart-shaped recipe (parse → verify → language and
readability filters | select → R1 format) on synthetic records of realistic size (4 completions of a
few KB each per prompt), at 10K, 100K and 1M completions.

Each run is a fresh ``python`` process; a sampler thread in it reads the resident memory of the
whole process tree (the run, its datatrove task processes and verifier workers) every 0.1 s and keeps
the peak per stage. Prints, per size: peak RSS per stage, completions/s, and the ratios the
project holds itself to: peak at the largest size ≤ 1.2× peak at the smallest, and 2 tasks (2 workers)
≥ 1.7× the throughput of 1.

    .venv/bin/python bench/scale.py [--sizes 10000 100000 1000000] [--tasks 1 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

WORDS = [
    "we",
    "compute",
    "the",
    "value",
    "then",
    "check",
    "each",
    "step",
    "carefully",
    "so",
    "that",
    "the",
    "result",
    "holds",
    "for",
    "every",
    "case",
    "consider",
    "the",
    "sum",
    "of",
    "both",
    "terms",
    "and",
    "simplify",
    "the",
    "fraction",
    "before",
    "we",
    "substitute",
    "it",
    "back",
]

CHILD = r"""
import json, os, sys, threading, time
from r1data.pipelines import runner
from r1data.pipelines.recipe import Recipe

def tree_rss():
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) * 1024
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, StopIteration):
            pass
    return total

peaks, current = {}, {"stage": "start"}
def sample():
    while True:
        peaks[current["stage"]] = max(peaks.get(current["stage"], 0), tree_rss())
        time.sleep(0.1)
threading.Thread(target=sample, daemon=True).start()
original = runner._run_executor
def labelled(recipe, pipeline, logging_dir, tasks, stage):
    current["stage"] = stage
    return original(recipe, pipeline, logging_dir, tasks, stage)
runner._run_executor = labelled
from r1data.io import writers
finalize = writers.finalize_shards
def finishing(*args, **kwargs):
    current["stage"] = "finish (shards, stats, card)"
    return finalize(*args, **kwargs)
writers.finalize_shards = finishing
recipe = Recipe.model_validate(json.loads(sys.argv[1]))
start = time.monotonic()
result = runner.run_recipe(recipe, sys.argv[2])
seconds = time.monotonic() - start
print(json.dumps({"peaks": peaks, "seconds": seconds, "kept": result.funnel["completions"]["kept"]}))
"""


def trace(rng: random.Random, answer: int, right: bool) -> str:
    steps = "\n\n".join(
        " ".join(rng.choice(WORDS) for _ in range(40)) + f" giving {rng.randint(1, 99)}." for _ in range(6)
    )
    value = answer if right else answer + 1
    return f"<think>\n{steps}\n</think>\n\nWorking it through, the answer is $\\boxed{{{value}}}$."


def write_input(path: str, completions: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(completions // 4):
            answer = rng.randint(10, 10_000)
            record = {
                "id": f"s{i}",
                "domain": "math",
                "prompt": f"Problem {i}: " + " ".join(rng.choice(WORDS) for _ in range(30)) + "?",
                "reference": {"answer": str(answer)},
                "completions": [
                    {"text": trace(rng, answer, k != 3), "finish_reason": "stop"} for k in range(4)
                ],
            }
            f.write(json.dumps(record) + "\n")


def recipe(path: str, tasks: int) -> dict:
    return {
        "name": f"scale-{tasks}",
        "input": {"path": path},
        "executor": {"type": "local", "tasks": tasks, "workers": tasks},
        "stages": [
            {
                "name": "verify",
                "steps": [
                    "parse_traces",
                    {"verify": {"workers": 1}},
                    "filter_language",
                    "filter_readability",
                ],
            },
            {"name": "select", "steps": [{"select": {"policy": "shortest", "k": 2}}, "format_r1"]},
        ],
        "card": {"license": "apache-2.0"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--tasks", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="r1data-scale-") as tmp:
        for size in args.sizes:
            path = os.path.join(tmp, f"in-{size}.jsonl")
            write_input(path, size)
            mb = os.path.getsize(path) / 2**20
            for tasks in args.tasks:
                out = os.path.join(tmp, f"out-{size}-{tasks}")
                start = time.monotonic()
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, json.dumps(recipe(path, tasks)), out],
                    capture_output=True, text=True, check=True,
                    env={**os.environ, "R1DATA_PROGRESS": "0", "R1DATA_LOG_LEVEL": "WARNING"},
                )  # fmt: skip
                run = json.loads(done.stdout.strip().splitlines()[-1])
                results[(size, tasks)] = run
                peaks = ", ".join(
                    f"{stage} {v / 2**20:.0f} MB" for stage, v in run["peaks"].items() if stage != "start"
                )
                print(
                    f"{size:>9,} completions ({mb:,.0f} MB), {tasks} task(s): {size / run['seconds']:,.0f} completions/s "
                    f"({run['seconds']:.1f} s, {time.monotonic() - start:.1f} s with start-up), kept {run['kept']:,}; "
                    f"peak RSS {peaks}",
                    flush=True,
                )
                shutil_rmtree(out)
    smallest, largest = min(args.sizes), max(args.sizes)
    for tasks in args.tasks:
        small, large = results[(smallest, tasks)], results[(largest, tasks)]
        ratio = max(large["peaks"].values()) / max(small["peaks"].values())
        print(f"{tasks} task(s): peak at {largest:,} / peak at {smallest:,} = {ratio:.2f} (target ≤ 1.2)")
    if 1 in args.tasks and 2 in args.tasks:
        for size in args.sizes:
            speedup = results[(size, 1)]["seconds"] / results[(size, 2)]["seconds"]
            print(f"{size:,} completions: 2 tasks / 1 task throughput = {speedup:.2f}× (target ≥ 1.7)")


def shutil_rmtree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
