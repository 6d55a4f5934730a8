"""One reader of a completion: the same completion, raw or already parsed by ``parse_traces``, gets the
same structural reason from every domain's verifier, the filters, the R1 format and the rewards —
they all read reasoning, summary, closedness and final answer through ``r1data.core.completion``."""

from __future__ import annotations

import pytest

from r1data.core.completion import closed, final_answer, r1_problem
from r1data.core.traces import split_trace
from r1data.filters.readability import ReadabilityConfig, check_readability
from r1data.verifiers.code import CodeVerifier
from r1data.verifiers.format_verifier import check_format
from r1data.verifiers.math_verifier import MathVerifier
from r1data.verifiers.sandbox.host import Sandbox, SandboxUnavailable

CODE = "```python\ndef f():\n    return 4\n```"
# name: (text, finish_reason) and what each reader says: math, code, readability, R1 row, format, answer
TABLE = {
    "unclosed_reasoning": (
        "<think>\nLet me compute 2+2 and then write def f(): return 4",
        "stop",
        ("fail", "truncated"),
        ("fail", "truncated"),
        "truncated",
        "unclosed_reasoning",
        "fail",
        None,
    ),
    "cut_at_the_budget": (
        f"<think>\n2+2 is 4.\n</think>\n\n$\\boxed{{4}}$ and {CODE}",
        "length",
        ("fail", "truncated"),
        ("fail", "truncated"),
        "truncated",
        None,
        "pass",
        "4",
    ),
    "no_summary": (
        "<think>\n2+2 is 4, so $\\boxed{4}$.\n</think>\n\n",
        "stop",
        ("fail", "answer_only_in_reasoning"),
        ("fail", "no_code"),
        "no_summary",
        "no_summary",
        "fail",
        None,
    ),
    "no_reasoning_markers": (
        f"The answer is $\\boxed{{4}}$.\n{CODE}",
        "stop",
        ("pass", "equivalent"),
        ("pass", "tests_passed"),
        None,
        "no_reasoning",
        "fail",
        "4",
    ),
    "sky_t1_markers": (
        "<|begin_of_thought|>\n2+2 is 4.\n<|end_of_thought|>\n<|begin_of_solution|>\n"
        f"$\\boxed{{4}}$\n{CODE}\n<|end_of_solution|>",
        "stop",
        ("pass", "equivalent"),
        ("pass", "tests_passed"),
        None,
        None,
        "fail",
        "4",
    ),
    "r1_row": (
        f"<think>\n2+2 is 4.\n</think>\n\nSo $\\boxed{{4}}$.\n{CODE}",
        "stop",
        ("pass", "equivalent"),
        ("pass", "tests_passed"),
        None,
        None,
        "pass",
        "4",
    ),
}


@pytest.fixture(scope="module")
def code_checker():
    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        pytest.skip(f"no sandbox on this machine: {exc}")
    return CodeVerifier()


def forms(text: str, finish: str) -> list[dict]:
    """The completion raw, and as ``parse_traces`` leaves it (the fields every reader takes)."""
    trace = split_trace(text)
    parsed = {"reasoning": trace.reasoning, "summary": trace.summary, "closed": trace.closed}
    return [{"text": text, "finish_reason": finish}, {"text": text, "finish_reason": finish, **parsed}]


@pytest.mark.parametrize("name", sorted(TABLE))
def test_every_reader_says_the_same_of_a_completion(name, code_checker):
    text, finish, math, code, readability, row, fmt, answer = TABLE[name]
    tests = code_checker.prepare({"tests": {"kind": "functional", "test": "assert f() == 4"}})
    config = ReadabilityConfig(min_words=1)
    for c in forms(text, finish):
        decided = MathVerifier.fast({"answer": "4"}, "What is 2+2?", c)
        if "label" not in decided:  # left to math-verify: the pool's check decides
            decided = MathVerifier().check(MathVerifier().prepare({"answer": "4"}), decided)
        assert (decided["label"], decided["reason"]) == math, (name, c.keys(), decided)
        got = code_checker.check(tests, c)
        assert (got["label"], got["reason"]) == code, (name, c.keys(), got)
        reasons = check_readability(c, "code", config)["reasons"]  # code: its blocks are allowed
        assert (reasons[0] if reasons else None) == readability, (name, reasons)
        assert r1_problem(c) == row
        assert final_answer(c) == answer
        assert closed(c) == (finish != "length" and split_trace(text).closed)
    assert check_format(text)["label"] == fmt
