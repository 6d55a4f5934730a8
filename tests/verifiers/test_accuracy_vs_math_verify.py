"""On every real model-output file, r1data agrees with the file's grader labels at least as often as
plain math-verify does (the labels are another grader's; disagreements are settled in
test_real_outputs.py and the README)."""

from __future__ import annotations

import json

import pytest

from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.stream import iter_verified
from tests.conftest import SHARED_DATA, shared_file

FILES = sorted(p.name for p in (SHARED_DATA / "model_outputs").glob("*.jsonl")) or ["(none)"]


def load(name):
    rows = [json.loads(line) for line in shared_file(f"model_outputs/{name}").read_text().splitlines()]
    return [
        {
            "id": str(r["idx"]),
            "domain": "math",
            "prompt": r["question"],
            "reference": {"answer": str(r["gt"])},
            "completions": [{"text": t} for t in r["code"]],
            "score": r["score"],
        }
        for r in rows
    ]


@pytest.fixture(scope="module")
def pool():
    with BoundedPool("r1data.verifiers.math_verifier:MathVerifier", timeout_s=20) as p:
        yield p


@pytest.mark.parametrize("name", FILES)
def test_at_least_as_accurate_as_plain_math_verify(name, pool):
    from math_verify import parse, verify

    records = load(name)
    labels = [bool(s) for r in records for s in r["score"]]
    plain = [
        bool(verify(parse("\\boxed{" + r["reference"]["answer"] + "}"), parse(c["text"])))
        for r in records
        for c in r["completions"]
    ]
    ours = [c["correct"] is True for r in iter_verified(pool, records, "math") for c in r["completions"]]
    plain_agree = sum(p == label for p, label in zip(plain, labels, strict=True))
    ours_agree = sum(o == label for o, label in zip(ours, labels, strict=True))
    print(f"{name}: plain math-verify {plain_agree}/{len(labels)}, r1data {ours_agree}/{len(labels)}")
    assert ours_agree >= plain_agree
