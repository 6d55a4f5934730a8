"""Near-duplicate prompts through datatrove's MinHash stages inside a recipe (English and Chinese)."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from r1data.pipelines import run_recipe
from r1data.pipelines.recipe import Recipe

PROMPTS = [
    "A train travels 270 miles in 3 hours. At the same rate, how many additional hours would it take to travel "
    "an additional 180 miles?",
    "A train travels 270 miles in 3 hours. At the same rate, how many more hours would it take to travel an "
    "additional 180 miles?",
    "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.",
    "已知集合 M={x|-3<x<1}, N={x|-1≤x<4}, 则 M∪N 等于多少？请给出详细过程。",
    "已知集合 M={x|-3<x<1}, N={x|-1≤x<4}, 则 M∪N 等于多少？请给出详细的过程。",
    "Compute the integral of x squared from zero to one.",
]


def test_near_duplicates_are_dropped_with_a_reason_and_the_funnel_adds_up(tmp_path):
    src = tmp_path / "in.jsonl"
    verdict = {"label": "pass", "reason": "equivalent", "verifier": "math"}
    src.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": str(i),
                    "prompt": p,
                    "completions": [
                        {"text": "<think>work</think>\n\n$\\boxed{4}$", "correct": True, "verdict": verdict}
                    ],
                },
                ensure_ascii=False,
            )
            for i, p in enumerate(PROMPTS)
        )
        + "\n",
        encoding="utf-8",
    )
    recipe = Recipe.model_validate(
        {
            "name": "near-dedup",
            "input": {"path": str(src)},
            "stages": [
                {"name": "parse", "steps": ["parse_traces"]},
                {"name": "dedup", "near_dedup": {"n_grams": 3}},
                {"name": "out", "steps": [{"select": {"policy": "all"}}, "format_r1"]},
            ],
        }
    )
    result = run_recipe(recipe, str(tmp_path / "out"))
    (shard,) = result.shards
    kept = sorted(pq.read_table(tmp_path / "out" / "data" / shard).column("prompt_id").to_pylist())
    assert kept == ["0", "2", "3", "5"]
    assert result.funnel["completions"]["dropped_by_reason"] == {"near_duplicate_prompt": 2}
    assert result.funnel["records"]["dropped_by_reason"] == {"near_duplicate_prompt": 2}


@pytest.mark.parametrize(
    "stages",
    [
        [{"name": "d", "near_dedup": {}}, {"name": "s", "steps": ["format_r1"]}],
        [{"name": "s", "steps": ["format_r1"]}, {"name": "d", "near_dedup": {}}],
        [{"name": "s", "steps": ["format_r1"], "near_dedup": {}}, {"name": "t", "steps": ["format_r1"]}],
    ],
)
def test_near_dedup_stage_placement_is_validated(stages):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Recipe.model_validate({"name": "x", "input": {"path": "a.jsonl"}, "stages": stages})
