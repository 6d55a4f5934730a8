"""`r1data filter` as a user runs it."""

import json
import subprocess
import sys

from tests.conftest import write_jsonl

GOOD = "<think>\nWe add two and two, which gives four. Let me check it once more: yes.\n</think>\n\nThe answer is $4$."
MIXED = "<think>\nWe add two and two. 我们再检查一下这个计算是否正确。 It gives four.\n</think>\n\nThe answer is $4$."
LOOP = "<think>\n" + "Wait, let me recompute the sum again carefully.\n" * 12 + "</think>\n\nThe answer is 4."


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "r1data.cli", "filter", *args], capture_output=True, text=True, timeout=120
    )


def test_filter_contract(tmp_path):
    rows = [
        {
            "id": "a",
            "prompt": "What is 2+2?",
            "completions": [{"text": GOOD}, {"text": MIXED}, {"text": LOOP}],
            "keep": 1,
        },
        {"id": "b", "prompt": "What is 2+2?", "completions": [{"text": MIXED, "finish_reason": "stop"}]},
        "not json",
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    result = run(str(src), str(tmp_path / "out.jsonl"), "--quiet")
    assert result.returncode == 0, result.stderr
    assert "filtered 4 completions" in result.stdout and "kept 1 in 1 records, dropped 3" in result.stdout
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == ["a"] and out[0]["keep"] == 1
    (c,) = out[0]["completions"]
    assert set(c["filters"]) == {"language", "readability"}
    lang = c["filters"]["language"]
    assert (lang["target"], lang["mixed"], lang["consistency"], lang["foreign"]) == ("en", False, 1.0, [])
    assert c["filters"]["readability"] == {"ok": True, "reasons": []}
    excluded = [json.loads(line) for line in (tmp_path / "out.jsonl.excluded.jsonl").read_text().splitlines()]
    reasons = [(r["id"], c["excluded_reason"]) for r in excluded for c in r["completions"]]
    assert reasons == [("a", "language_mixed"), ("a", "readability_repetition"), ("b", "language_mixed")]
    foreign = excluded[0]["completions"][0]["filters"]["language"]["foreign"]
    assert foreign == [{"text": "我们再检查一下这个计算是否正确", "language": "zh"}]


def test_annotate_only_and_target_language(tmp_path):
    rows = [{"id": "a", "prompt": "What is 2+2?", "completions": [{"text": GOOD}, {"text": MIXED}]}]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    result = run(
        str(src), str(tmp_path / "out.jsonl"), "--quiet", "--annotate-only", "--target-language", "zh"
    )
    assert result.returncode == 0, result.stderr
    (out,) = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [c["filters"]["language"]["target"] for c in out["completions"]] == ["zh", "zh"]
    assert [c["filters"]["language"]["mixed"] for c in out["completions"]] == [True, True]
    assert not (tmp_path / "out.jsonl.excluded.jsonl").exists()
