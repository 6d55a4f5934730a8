"""Math verifier v1: (reference, completion, expected verdict) tables."""

import pytest

from r1data.verifiers.math import MathChecker, boxed_contents


@pytest.fixture(scope="module")
def checker():
    return MathChecker()


def judge(checker, answer, text, **item):
    return checker.check(
        checker.prepare({"answer": answer} if answer is not None else None), {"text": text, **item}
    )


@pytest.mark.parametrize(
    ("answer", "text", "label", "reason"),
    [
        ("420", "<think>10*6*7</think>\nThe answer is $\\boxed{420}$.", "pass", "equivalent"),
        ("\\frac{1}{2}", "<think>..</think> So $\\boxed{0.5}$", "pass", "equivalent"),
        ("\\frac{1}{2}", "<think>..</think> So $\\boxed{\\dfrac12}$", "pass", "equivalent"),
        ("10{,}000", "<think>..</think> $\\boxed{10000}$", "pass", "equivalent"),
        (
            "\\left( 3, \\frac{\\pi}{2} \\right)",
            "<think>..</think> $\\boxed{(3,\\frac{\\pi}{2})}$",
            "pass",
            "equivalent",
        ),
        ("27", "<think>..</think> $\\boxed{27.0}$", "pass", "equivalent"),
        ("420", "<think>..</think> $\\boxed{421}$", "fail", "not_equivalent"),
        # the final answer is read from the summary, never from the reasoning
        ("420", "<think>maybe \\boxed{420}</think>\n\n", "fail", "answer_only_in_reasoning"),
        ("420", "<think>I give up</think>\n\n", "fail", "no_final_answer"),
        ("420", "<think>..</think> I could not finish.", "fail", "no_final_answer"),
        ("420", "<think>..</think> It is $\\boxed{420}$ or $\\boxed{210}$.", "fail", "multiple_answers"),
        # the same answer boxed twice is not a hedge; a quoted placeholder box is not an answer
        ("4", "<think>..</think> $\\boxed{4}$, i.e. $\\boxed{ 4 }$.", "pass", "equivalent"),
        ("4", "<think>..</think> $4 = \\boxed{\\phantom{2}}$ so $\\boxed{4}$", "pass", "equivalent"),
        ("420", "<think>long and unfinished \\boxed{420}", "fail", "truncated"),
        ("420", "plain CoT with no think block, \\boxed{420}", "pass", "equivalent"),
        (None, "<think>..</think> $\\boxed{420}$", "unknown", "no_reference"),
        ("   ", "<think>..</think> $\\boxed{420}$", "unknown", "no_reference"),
    ],
)
def test_verdicts(checker, answer, text, label, reason):
    v = judge(checker, answer, text)
    assert (v["label"], v["reason"]) == (label, reason)
    assert v["verifier"] == "math" and v["version"].startswith("v1+math-verify")


def test_finish_reason_length_is_truncated_even_when_a_box_is_present(checker):
    v = judge(checker, "420", "<think>..</think> $\\boxed{420}$", finish_reason="length")
    assert (v["label"], v["reason"]) == ("fail", "truncated")


def test_pre_split_items_use_the_summary_field(checker):
    gold = checker.prepare({"answer": "7"})
    assert (
        checker.check(gold, {"reasoning": "r", "summary": "$\\boxed{7}$", "closed": True})["label"] == "pass"
    )
    assert (
        checker.check(gold, {"reasoning": "\\boxed{7}", "summary": "", "closed": True})["reason"]
        == "answer_only_in_reasoning"
    )


def test_boxed_contents_balances_braces():
    assert boxed_contents("\\boxed{\\frac{a}{b}} and \\fbox{x} and \\boxed {y}") == ["\\frac{a}{b}", "x", "y"]
    assert boxed_contents("\\boxed{unclosed") == []
