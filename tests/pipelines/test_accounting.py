"""Exact accounting: every dropping step writes what it drops (rows = counters, reason by reason), the
pass rate does not depend on step order, changed inputs and empty results are not silent."""

from __future__ import annotations

import collections
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from r1data.pipelines import load_recipe, run_recipe
from r1data.pipelines.recipe import Recipe
from r1data.pipelines.registry import STEPS
from tests.conftest import REPO, record, write_jsonl

DROPPING = [
    "filter_language",
    "filter_readability",
    "dedup_exact",
    "select",
    "dedup_completions",
    "format_r1",
]


def _with_exclusions(tmp_path: Path) -> dict:
    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    s1, s2 = data["stages"][0]["steps"], data["stages"][1]["steps"]
    s1.append({"kind": "dedup_exact", "params": {}})
    s2.insert(1, {"kind": "dedup_completions", "params": {"threshold": 0.5}})
    for step in s1 + s2:
        if step["kind"] in DROPPING:
            step["params"]["exclusions"] = str(tmp_path / "excluded" / step["kind"])
    return data


def test_every_dropping_step_writes_exactly_what_it_counts(tmp_path):
    result = run_recipe(Recipe.model_validate(_with_exclusions(tmp_path)), str(tmp_path / "out"))
    stats = json.loads(Path(result.stats_path).read_text())["stages"]
    counters = {name: c for steps in stats.values() for name, c in steps.items()}
    total = 0
    for kind in DROPPING:
        module, _, cls = STEPS[kind].partition(":")
        step_class = getattr(__import__(module, fromlist=[cls]), cls)
        step_name = f"{step_class.type}: {step_class.name}"
        written_completions, written_records = collections.Counter(), collections.Counter()
        for path in (tmp_path / "excluded" / kind).glob("*.jsonl.gz"):
            with gzip.open(path, "rt") as f:
                for line in f:
                    row = json.loads(line)
                    if "dropped_reason" in row:
                        written_records[row["dropped_reason"]] += 1
                    for c in row["completions"]:
                        written_completions[c["excluded_reason"]] += 1
        counted = counters.get(step_name, {})
        expect_completions = {
            k.removeprefix("completions_dropped_"): int(v)
            for k, v in counted.items()
            if k.startswith("completions_dropped_")
        }
        expect_records = {
            k.removeprefix("records_dropped_"): int(v)
            for k, v in counted.items()
            if k.startswith("records_dropped_")
        }
        assert dict(written_completions) == expect_completions, kind
        assert dict(written_records) == expect_records, kind
        total += sum(written_completions.values())
    assert total == result.funnel["completions"]["dropped"] > 0


def test_pass_rate_does_not_depend_on_where_a_filter_runs(tmp_path):
    good = "<think>\nTwo plus two is four.\n</think>\n\nThe answer is $\\boxed{4}$."
    src = write_jsonl(
        tmp_path / "in.jsonl", [record("p", texts=(good, good.replace("four.", "four, surely.")))]
    )
    rates = []
    for order in (["filter_readability", "verify"], ["verify", "filter_readability"]):
        steps = ["parse_traces", *order, {"select": {"policy": "all"}}, "format_r1"]
        recipe = Recipe.model_validate(
            {"name": "order", "input": {"path": str(src)}, "stages": [{"name": "s", "steps": steps}]}
        )
        result = run_recipe(recipe, str(tmp_path / "-".join(order)))
        import pyarrow.parquet as pq

        rows = pq.read_table(Path(result.output_dir, "data", result.shards[0])).to_pylist()
        rates.append([(r["n_samples"], r["n_correct"], r["pass_rate"]) for r in rows])
    assert rates[0] == rates[1] == [(2, 2, 1.0), (2, 2, 1.0)]


def test_a_changed_input_is_refused_like_a_changed_recipe(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [record("p")])
    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    data["input"]["path"] = str(src)
    recipe = Recipe.model_validate(data)
    run_recipe(recipe, str(tmp_path / "out"))
    run_recipe(recipe, str(tmp_path / "out"))  # the same input: accepted
    write_jsonl(src, [record("p"), record("q")])
    with pytest.raises(FileExistsError, match="different input"):
        run_recipe(recipe, str(tmp_path / "out"))
    assert run_recipe(recipe, str(tmp_path / "out"), force=True).funnel["records"]["in"] == 2


def _cli_run(recipe_path: Path, out: Path, *flags: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "r1data.cli", "run", str(recipe_path), "--output", str(out), *flags]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_an_empty_result_or_an_all_quarantined_input_exits_non_zero(tmp_path):
    import yaml

    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n{}\n")
    data["input"]["path"] = str(bad)
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(data))
    done = _cli_run(tmp_path / "r.yaml", tmp_path / "o1")
    assert done.returncode == 3 and "every input record was quarantined (2)" in done.stderr
    assert "records      in        2 → ok 0, quarantined 2" in done.stdout  # the funnel is still printed
    data["input"]["path"] = str(write_jsonl(tmp_path / "solved.jsonl", [record("p", texts=("\\boxed{5}",))]))
    (tmp_path / "r2.yaml").write_text(yaml.safe_dump(data))
    done = _cli_run(tmp_path / "r2.yaml", tmp_path / "o2")
    assert done.returncode == 3 and "published 0 rows" in done.stderr
    assert _cli_run(tmp_path / "r2.yaml", tmp_path / "o2", "--allow-empty").returncode == 0


def test_records_output_publishes_the_records_when_asked(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [record("a"), record("b", texts=("\\boxed{5}", "\\boxed{4}"))])
    recipe = Recipe.model_validate(
        {
            "name": "records",
            "input": {"path": str(src)},
            "stages": [{"name": "v", "steps": ["verify"]}],
            "output": {"records": True},
        }
    )
    result = run_recipe(recipe, str(tmp_path / "out"))
    assert result.shards == ["train-00000-of-00001.jsonl.gz"]
    with gzip.open(Path(result.output_dir, "data", result.shards[0]), "rt") as f:
        rows = [json.loads(line) for line in f]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert [c["verdict"]["label"] for c in rows[1]["completions"]] == ["fail", "pass"]
    assert result.funnel["completions"] == {"in": 3, "kept": 3, "dropped": 0, "dropped_by_reason": {}}
