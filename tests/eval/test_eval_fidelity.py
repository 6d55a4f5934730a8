"""`r1data eval` reproduces the labels of every labelled output file in ../shared/data/model_outputs
within 0.5 points of pass@1, as a user would run it (the file, a mapping, the command).

Where a file's own reference is damaged, the labels cannot be reproduced from the file: its grader saw
the original answer. Qwen2.5-14B's MATH-500 file has such rows (its `gt` lost characters: an empty
answer for `\\text{east}`, `(+5)(b+2)` for `(a+5)(b+2)`, vectors whose row separators vanished,
`10,80` for `10,\\!080`), five of which change a verdict (idx 97, 102, 205, 298, 419): scored with the
file's `gt` eval is 1.2 points under the labels. The test scores that file as a user should, against
MATH-500's own answers (joined by problem text). Against those, three more labels are wrong, made
against the damaged `gt`: idx 198 (`10080` for `10,\\!080`), 217 (`11111111100` for
`11,\\!111,\\!111,\\!100`) and 284 (`3 + 2\\sqrt{2}, 3 - 2\\sqrt{2}` for `3 \\pm 2 \\sqrt{2}`), all
labelled wrong and right. Rows where the label itself is wrong, read and settled: Qwen2.5-14B
MATH-500 idx 184 (`[2,\\infty)` for `(2,\\infty)`, labelled correct) and Qwen2.5-Math-7B idx 72 sample 7
(`10000` for `10{,}000`, labelled wrong)."""

from __future__ import annotations

import json

import pytest

from r1data.cli import main as cli
from tests.conftest import SHARED_DATA, shared_file

FILES = sorted(p.name for p in (SHARED_DATA / "model_outputs").glob("*.jsonl")) or ["(none)"]
MAPPING = """benchmark: {benchmark}
mapping:
  id: idx
  prompt: question
  reference.answer: gt
  completions: {{column: code, each: text}}
"""
FROM_MATH500 = {"Qwen--Qwen2.5-14B-Instruct--math500.jsonl"}
WRONG_LABELS = {
    "Qwen--Qwen2.5-14B-Instruct--math500.jsonl": {(184, 0), (198, 0), (217, 0), (284, 0)},
    "qwen25math7b_instruct_math_8samples.jsonl": {(72, 7)},
}


def _with_math500_answers(rows: list[dict]) -> list[dict]:
    answers = {}
    for line in shared_file("math/math500_test.jsonl").read_text().splitlines():
        row = json.loads(line)
        answers[row["problem"].strip()] = row["answer"]
    return [{**r, "gt": answers[r["question"].strip()]} for r in rows]


@pytest.mark.parametrize("name", FILES)
def test_eval_scores_each_labelled_file_within_half_a_point_of_its_labels(name, tmp_path):
    path = shared_file(f"model_outputs/{name}")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    if name in FROM_MATH500:
        rows = _with_math500_answers(rows)
        path = tmp_path / name
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "mapping.yaml").write_text(MAPPING.format(benchmark=name.rsplit("--", 1)[-1][:-6]))
    out = tmp_path / "eval"
    assert (
        cli(["eval", str(path), "--mapping", str(tmp_path / "mapping.yaml"), "--output", str(out), "-q"]) == 0
    )
    metrics = json.loads((out / "metrics.json").read_text())
    labels = [bool(s) for r in rows for s in r["score"]]
    gap = metrics["pass@1"] - sum(labels) / len(labels)
    assert abs(gap) <= 0.005, f"{name}: eval {metrics['pass@1']:.4f} vs labels, gap {gap * 100:+.2f} points"
    disagreements = set()
    for result, row in zip((json.loads(x) for x in (out / "results.jsonl").open()), rows, strict=True):
        for i, (c, label) in enumerate(zip(result["completions"], row["score"], strict=True)):
            if (c.get("correct") is True) != bool(label):
                disagreements.add((row["idx"], i))
    assert disagreements <= WRONG_LABELS.get(name, set()), f"{name}: unsettled rows {disagreements}"
    assert metrics["protocol"]["answer"].startswith("the last \\boxed{}")
