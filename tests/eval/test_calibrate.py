"""`r1data calibrate` round-trips a labelling sheet: drawn from the verdicts of an eval folder and of a
run folder, filled with the labels of real labelled outputs in ../shared/data (standing in for a
person), read back into metrics.json, stats.json and the card — and the measured agreement's interval
holds the agreement over every completion, labelled or not."""

from __future__ import annotations

import csv
import json

import pytest

from r1data.cli import main as cli
from tests.conftest import shared_file

MAPPING = """mapping:
  id: idx
  prompt: question
  reference.answer: gt
  completions: {column: code, each: text}
"""


def _labels(path) -> dict[tuple[str, int], bool]:
    return {
        (str(r["idx"]), i): bool(s)
        for r in map(json.loads, path.read_text().splitlines())
        for i, s in enumerate(r["score"])
    }


def _fill(sheet, labels, out):
    with open(sheet, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["human_label"] = (
            "correct" if labels[(row["record_id"], int(row["sample_index"]))] else "incorrect"
        )
    with open(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_an_eval_folder_is_calibrated_from_a_filled_sheet(tmp_path, capsys):
    path = shared_file("model_outputs/qwen25math7b_instruct_math_8samples.jsonl")
    (tmp_path / "map.yaml").write_text(MAPPING)
    out = tmp_path / "eval"
    assert cli(["eval", str(path), "--mapping", str(tmp_path / "map.yaml"), "--output", str(out), "-q"]) == 0
    assert cli(["calibrate", str(out), "--sheet", str(tmp_path / "sheet"), "--per-stratum", "40"]) == 0
    labels = _labels(path)
    rows = _fill(tmp_path / "sheet" / "sheet.csv", labels, tmp_path / "filled.csv")
    jsonl = [json.loads(x) for x in (tmp_path / "sheet" / "sheet.jsonl").read_text().splitlines()]
    assert [r["sheet_id"] for r in jsonl] == [int(r["sheet_id"]) for r in rows]
    assert all(r["prompt"] and r["completion_end"] for r in jsonl)
    assert cli(["calibrate", str(out), "--labels", str(tmp_path / "filled.csv")]) == 0
    cal = json.loads((out / "metrics.json").read_text())["human_calibration"]
    assert cal["labelled"] == len(rows) and cal["completions"] == 800
    # the stratified estimate, recomputed here from the sheet
    total = sum(s["size"] for s in cal["strata"])
    estimate = 0.0
    for s in cal["strata"]:
        members = [r for r in rows if r["stratum"] == s["stratum"]]
        agree = sum((r["label"] == "pass") == (r["human_label"] == "correct") for r in members)
        assert s["agreement"] == round(agree / len(members), 4)
        estimate += s["size"] / total * agree / len(members)
    assert cal["agreement"]["rate"] == round(estimate, 4)
    # the whole file's agreement (all 800, most never labelled) lies in the interval
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    every = [
        (c.get("correct") is True) == labels[(r["id"], i)]
        for r in results
        for i, c in enumerate(r["completions"])
    ]
    low, high = cal["agreement"]["ci95"]
    assert low <= sum(every) / len(every) <= high
    assert "agreement" in capsys.readouterr().out


def test_a_run_folder_gets_the_calibration_in_its_stats_and_card(tmp_path):
    path = shared_file("model_outputs/Sky-T1-math-corrupt-0.7-32B--amc23.jsonl")
    (tmp_path / "recipe.yaml").write_text(
        f"""name: sky
input:
  path: {path}
  mapping: {{id: idx, prompt: question, reference.answer: answer, completions: {{column: code, each: text}}}}
stages:
  - name: verify
    steps: [parse_traces, {{verify: {{domain: math}}}}]
  - name: select
    steps: [{{select: {{policy: shortest, k: 1}}}}, format_r1]
card: {{license: apache-2.0}}
"""
    )
    out = tmp_path / "out"
    assert cli(["run", str(tmp_path / "recipe.yaml"), "--output", str(out), "-q"]) == 0
    assert cli(["calibrate", str(out), "--sheet", str(tmp_path / "sheet")]) == 0
    _fill(tmp_path / "sheet" / "sheet.csv", _labels(path), tmp_path / "filled.csv")
    assert cli(["calibrate", str(out), "--labels", str(tmp_path / "filled.csv")]) == 0
    cal = json.loads((out / "stats.json").read_text())["human_calibration"]
    assert cal["labelled"] > 0 and cal["agreement"]["rate"] >= 0.9
    card = (out / "README.md").read_text()
    assert "Checked by hand (`r1data calibrate`)" in card and f"{cal['labelled']} verdicts" in card


@pytest.mark.parametrize(
    ("label", "message"),
    [("maybe", "neither correct nor incorrect"), ("", "no row has a human_label")],
)
def test_a_bad_sheet_is_one_line_and_exit_2(tmp_path, capsys, label, message):
    rows = tmp_path / "records.jsonl"
    record = {"id": "a", "domain": "math", "prompt": "1+1?", "reference": {"answer": "2"},
              "completions": [{"text": "2", "verdict": {"label": "pass", "reason": "equivalent", "verifier": "math"}}]}  # fmt: skip
    rows.write_text(json.dumps(record) + "\n")
    assert cli(["calibrate", str(rows), "--sheet", str(tmp_path / "s")]) == 0
    sheet = tmp_path / "s" / "sheet.jsonl"
    filled = [dict(json.loads(line), human_label=label) for line in sheet.read_text().splitlines()]
    sheet.write_text("".join(json.dumps(r) + "\n" for r in filled))
    capsys.readouterr()
    assert cli(["calibrate", str(rows), "--labels", str(sheet)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_source_without_verdicts_is_refused(tmp_path, capsys):
    rows = tmp_path / "plain.jsonl"
    rows.write_text(json.dumps({"id": "a", "prompt": "hi", "completions": [{"text": "hello"}]}) + "\n")
    assert cli(["calibrate", str(rows), "--sheet", str(tmp_path / "s")]) == 2
    assert "no verdicts to calibrate" in capsys.readouterr().err
