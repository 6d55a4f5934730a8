"""The example recipe on real teacher outputs in a foreign layout, with every filter."""

import json
from pathlib import Path

from r1data.pipelines import load_recipe, run_recipe
from tests.conftest import shared_file


def test_qwen25math_curation_recipe(tmp_path, monkeypatch):
    shared_file("model_outputs/qwen25math7b_instruct_math_8samples.jsonl")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # the recipe's paths are relative to the repo
    result = run_recipe(load_recipe("recipes/examples/qwen25math_curation.yaml"), str(tmp_path / "out"))
    f = result.funnel
    assert (f["records"]["in"], f["records"]["quarantined"], f["completions"]["in"]) == (100, 0, 800)
    dropped = f["completions"]["dropped_by_reason"]
    assert f["completions"]["kept"] + sum(dropped.values()) == 800
    # 7 of these 100 MATH test problems are MATH-500 problems (5 verbatim after normalisation)
    stats = json.loads(Path(result.stats_path).read_text())
    assert stats["decontamination"] == {"math500": 7}
    assert f["records"]["dropped_by_reason"]["contaminated_math500"] == 7
    assert f["records"]["dropped_by_reason"]["near_duplicate_prompt"] == 1
    assert dropped["language_mixed"] == 3 and dropped["readability_code_block"] == 5
    # one row per prompt that kept a correct sample (policy shortest, k=1), plain CoT as the answer
    assert f["completions"]["kept"] == f["records"]["selected"] == 89
