"""Decontamination against the real benchmarks, and exact prompt dedup."""

from __future__ import annotations

import json
import random

import pytest
from datatrove.data import Document

from r1data.filters.decontamination import BenchmarkIndex, Decontaminate, resolve
from r1data.filters.dedup import ExactDedup
from tests.conftest import SHARED_DATA, shared_file

ALL = ["math500", "aime2024", "aime2025", "amc2023", "gsm8k_test", "humaneval", "mbpp"]


@pytest.fixture(scope="module")
def index():
    shared_file("math/math500_test.jsonl")
    return BenchmarkIndex(resolve(ALL, str(SHARED_DATA)))


def variants(text: str, rng: random.Random) -> list[str]:
    """Verbatim, whitespace-mangled, case-changed and LaTeX-respaced copies of a problem."""
    spaced = text.replace(" ", "  ").replace("\n", " \n ")
    latex = text.replace("\\frac", "\\dfrac").replace("$", "$ ").replace("{", " {").replace("\\left", "")
    return [text, spaced, text.upper() if rng.random() < 0.5 else text.lower(), latex]


def test_planted_benchmark_problems_are_all_caught_among_gsm8k_train(index):
    rng = random.Random(0)
    train = [
        json.loads(line)["question"]
        for line in shared_file("math/gsm8k_train.jsonl").read_text().splitlines()
    ]
    planted = []
    for name, rel, column in (
        ("math500", "math/math500_test.jsonl", "problem"),
        ("aime2024", "math/aime2024_test.jsonl", "problem"),
        ("aime2025", "math/aime2025_test.jsonl", "problem"),
        ("gsm8k_test", "math/gsm8k_test.jsonl", "question"),
    ):
        rows = [json.loads(line)[column] for line in shared_file(rel).read_text().splitlines()]
        for text in rng.sample(rows, min(20, len(rows))):
            planted += [(name, v) for v in variants(text, rng)]
    missed = [(name, text[:60]) for name, text in planted if name not in index.hits(text)]
    assert missed == []
    assert len(planted) == 4 * 20 * 4
    # GSM8K-train itself: 5 of 7,473 problems share a 13-gram with GSM8K-test. Read, they are template
    # twins of test problems (e.g. "A train travels 270 miles in 3 hours. At the same rate, how many
    # additional hours would it take to travel an additional 180 miles?"), so flagging them is right.
    flagged = [q for q in train if index.hits(q)]
    assert len(flagged) == 5
    assert all(index.hits(q) == {"gsm8k_test"} for q in flagged)


def test_step_drops_with_a_reason_per_benchmark_and_counts_hits(index):
    math500 = json.loads(shared_file("math/math500_test.jsonl").read_text().splitlines()[0])["problem"]
    records = [
        {"id": "clean", "prompt": "Compute the sum of the first 10 primes, then add 1 to it please."},
        {"id": "dirty", "prompt": "Here is a problem: " + math500},
    ]
    step = Decontaminate(ALL, data_dir=str(SHARED_DATA))
    step._index = index
    out = list(step.run(iter([Document(text=r["prompt"], id=r["id"], metadata=r) for r in records])))
    stats = {k: v.total for k, v in step.stats.stats.items()}
    assert [d.id for d in out] == ["clean"]
    assert stats["records_dropped_contaminated_math500"] == 1 and stats["decontam_hits_math500"] == 1

    annotate = Decontaminate(ALL, data_dir=str(SHARED_DATA), annotate_only=True)
    annotate._index = index
    out = list(
        annotate.run(iter([Document(text=r["prompt"], id=r["id"], metadata=dict(r)) for r in records]))
    )
    assert [d.metadata.get("contamination") for d in out] == [None, ["math500"]]


def test_unknown_benchmark_names_are_clear_errors():
    with pytest.raises(ValueError, match="unknown benchmark 'mmlu'"):
        resolve(["mmlu"], "/x")
    with pytest.raises(ValueError, match="needs `data_dir`"):
        resolve(["math500"])


def test_exact_dedup_keeps_the_first_normalised_prompt():
    prompts = [
        "What is $\\frac{1}{2}$ of 10?",
        "what is \\( \\dfrac12 \\) of   10 ?",
        "What is 1/3 of 10?",
        "求 $x$ 的值。",
        "求  $x$  的值。",
    ]
    step = ExactDedup()
    out = list(
        step.run(
            iter(
                [
                    Document(text=p, id=str(i), metadata={"id": str(i), "prompt": p})
                    for i, p in enumerate(prompts)
                ]
            )
        )
    )
    assert [d.id for d in out] == ["0", "2", "3"]
    assert step.stats.stats["records_dropped_duplicate_prompt"].total == 2


def test_recipe_reports_hits_per_benchmark_in_stats_and_card(tmp_path):
    from pathlib import Path

    from r1data.pipelines import run_recipe
    from r1data.pipelines.recipe import Recipe

    math500 = json.loads(shared_file("math/math500_test.jsonl").read_text().splitlines()[3])["problem"]
    verdict = {"label": "pass", "reason": "equivalent", "verifier": "math"}
    rows = [
        {
            "id": "a",
            "prompt": "Add seven and eight, then double the result, and report the final number.",
            "completions": [
                {
                    "text": "<think>7+8=15, doubled 30</think>\n\n$\\boxed{30}$",
                    "correct": True,
                    "verdict": verdict,
                }
            ],
        },
        {
            "id": "b",
            "prompt": math500,
            "completions": [
                {"text": "<think>w</think>\n\n$\\boxed{1}$", "correct": True, "verdict": verdict}
            ],
        },
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    recipe = Recipe.model_validate(
        {
            "name": "decontam",
            "input": {"path": str(src)},
            "stages": [
                {
                    "name": "clean",
                    "steps": [
                        {
                            "decontaminate": {
                                "benchmarks": ["math500", "gsm8k_test"],
                                "data_dir": str(SHARED_DATA),
                            }
                        }
                    ],
                },
                {"name": "out", "steps": [{"select": {"policy": "all"}}, "format_r1"]},
            ],
        }
    )
    result = run_recipe(recipe, str(tmp_path / "out"))
    stats = json.loads(Path(result.stats_path).read_text())
    assert stats["decontamination"] == {"math500": 1}
    assert result.funnel["records"]["dropped_by_reason"] == {"contaminated_math500": 1}
    assert "prompts that matched: `math500` (1)" in Path(result.card_path).read_text()


def test_exact_dedup_annotate_only_marks_the_first_copy():
    from r1data.filters.dedup import ExactDedup

    step = ExactDedup(annotate_only=True)
    docs = [
        Document(text=p, id=i, metadata={"id": i, "prompt": p})
        for i, p in (("a", "Same  one"), ("b", "same one"))
    ]
    out = list(step.run(iter(docs)))
    assert [d.metadata.get("duplicate_of") for d in out] == [None, "a"]


def test_near_duplicate_completions_within_a_prompt():
    from r1data.filters.dedup import CompletionDedup

    base = "First we add the two numbers together to get fifteen, then we double it to get thirty. So thirty."
    record = {
        "id": "p",
        "prompt": "q",
        "completions": [
            {"text": base},
            {"text": base.replace("thirty. So", "thirty. Hence")},
            {"text": "A different route: double each number first, 14 and 16, then add them for 30."},
        ],
    }
    step = CompletionDedup(threshold=0.6)
    (out,) = list(step.run(iter([Document(text="q", id="p", metadata=record)])))
    assert [c["text"][:9] for c in out.metadata["completions"]] == ["First we ", "A differe"]
    assert step.stats.stats["completions_dropped_duplicate_completion"].total == 1
    with pytest.raises(ValueError):
        CompletionDedup(threshold=0)
