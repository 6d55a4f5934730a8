"""An r1data output folder (a Hub-layout dataset) is an input like any other: ``path:`` reads its
``data/`` shards only, ``dataset:`` loads it as the Hub would, and a recipe can re-verify it."""

from __future__ import annotations

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
