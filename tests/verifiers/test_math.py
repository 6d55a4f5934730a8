"""Math verifier: (reference, completion, expected verdict) tables, many from real model outputs."""

from __future__ import annotations

import time

import pytest

from r1data.verifiers.math_verifier import MathVerifier, boxed_contents


@pytest.fixture(scope="module")
def checker():
    return MathVerifier()


def decide(checker, answer, text, prompt=None, **item):
    """The full path: in-process rules, then math-verify for what they leave open."""
    reference = {"answer": answer} if answer is not None else None
    out = MathVerifier.fast(reference, prompt, {"text": text, **item})
    if "label" in out:
        return out
    return checker.check(checker.prepare(reference), out)


def boxed(answer: str) -> str:
    return "<think>\nwork\n</think>\n\nSo the answer is $\\boxed{" + answer + "}$."


# Spellings of a right answer that must pass (left: reference, right: what a model wrote).
EQUIVALENT = [
    ("10080", "10,\\!080"),  # thousands separator, real Qwen2.5-Math style
    ("10{,}000", "10000"),  # real: MATH-500 reference vs Qwen2.5-Math-7B output (idx 72)
    ("7425000", "7,425,000"),
    ("\\cot x", "\\frac{\\cos x}{\\sin x}"),
    ("12\\pi", "12π"),
    ("5", "5\\text{ cm}"),
    ("30", "30^\\circ"),
    ("30^\\circ", "30"),
    ("\\frac{3}{4}", "\\dfrac{3}{4}"),
    ("\\frac{1}{2}", "0.5"),
    ("0.5", "\\frac12"),
    ("50\\%", "50"),
    ("\\text{(B)}", "\\textbf{(B)}"),
    ("B", "(B)"),
    ("(C)", "\\text{(C)}"),
    ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"),  # real: MATH-500 precalculus/807
    ("x^2+2x+1", "(x+1)^2"),
    ("27", "27.0"),
    ("-\\frac{6}{4}", "-\\frac{3}{2}"),
    ("\\sqrt{2}", "\\sqrt2"),
    ("5", "x = 5"),
    ("\\$18", "18"),
    ("[-1, \\infty)", "[-1,\\infty)"),
    ("\\text{east}", "\\text{east}"),  # a word answer (real: MATH-500)
    ("12", "12^{\\mathrm{th}} \\text{ grade}"),  # real: Qwen2.5-14B on MATH-500 idx 379
]


@pytest.mark.parametrize(("reference", "answer"), EQUIVALENT)
def test_equivalent_forms_pass(checker, reference, answer):
    v = decide(checker, reference, boxed(answer))
    assert (v["label"], v["reason"]) == ("pass", "equivalent"), v


# Answers that must fail, with the reason.
MUST_FAIL = [
    ("4", boxed("4, \\frac{7}{2}"), None, "multiple_answers"),  # "r = 4, 7/2" when one value is asked
    ("4", boxed("r = 4, 7/2"), None, "multiple_answers"),
    ("4", "<think>..</think>\nIt is $\\boxed{4}$ or maybe $\\boxed{3.5}$.", None, "multiple_answers"),
    ("(1,2]", boxed("[1,2]"), None, "interval_ends"),
    ("(2,\\infty)", boxed("[2, \\infty)"), None, "interval_ends"),  # real: Qwen2.5-14B, MATH-500 idx 184
    ("[-1,\\infty)", boxed("(-1,\\infty)"), None, "interval_ends"),
    (
        "2x - y + 3z - 4 = 0",
        boxed("4x - 2y + 6z - 8 = 0"),
        "Enter your answer in the form Ax + By + Cz + D = 0, where A > 0 and $\\gcd(|A|,|B|,|C|,|D|) = 1.$",
        "normal_form",
    ),
    ("\\frac{1}{2}", boxed("0.5"), "Express your answer as a common fraction.", "normal_form"),
    ("\\frac{1}{2}", boxed("\\frac{2}{4}"), "Express your answer as a common fraction.", "normal_form"),
    ("597", boxed("\\approx 600"), None, "approximate"),
    ("20\\sqrt{3}", boxed("\\approx 34.64"), None, "approximate"),
    ("420", boxed("421"), None, "not_equivalent"),
    ("\\frac{1}{3}", boxed("0.333"), None, "not_equivalent"),
    ("B", boxed("(C)"), None, "not_equivalent"),
    ("420", "<think>long and unfinished \\boxed{420}", None, "truncated"),
    ("420", "<think>I give up</think>\n\n", None, "no_final_answer"),
    ("420", "<think>..</think> I could not finish.", None, "no_final_answer"),
    ("420", "<think>maybe \\boxed{420}</think>\n\n", None, "answer_only_in_reasoning"),
    ("420", boxed(""), None, "no_final_answer"),  # empty box
]


@pytest.mark.parametrize(("reference", "text", "prompt", "reason"), MUST_FAIL)
def test_answers_that_must_fail(checker, reference, text, prompt, reason):
    v = decide(checker, reference, text, prompt)
    assert (v["label"], v["reason"]) == ("fail", reason), v


def test_rounding_is_allowed_when_the_question_asks_for_it(checker):
    prompt = "What is the value to the nearest whole number?"
    assert decide(checker, "420", boxed("\\approx 420"), prompt)["label"] == "pass"


def test_finish_reason_length_is_truncated_even_with_a_box(checker):
    v = decide(checker, "420", boxed("420"), finish_reason="length")
    assert (v["label"], v["reason"]) == ("fail", "truncated")


@pytest.mark.parametrize(("answer", "reason"), [(None, "no_reference"), ("   ", "no_reference")])
def test_unusable_references_are_unknown_never_pass(checker, answer, reason):
    v = decide(checker, answer, boxed("420"))
    assert (v["label"], v["reason"]) == ("unknown", reason)


def test_answer_without_a_box_is_read_by_math_verify_from_the_end(checker):
    assert decide(checker, "42", "<think>..</think>\nThe final answer is $42$.")["label"] == "pass"
    assert decide(checker, "42", "<think>..</think>\nThe final answer is $41$.")["label"] == "fail"


# Reward-hacking attempts: none may pass, each must finish fast.
HACKS = [
    (
        "the right answer among several boxes",
        "7",
        "<think>x</think>" + " ".join(f"$\\boxed{{{i}}}$" for i in range(10)),
        "multiple_answers",
    ),
    ("the same box thousands of times", "7", "<think>x</think>" + "$\\boxed{7}$ " * 5000, "too_many_answers"),
    (
        "enumeration of candidates in one box",
        "7",
        boxed(", ".join(str(i) for i in range(1, 50))),
        "multiple_answers",
    ),
    (
        "huge output",
        "7",
        "<think>" + "hmm " * 500_000 + "</think>\n\n" + "blah " * 400_000 + "$\\boxed{8}$",
        "not_equivalent",
    ),
    ("MBs of braces", "7", "<think>x</think>\\boxed{" + "{" * 2_000_000, "no_final_answer"),
    ("tower of exponents", "7", boxed("2^{2^{2^{2^{2^{2^{2^{2}}}}}}}"), "degenerate_answer"),
    ("deeply nested fractions", "7", boxed("\\frac{1}{" * 40 + "2" + "}" * 40), "degenerate_answer"),
    ("(x+1)^1500", "7", boxed("(x+1)^{1500}"), "degenerate_answer"),
    (
        "reference copied into the think part only",
        "7",
        "<think>the answer is \\boxed{7}</think>\n\nDone.",
        "no_final_answer",
    ),
    ("reference only in think, empty summary", "7", "<think>\\boxed{7}</think>", "answer_only_in_reasoning"),
]


@pytest.mark.parametrize(("what", "reference", "text", "reason"), HACKS, ids=[h[0] for h in HACKS])
def test_hacks_do_not_pass_and_finish_fast(checker, what, reference, text, reason):
    start = time.monotonic()
    v = decide(checker, reference, text)
    assert (v["label"], v["reason"]) == ("fail", reason), (what, v)
    assert time.monotonic() - start < 2.0, what


def test_boxed_contents_balances_braces():
    assert boxed_contents("\\boxed{\\frac{a}{b}} and \\fbox{x} and \\boxed {y}") == ["\\frac{a}{b}", "x", "y"]
    assert boxed_contents("\\boxed{unclosed") == []


def test_pre_split_items_use_the_summary_field(checker):
    gold = {"answer": "7"}
    assert (
        MathVerifier.fast(gold, None, {"reasoning": "r", "summary": "$\\boxed{7}$", "closed": True})["label"]
        == "pass"
    )
    assert (
        MathVerifier.fast(gold, None, {"reasoning": "\\boxed{7}", "summary": "", "closed": True})["reason"]
        == "answer_only_in_reasoning"
    )


# Answers stated without a box and followed by closing remarks (confidence, re-checks, caveats,
# offers to go on): the statement before the remarks is the answer.
CLOSING = [
    ("41", "So the total is $41. All the steps check out; I'm confident in it."),
    ("(3,-7)", "Thus the vertex is (3, -7). That should be the final answer, unless I misread the problem."),
    ("9", "So the result is indeed 9."),
    ("3", "Counting again, there are three boxes in total."),
    ("21", "So she has twenty-one marbles left. I double-checked the subtraction."),
    ("720", "The number of arrangements is 720. Happy to walk through any step again if useful."),
    ("\\frac{3}{4}", "The probability is $\\frac{3}{4}$. I verified it by counting the complement."),
    ("1024", "The sum equals 1,024. Everything is consistent with the earlier estimate."),
    ("12", "Therefore the answer is 12. Let me know if you want me to elaborate on any step."),
    ("5", "x = 5.\n\nI am fairly sure this is right, since plugging it back in works."),
    ("1000.99", "So the price is 1,000.99€. That matches the receipt."),
    ("3.5", "Thus the area is 3.5 m². I double-checked it."),
]


@pytest.mark.parametrize(("reference", "summary"), CLOSING)
def test_an_unboxed_answer_followed_by_closing_remarks_is_read(checker, reference, summary):
    v = decide(checker, reference, "<think>\nwork\n</think>\n\n" + summary)
    assert (v["label"], v["reason"]) == ("pass", "equivalent"), v
    assert v["answer_from"] == "statement"
    wrong = decide(checker, "1000", "<think>\nwork\n</think>\n\n" + summary)
    assert wrong["label"] == "fail", wrong


@pytest.mark.parametrize(
    "summary",
    [
        "So x is 3 or 4. I am not sure which one is right.",
        "The answer is $x=2$ or $x=5$. Both seem plausible.",
        "Either 4 or 5 works here.",
        "The answer is",
        "Then the total becomes 4 + 5 =",
        "I could not finish the computation. I hope this helps.",
    ],
)
def test_hedges_and_unfinished_statements_still_fail(checker, summary):
    v = decide(checker, "4", "<think>\nwork\n</think>\n\n" + summary)
    assert v["label"] == "fail", v


@pytest.mark.parametrize(
    ("reference", "answer"),
    [("\\frac{1}{8}", "\\cos 20^\\circ \\cos 40^\\circ \\cos 80^\\circ"), ("42", "17+25"), ("4", "\\sqrt{16}"),
     ("256", "2^{3}\\cdot 2^{5}")],
)  # fmt: skip
def test_an_unevaluated_expression_equal_to_a_number_passes_unless_simplified_answers_are_required(
    checker, reference, answer
):
    v = decide(checker, reference, boxed(answer))
    assert (v["label"], v["reason"]) == ("pass", "equivalent"), v
    strict = MathVerifier.fast({"answer": reference}, None, {"text": boxed(answer)}, require_simplified=True)
    assert (strict["label"], strict["reason"]) == ("fail", "not_simplified"), strict
    assert decide(checker, reference + "+1" if reference.isdigit() else "7", boxed(answer))["label"] == "fail"
