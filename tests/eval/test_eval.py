"""r1data eval: the metrics against their formulas, votes by answer equivalence, and the real outputs of
other tools scored back to their own labels."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from r1data.cli import main as cli
from r1data.eval.metrics import majority, mean_and_se, pass_at_k, summarise
from r1data.verifiers.math_verifier import same_answer
from tests.conftest import SHARED_DATA, shared_file


@pytest.mark.parametrize(("n", "c"), [(1, 0), (1, 1), (4, 1), (4, 2), (5, 3), (8, 0), (8, 8), (16, 5)])
def test_pass_at_k_is_the_probability_over_all_draws(n, c):
    samples = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        draws = list(itertools.combinations(range(n), k))
        exact = sum(any(samples[i] for i in d) for d in draws) / len(draws)
        assert pass_at_k(n, c, k) == pytest.approx(exact)
    with pytest.raises(ValueError):
        pass_at_k(4, 5, 1)


def test_summary_on_a_literal_table():
    table = [
        {"correct": [True, False, False, False], "answers": ["4", "5", "5", "6"]},
        {"correct": [True, True, False, True], "answers": ["0.5", "\\frac12", "3", "\\frac{2}{4}"]},
        {"correct": [False, False, False, False], "answers": [None, None, None, None]},
    ]
    m = summarise(table, k=4)
    assert m["n_prompts"] == 3 and m["n_samples"] == 12 and m["k"] == 4
    assert m["pass@1"] == pytest.approx((0.25 + 0.75 + 0.0) / 3)
    assert m["pass@k"]["2"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert m["pass@k"]["4"] == pytest.approx(2 / 3)
    # prompt 1: "5" wins (2 votes, wrong); prompt 2: 0.5 = \frac12 = \frac{2}{4} win (right); prompt 3: no vote
    assert m["cons@k"] == pytest.approx(1 / 3)
    assert table[1]["majority_share"] == pytest.approx(3 / 4) and table[1]["majority_index"] == 0
    assert m["pass@1_se"] == pytest.approx(mean_and_se([0.25, 0.75, 0.0])[1])


def test_votes_group_by_equivalence_and_ties_go_to_the_earliest_group():
    assert majority(["\\frac{2}{4}", "7", "0.5", "\\dfrac12", "7"], same_answer) == (0, 0.6)
    assert majority(["3", "4", "4", "3"], same_answer) == (0, 0.5)  # tie: "3" came first
    assert majority(["x+1", "1+x", "x-1"], same_answer)[0] == 0
    assert majority([None, None], same_answer) == (None, 0.0)
    assert not same_answer("3", "4") and same_answer("3 \\pm \\sqrt{2}", "3-\\sqrt{2}, 3+\\sqrt{2}")


def _mapping(name: str) -> str:
    # SkyThought files keep the original answer in `answer` (their `gt` lost backslashes); Qwen's has `gt`
    row = json.loads(shared_file(f"model_outputs/{name}").open().readline())
    return "answer" if "answer" in row else "gt"


FILES = sorted(p.name for p in (SHARED_DATA / "model_outputs").glob("*.jsonl")) or ["(none)"]


@pytest.mark.parametrize("name", FILES)
def test_other_tools_outputs_score_back_to_their_labels_within_one_point(name, tmp_path):
    path = shared_file(f"model_outputs/{name}")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(
        f"mapping:\n  id: idx\n  prompt: question\n  reference.answer: {_mapping(name)}\n"
        "  completions: {column: code, each: text}\n"
    )
    assert cli(["eval", str(path), "--mapping", str(mapping), "--output", str(tmp_path / "ev"), "-q"]) == 0
    metrics = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    labels = [bool(s) for r in rows for s in (r["score"] if isinstance(r["score"], list) else [r["score"]])]
    assert metrics["n_samples"] == len(labels)
    assert abs(metrics["pass@1"] - sum(labels) / len(labels)) <= 0.01, (
        metrics["pass@1"],
        sum(labels) / len(labels),
    )
    assert set(metrics["pass@k"]) == {str(k) for k in range(1, len(rows[0]["code"]) + 1)}
    results = [json.loads(line) for line in (tmp_path / "ev" / "results.jsonl").read_text().splitlines()]
    assert len(results) == len(rows) and all(
        "majority_answer" in r and "verdict" in r["completions"][0] for r in results
    )
    assert (tmp_path / "ev" / "report.md").read_text().startswith("# Evaluation")


def test_benchmarks_load_as_records_with_their_templates_and_answers():
    from r1data.io.benchmarks import BENCHMARKS, benchmark_records

    root = str(SHARED_DATA)
    shared_file("math/math500_test.jsonl")
    sizes = {name: len(benchmark_records(name, data_root=root)) for name in BENCHMARKS}
    assert sizes == {
        "math500": 500,
        "aime2024": 30,
        "aime2025": 30,
        "amc2023": 40,
        "gsm8k": 1319,
        "humaneval": 164,
        "mbpp": 427,
    }
    gsm = benchmark_records("gsm8k", data_root=root)[0]
    assert gsm["reference"]["answer"] == "18" and "\\boxed{}" in gsm["prompt"]
    amc = benchmark_records("amc2023", data_root=root)[0]
    assert amc["reference"]["answer"] == "27"  # "27.0" in the file
    m500 = benchmark_records("math500", data_root=root)[0]
    assert {"subject", "level"} <= set(m500) and m500["id"].startswith("math500/")
    with pytest.raises(FileNotFoundError, match="Hub"):
        benchmark_records("aime2024", data_root="/nonexistent")


def test_records_without_completions_and_no_backend_are_refused(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "prompt": "1+1?", "reference": {"answer": "2"}}) + "\n")
    assert cli(["eval", str(path), "--output", str(tmp_path / "ev"), "-q"]) == 2
    path.write_text("not json\n")
    assert cli(["eval", str(path), "--output", str(tmp_path / "ev"), "-q"]) == 2


def test_compare_puts_evaluations_side_by_side(tmp_path):
    for model, texts in (
        ("m1", ["So \\boxed{2}.", "So \\boxed{3}."]),
        ("m2", ["So \\boxed{2}.", "So \\boxed{2}."]),
    ):
        path = tmp_path / f"{model}.jsonl"
        record = {
            "id": "a",
            "prompt": "1+1?",
            "reference": {"answer": "2"},
            "completions": [{"text": t} for t in texts],
        }
        path.write_text(json.dumps(record) + "\n")
        assert cli(["eval", str(path), "--output", str(tmp_path / model), "-q"]) == 0
    assert (
        cli(
            [
                "eval",
                "--compare",
                str(tmp_path / "m1"),
                str(tmp_path / "m2"),
                "--output",
                str(tmp_path / "cmp"),
            ]
        )
        == 0
    )
    table = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "| m1 | 50.0 (100.0) |" in table and "| m2 | 100.0 (100.0) |" in table
    assert math.isclose(json.loads((tmp_path / "m1" / "metrics.json").read_text())["pass@1"], 0.5)


def test_compare_shows_each_benchmark_in_its_own_column_and_labels_scored_files(tmp_path, capfd):
    """Five scored files of three benchmarks (from the file name, a mapping's `benchmark:`, or
    --benchmark's records): one column per benchmark; --model labels a scored file's row; --k above
    the samples warns and says what it used."""
    folders = []
    for model, bench, how in (("m1", "math500", "name"), ("m1", "aime2024", "mapping"), ("m2", "math500", "name"),
                              ("m2", "amc2023", "name"), ("m2", "aime2024", "mapping")):  # fmt: skip
        path = tmp_path / (f"{model}--{bench}.jsonl" if how == "name" else f"{model}-scores.jsonl")
        good = "So \\boxed{2}." if model == "m1" else "So \\boxed{3}."
        path.write_text(json.dumps({"i": 1, "q": "1+1?", "a": "2", "c": [good, "So \\boxed{2}."]}) + "\n")
        mapping = tmp_path / f"{model}-{bench}.yaml"
        header = f"benchmark: {bench}\n" if how == "mapping" else ""
        mapping.write_text(
            header
            + "mapping:\n  id: i\n  prompt: q\n  reference.answer: a\n  completions: {column: c, each: text}\n"
        )
        out = tmp_path / f"ev-{model}-{bench}"
        argv = ["eval", str(path), "--mapping", str(mapping), "--output", str(out), "--model", model, "-q"]
        assert cli([*argv, "--k", "8"] if model == "m1" and bench == "math500" else argv) == 0
        folders.append(str(out))
    assert "--k 8 is more than the 2 samples" in capfd.readouterr().err
    assert json.loads((tmp_path / "ev-m1-math500" / "metrics.json").read_text())["k"] == 2
    assert cli(["eval", "--compare", *folders, "--output", str(tmp_path / "cmp")]) == 0
    table = (tmp_path / "cmp" / "comparison.md").read_text().splitlines()
    assert table[0] == "| model | math500 | aime2024 | amc2023 |"
    assert table[2].startswith("| m1 | 100.0 (100.0) | 100.0 (100.0) | — |")
    assert table[3].startswith("| m2 | 50.0 (0.0) | 50.0 (0.0) | 50.0 (0.0) |")
