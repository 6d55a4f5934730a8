"""Kill a run at points in every stage and inside finalisation, then run it again: the rerun publishes
exactly the rows and funnel of an uninterrupted run (nothing lost, nothing doubled)."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys

import pytest

from r1data.pipelines import load_recipe, run_recipe
from tests.conftest import REPO

# Call counts of one run of the recipe below (quickstart, 6 shards): records read per stage
# (41 in verify, 40 in select), rows written (40 records, then 60 rows), os.replace calls in
# finalisation (the plan, 6 shards, stats.json, the card).
_RNG = random.Random(20261201)
POINTS = [
    ("read", _RNG.randint(1, 41)),  # stage 1, while reading
    ("read", _RNG.randint(43, 81)),  # stage 2, while reading
    ("write", _RNG.randint(1, 40)),  # stage 1, while writing its hand-off records
    ("write", _RNG.randint(41, 100)),  # stage 2, while writing parquet parts
    ("rename", 1),  # while writing the finalisation plan
    ("rename", _RNG.randint(3, 7)),  # between two shard renames
    ("rename", 8),  # after the shards, while writing stats.json
    ("rename", 9),  # while writing the card
]


def _recipe():
    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    data["output"].update(max_shard_bytes=4096, rows_per_group=10)
    return data


def _published(result):
    import pyarrow.parquet as pq

    rows = []
    for shard in result.shards:
        rows += pq.read_table(f"{result.output_dir}/data/{shard}").to_pylist()
    return sorted(rows, key=lambda r: r["id"])


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    from r1data.pipelines.recipe import Recipe

    result = run_recipe(Recipe.model_validate(_recipe()), str(tmp_path_factory.mktemp("ref") / "out"))
    assert len(result.shards) == 6
    return result, _published(result)


@pytest.mark.parametrize(("point", "n"), POINTS, ids=[f"{p}-{n}" for p, n in POINTS])
def test_a_run_killed_anywhere_resumes_to_the_same_rows(tmp_path, reference, point, n):
    from r1data.pipelines.recipe import Recipe

    ref_result, ref_rows = reference
    recipe_file = tmp_path / "recipe.json"
    recipe_file.write_text(json.dumps(_recipe()))
    out = tmp_path / "out"
    killed = subprocess.run(
        [sys.executable, "-m", "tests.pipelines.kill_run", str(recipe_file), str(out), point, str(n)],
        cwd=REPO,
        capture_output=True,
        start_new_session=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    again = run_recipe(Recipe.model_validate(_recipe()), str(out))
    assert again.shards == ref_result.shards
    assert again.funnel == ref_result.funnel
    assert _published(again) == ref_rows
    assert not (out / "data" / "_parts").exists() and not (out / "data" / "_finalize.json").exists()
