"""Verify + select over real model outputs, and agreement with the file's own grader labels."""

import copy
import json

import pytest

from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.stream import iter_verified
from tests.conftest import shared_file

# Disagreements with the Qwen2.5-Math grader's `score`, each settled by reading the case:
# - idx 72, sample 7: "Compute 49,994 ÷ 7 + 20,006 ÷ 7", reference "10{,}000"; the completion ends with
#   \boxed{10000}. It is correct; the file's grader marked it False (it compared "10000" with
#   "10{,}000"). Our verdict is pass.
SETTLED = {("72", 7): ("pass", False)}


def load_qwen():
    path = shared_file("model_outputs/qwen25math7b_instruct_math_8samples.jsonl")
    for line in path.open():
        row = json.loads(line)
        yield {
            "id": str(row["idx"]),
            "domain": "math",
            "prompt": row["question"],
            "reference": {"answer": row["gt"]},
            "completions": [{"text": t} for t in row["code"]],
            "score": row["score"],
        }


@pytest.fixture(scope="module")
def verified():
    with BoundedPool("r1data.verifiers.math_verifier:MathVerifier", timeout_s=20) as pool:
        return list(iter_verified(pool, load_qwen(), "math"))


def test_agreement_with_the_file_labels_on_800_real_samples(verified):
    records = copy.deepcopy(verified)
    assert len(records) == 100
    disagreements = {}
    agree = 0
    for rec in records:
        for i, (c, label) in enumerate(zip(rec["completions"], rec["score"], strict=True)):
            assert c["correct"] is {"pass": True, "fail": False}.get(c["verdict"]["label"])
            if c["correct"] is label:
                agree += 1
            else:
                disagreements[(rec["id"], i)] = (c["verdict"]["label"], label)
                print(f"disagreement idx={rec['id']} sample={i}: ours={c['verdict']} file={label}")
    assert disagreements == SETTLED
    assert agree == 799


def test_verify_then_select_keeps_only_correct_real_samples(verified):
    from datatrove.data import Document

    from r1data.filters.selection import Select

    records = copy.deepcopy(verified)
    step = Select(policy="all", require_r1_format=False)
    kept = list(step.run(iter([Document(text=r["prompt"], id=r["id"], metadata=r) for r in records])))
    stats = {k: v.total for k, v in step.stats.stats.items()}
    n_kept = sum(len(d.metadata["completions"]) for d in kept)
    assert all(c["verdict"]["label"] == "pass" for d in kept for c in d.metadata["completions"])
    assert n_kept + stats["completions_dropped"] == 800
    n_pass = sum(c["correct"] is True for r in records for c in r["completions"])
    assert n_kept == n_pass
    # per-prompt pass rate is recorded and consistent with the labels we gave
    for d in kept:
        sel = d.metadata["selection"]
        assert sel["pass_rate"] == sel["n_correct"] / sel["n_samples"]
