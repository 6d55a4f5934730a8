"""End to end: the quickstart recipe on the embedded sample, loaded back with `datasets`."""

import json
import os
from pathlib import Path

import pytest

from r1data.core.funnel import format_funnel
from r1data.pipelines import load_recipe, run_recipe


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    out = tmp_path_factory.mktemp("qs") / "out"
    return run_recipe(load_recipe("recipes/quickstart.yaml"), str(out))


def test_output_is_a_hub_dataset_that_datasets_loads(quickstart, tmp_path):
    import datasets

    # a private cache: offline, `datasets` may serve another folder of the same name from its cache
    ds = datasets.load_dataset(quickstart.output_dir, cache_dir=str(tmp_path / "cache"))
    assert list(ds) == ["train"]
    train = ds["train"]
    assert quickstart.shards == ["train-00000-of-00001.parquet"]
    assert train.num_rows == quickstart.funnel["completions"]["kept"] > 0
    row = train[0]
    assert row["messages"][0]["role"] == "user" and row["messages"][1]["role"] == "assistant"
    content = row["messages"][1]["content"]
    assert content.startswith("<think>\n") and "\n</think>\n\n" in content
    assert content.endswith(row["summary"]) and "\\boxed{" in row["summary"]
    assert set(train["verdict_label"]) == {"pass"}
    # the quickstart keeps at most two per prompt and drops prompts every sample solved
    per_prompt = {}
    for pid, rate in zip(train["prompt_id"], train["pass_rate"], strict=True):
        per_prompt[pid] = per_prompt.get(pid, 0) + 1
        assert rate < 0.99
    assert max(per_prompt.values()) == 2


def test_funnel_adds_up_and_every_stage_had_work(quickstart):
    f = quickstart.funnel
    rec, comp = f["records"], f["completions"]
    assert (rec["in"], rec["ok"], rec["quarantined"]) == (43, 40, 3)
    assert rec["quarantined_by_reason"] == {"invalid_json": 1, "invalid_value": 1, "wrong_type": 1}
    assert comp["in"] == 240 == comp["kept"] + sum(comp["dropped_by_reason"].values())
    for reason in (
        "fail_not_equivalent",
        "readability_truncated",
        "fail_multiple_answers",
        "fail_no_final_answer",
        "readability_no_summary",
        "language_mixed",
        "not_selected",
        "pass_rate_above_max",
        "no_reasoning",
    ):
        assert comp["dropped_by_reason"].get(reason, 0) > 0, reason
    assert "kept 60" in format_funnel(f)


def test_stats_and_card_describe_the_run(quickstart):
    with open(quickstart.stats_path) as f:
        stats = json.load(f)
    assert stats["funnel"] == quickstart.funnel
    assert stats["provenance"]["teacher"] == {
        "r1data-sample-teacher": quickstart.funnel["completions"]["kept"]
    }
    assert set(stats["stages"]) == {"verify", "select"}
    card = Path(quickstart.card_path).read_text()
    meta = card.split("---")[1]
    assert "license: apache-2.0" in meta and "size_categories:\n- n<1K" in meta
    assert "path: data/train-*" in meta
    assert "| `readability_truncated` | 20 |" in card and "| `language_mixed` | 10 |" in card
    assert "math-verify 0.9.0" in card and "r1data-sample-teacher" in card
    assert "`invalid_json` (1)" in card


def test_quarantine_file_names_each_bad_line(quickstart):
    qdir = Path(quickstart.output_dir, "quarantine")
    lines = [json.loads(line) for p in qdir.iterdir() for line in p.read_text().splitlines()]
    assert sorted(q["reason"] for q in lines) == ["invalid_json", "invalid_value", "wrong_type"]
    assert all(q["where"].startswith("math_sample.jsonl:4") for q in lines)


def test_rerun_skips_finished_work_and_a_different_recipe_is_refused(quickstart, tmp_path):
    shard = os.path.join(quickstart.output_dir, "data", quickstart.shards[0])
    before = os.stat(shard).st_mtime_ns
    again = run_recipe(load_recipe("recipes/quickstart.yaml"), quickstart.output_dir)
    assert os.stat(shard).st_mtime_ns == before  # no stage re-ran
    assert again.funnel == quickstart.funnel
    other = load_recipe("recipes/quickstart.yaml").model_copy(update={"name": "other"})
    with pytest.raises(FileExistsError, match="different recipe"):
        run_recipe(other, quickstart.output_dir)


@pytest.mark.parametrize(("tasks", "rows_per_group", "min_shards"), [(1, 10, 10), (2, 1000, 2)])
def test_sharding_by_size_and_multiple_tasks(tmp_path, tasks, rows_per_group, min_shards):
    import datasets
    import pyarrow.parquet as pq

    from r1data.pipelines.recipe import Recipe

    data = load_recipe("recipes/quickstart.yaml").model_dump()
    data["output"].update(max_shard_bytes=4096, rows_per_group=rows_per_group)
    data["stages"][1]["steps"][0] = {"kind": "select", "params": {"policy": "all"}}
    data["executor"] = {"type": "local", "tasks": tasks, "workers": tasks}
    result = run_recipe(Recipe.model_validate(data), str(tmp_path / "out"))
    n = len(result.shards)
    assert n >= min_shards and result.shards == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    sizes = [
        pq.ParquetFile(os.path.join(result.output_dir, "data", s)).metadata.num_rows for s in result.shards
    ]
    if tasks == 1:  # every shard but the last is closed after one 10-row group pushed it past 4 KB
        assert set(sizes[:-1]) == {10}
    ds = datasets.load_dataset(result.output_dir, split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == result.funnel["completions"]["kept"]
    assert len(set(ds["id"])) == ds.num_rows
    # what the writers counted while writing (the card's figures) is what the shards hold
    from r1data.pipelines.finish import _read_provenance, row_statistics

    data_dir = os.path.join(result.output_dir, "data")
    stats = json.loads(Path(result.stats_path).read_text())
    rows, provenance = _read_provenance(data_dir, result.shards)
    assert stats["funnel"]["completions"]["kept"] == rows == ds.num_rows
    assert stats["provenance"] == provenance
    assert stats["rows"] == row_statistics(data_dir, result.shards)
    assert sorted(os.listdir(os.path.join(result.output_dir, "work", "_profiles"))) == [
        f"{rank:05d}.json" for rank in range(tasks)
    ]
