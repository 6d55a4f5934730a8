"""Run a recipe and SIGKILL its process group at a chosen point (test helper for the kill tests).

``python -m tests.pipelines.kill_run RECIPE.json OUT_DIR POINT N``: the process kills itself at the
N-th call of POINT, where POINT is ``write`` (a record or row handed to a stage's writer), ``read`` (a
record read by a stage's reader), or ``rename`` (an ``os.replace`` of the output's finalisation).
"""

from __future__ import annotations

import json
import os
import signal
import sys


def kill_at(owner, attribute: str, n: int) -> None:
    original = getattr(owner, attribute)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            # the whole process group, as a scheduler or Ctrl-C would: datatrove's local executor has
            # a multiprocess manager process that would otherwise outlive the run
            os.killpg(0, signal.SIGKILL)
        return original(*args, **kwargs)

    setattr(owner, attribute, wrapper)


def main() -> None:
    recipe_path, out_dir, point, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    from datatrove.pipeline.writers.disk_base import DiskWriter

    from r1data.io import readers, writers
    from r1data.pipelines.recipe import Recipe
    from r1data.pipelines.runner import run_recipe

    if point == "write":
        kill_at(DiskWriter, "write", n)
    elif point == "read":
        kill_at(readers._ValidatingReader, "_to_document", n)
    elif point == "rename":
        kill_at(writers.os, "replace", n)
    else:
        raise SystemExit(f"unknown kill point {point}")
    with open(recipe_path) as f:
        recipe = Recipe.model_validate(json.load(f))
    run_recipe(recipe, out_dir)


if __name__ == "__main__":
    main()
