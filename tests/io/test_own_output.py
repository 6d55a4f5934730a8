"""An r1data output folder (a Hub-layout dataset) is an input like any other: ``path:`` reads its
``data/`` shards only, ``dataset:`` loads it as the Hub would, and a recipe can re-verify it."""

from __future__ import annotations

import json

import pytest

from r1data.io.readers import make_reader
from r1data.pipelines import load_recipe, run_recipe
from r1data.pipelines.recipe import Recipe
from tests.conftest import REPO


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    return run_recipe(
        load_recipe(str(REPO / "recipes/quickstart.yaml")), str(tmp_path_factory.mktemp("own") / "qs")
    )


def _ids(reader):
    return sorted(doc.id for doc in reader.run())


def test_path_on_an_output_folder_reads_its_shards_only(published, tmp_path):
    kept = published.funnel["completions"]["kept"]
    ids = _ids(make_reader({"path": published.output_dir}, str(tmp_path / "q")))
    assert len(ids) == kept == len(set(ids)) and all("/" in i for i in ids)
    assert not (tmp_path / "q").exists()  # nothing of README.md, logs/, work/ was read and refused


def test_dataset_on_an_output_folder_loads_it_as_the_hub_would(published, tmp_path):
    ids = _ids(make_reader({"dataset": published.output_dir, "split": "train"}, str(tmp_path / "q")))
    assert ids == _ids(make_reader({"path": published.output_dir}, str(tmp_path / "q2")))


def test_a_recipe_re_verifies_its_own_output(published, tmp_path):
    recipe = Recipe.model_validate(
        {
            "name": "reverify",
            "input": {
                "path": published.output_dir,
                "mapping": {
                    "id": "id",
                    "messages": "messages",
                    "domain": "domain",
                    "reference.answer": "solution",
                },
            },
            "stages": [
                {"name": "again", "steps": ["from_sft", "verify", {"select": {"policy": "all"}}, "format_r1"]}
            ],
        }
    )
    result = run_recipe(recipe, str(tmp_path / "out"))
    assert result.funnel["records"]["in"] == published.funnel["completions"]["kept"]
    assert result.funnel["completions"]["kept"] == published.funnel["completions"]["kept"]


def test_an_output_folder_reads_back_without_a_mapping_and_re_verifies_whole(published, tmp_path):
    """Each published row is a record with its completion and its reference (``solution``): a recipe or
    ``r1data verify`` pointed at the folder needs no mapping, and re-verification keeps every row."""
    import json
    import subprocess
    import sys

    kept = published.funnel["completions"]["kept"]
    docs = list(make_reader({"path": published.output_dir}, str(tmp_path / "q")).run())
    record = docs[0].metadata
    assert len(record["completions"]) == 1 and record["reference"]["answer"]
    assert (
        record["completions"][0]["text"].startswith("<think>\n") and record["messages"][-1]["role"] == "user"
    )
    recipe = Recipe.model_validate(
        {
            "name": "reverify-plain",
            "input": {"path": published.output_dir},
            "stages": [{"name": "again", "steps": ["verify", {"select": {"policy": "all"}}, "format_r1"]}],
        }
    )
    result = run_recipe(recipe, str(tmp_path / "out"))
    assert result.funnel["records"]["in"] == kept == result.funnel["completions"]["kept"]
    out = tmp_path / "verified.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "r1data.cli", "verify", published.output_dir, str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr  # nothing a user cannot act on (datatrove's ${rank} warning)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == kept and all(r["completions"][0]["verdict"]["label"] == "pass" for r in rows)


def test_eval_scores_an_output_folder_as_it_is(published, tmp_path):
    """`r1data eval outputs/quickstart` (the README's line): every kept row is correct by construction."""
    from r1data.cli import main as cli

    assert cli(["eval", published.output_dir, "--output", str(tmp_path / "ev"), "-q"]) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    kept = published.funnel["completions"]["kept"]
    assert metrics["n_prompts"] == kept and metrics["pass@1"] == 1.0
