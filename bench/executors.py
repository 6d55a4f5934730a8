"""Start-up and run time of one recipe on the local executor, Ray and Slurm, in one session.

    .venv/bin/python bench/executors.py [--recipe recipes/quickstart.yaml] [--tasks 3] [--repeats 2]

Ray: a local Ray started by the run (``ray.init`` on loopback) and stopped after it; Slurm: a one-node
cluster (``tests.doubles.slurm``, needs slurm-wlm + munge and root) started once, its start-up timed
apart. Prints wall seconds per run and the ratio to the local run; the rows are checked identical.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))  # the repository: its tests.doubles

from tests.doubles import slurm as slurm_testing

from r1data.pipelines import Recipe, load_recipe, run_recipe

EXECUTORS = {"local": {"type": "local"}, "ray": {"type": "ray"},
             "slurm": {"type": "slurm", "partition": "cpu", "poll_s": 0.5}}  # fmt: skip


def shard_bytes(out: str) -> list[bytes]:
    data = os.path.join(out, "data")
    return [
        open(os.path.join(data, n), "rb").read() for n in sorted(os.listdir(data)) if n.endswith(".parquet")
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipe", default="recipes/quickstart.yaml")
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    base = load_recipe(args.recipe).model_dump()
    root = tempfile.mkdtemp(prefix="r1data-bench-exec-")
    why = slurm_testing.missing()
    cluster = None
    if why:
        print(f"slurm: skipped ({why})")
        del EXECUTORS["slurm"]
    else:
        start = time.monotonic()
        cluster = slurm_testing.OneNodeSlurm(os.path.join(root, "slurm"), max_array_size=1001).start()
        print(
            f"one-node Slurm start-up (munged, slurmctld, slurmd → node idle): {time.monotonic() - start:.1f} s"
        )
    results: dict[str, list[float]] = {k: [] for k in EXECUTORS}
    outputs = {}
    try:
        for repeat in range(args.repeats):
            for kind, executor in EXECUTORS.items():
                data = json.loads(json.dumps(base))
                data["executor"] = {**executor, "tasks": args.tasks, "workers": args.workers}
                out = os.path.join(root, f"{kind}-{repeat}")
                start = time.monotonic()
                run_recipe(Recipe.model_validate(data), out)
                results[kind].append(time.monotonic() - start)
                outputs[kind] = shard_bytes(out)
    finally:
        if cluster is not None:
            cluster.stop()
    same = all(v == outputs["local"] for v in outputs.values())
    local = min(results["local"])
    print(f"recipe {args.recipe}, {args.tasks} tasks, {args.workers} workers, best of {args.repeats}:")
    for kind, times in results.items():
        print(
            f"  {kind:<6} {min(times):6.1f} s (runs: {', '.join(f'{t:.1f}' for t in times)})  ratio to local {min(times) / local:5.1f}×"
        )
    print(f"identical shards on every executor: {same}")


if __name__ == "__main__":
    main()
