"""The verify step inside a datatrove pipeline: code in the sandbox, and a judge-only domain."""

from __future__ import annotations

import pytest
from datatrove.data import Document

from r1data.verifiers.verify_step import Verify
from tests.doubles.fake_chat_server import FakeChatServer


def run(step, records):
    out = list(step.run(iter([Document(text=r["prompt"], id=r["id"], metadata=r) for r in records])))
    return [d.metadata for d in out], {k: v.total for k, v in step.stats.stats.items()}


def test_code_domain_runs_in_the_sandbox_and_other_domains_pass_through():
    from r1data.verifiers.sandbox.host import Sandbox, SandboxUnavailable

    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    tests = {"kind": "stdio", "cases": [{"input": "3\n", "output": "9\n"}, {"input": "4", "output": "16"}]}
    records = [
        {
            "id": "c",
            "domain": "code",
            "prompt": "square it",
            "reference": {"tests": tests},
            "completions": [
                {"text": "<think>x</think>\n```python\nprint(int(input()) ** 2)\n```"},
                {"text": "<think>x</think>\n```python\nprint(int(input()) * 3)\n```"},
            ],
        },
        {
            "id": "m",
            "domain": "math",
            "prompt": "1+1",
            "reference": {"answer": "2"},
            "completions": [{"text": "\\boxed{2}"}],
        },
    ]
    out, stats = run(Verify(domain="code", workers=1), records)
    assert [(c["verdict"]["label"], c["verdict"]["passed"]) for c in out[0]["completions"]] == [
        ("pass", 2),
        ("fail", 1),
    ]
    assert "verdict" not in out[1]["completions"][0]
    assert stats["verdict_pass_tests_passed"] == 1 and stats["verdict_fail_tests_failed"] == 1
    assert stats["decided_by_code"] == 2


def test_a_domain_without_rules_is_decided_by_the_judge():
    def reply(prompt):
        ok = "Paris" in prompt.split("<answer>")[-1]
        return 200, '{"verdict": "%s", "reason": "r"}' % ("correct" if ok else "incorrect")

    records = [
        {
            "id": "q",
            "domain": "qa",
            "prompt": "Capital of France?",
            "reference": {"answer": "Paris"},
            "completions": [{"text": "<think>a</think>Paris"}, {"text": "<think>a</think>Rome"}],
        }
    ]
    with FakeChatServer(reply=reply) as server:
        out, stats = run(Verify(domain="qa", judge={"endpoint": server.url, "model": "j"}), records)
    assert [c["correct"] for c in out[0]["completions"]] == [True, False]
    assert stats["decided_by_judge"] == 2


def test_a_domain_without_rules_or_judge_is_a_clear_error():
    with pytest.raises(ValueError, match="no rule checker for domain 'qa'"):
        Verify(domain="qa")


def test_a_stage_warns_when_over_one_percent_of_code_verdicts_are_sandbox_failures():
    from r1data.verifiers.verify_step import sandbox_failure_warning

    assert sandbox_failure_warning({"decided_by_code": 200, "verdict_unknown_sandbox_error": 2}, "s") is None
    warning = sandbox_failure_warning(
        {"decided_by_code": 200, "verdict_unknown_sandbox_error": 3}, "stage 'v'"
    )
    assert warning.startswith("stage 'v': 3 of 200 code verdicts (1.5%) are unknown/sandbox_error")
    assert sandbox_failure_warning({"verdict_unknown_sandbox_error": 0}, "s") is None
