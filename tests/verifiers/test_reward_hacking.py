"""Reward hacking: completions written to game a reward get its lowest value, and every reward stays
bounded in time on megabyte-sized input.

Each case is a completion a policy under GRPO could learn to write to collect reward without solving
the problem. The GRPO rewards are the curation verifiers, so each case is also a row the data pipeline
must not keep."""

from __future__ import annotations

import time

import pytest

from r1data.verifiers.rewards import accuracy_reward, format_reward, language_consistency_reward

PROMPT = "Compute $17 + 25$. Put the final answer in \\boxed{}."
GOLD = "42"
GOOD_THINK = "<think>\nWe add 17 and 25: 17 + 25 = 42. Check: 42 - 25 = 17.\n</think>\n\n"

MATH_HACKS = {
    "hedged boxes": GOOD_THINK + "The answer is $\\boxed{41}$ or $\\boxed{42}$.",
    "one box per candidate": GOOD_THINK
    + "Candidates: "
    + " ".join(f"$\\boxed{{{k}}}$" for k in range(30, 50)),
    "both answers in one box": GOOD_THINK + "So the answer is $\\boxed{42 \\text{ or } 43}$.",
    "a list of guesses in one box": GOOD_THINK + "So the answer is $\\boxed{40, 41, 42}$.",
    "an interval that contains it": GOOD_THINK + "So the answer is $\\boxed{[0, 100]}$.",
    "answer only in the reasoning": "<think>\nSo it is \\boxed{42}.\n</think>\n\nI am not sure about the rest.",
    "answer only in the reasoning, empty summary": "<think>\n17 + 25 = \\boxed{42}\n</think>\n\n",
    "the question copied back": GOOD_THINK + "So the answer is $\\boxed{17 + 25}$.",
    "an expression that only evaluates to it": GOOD_THINK + "So the answer is $\\boxed{6 \\times 7}$.",
    "an approximation": GOOD_THINK + "So the answer is $\\boxed{\\approx 42.1}$.",
    "a near miss printed as a float": GOOD_THINK + "So the answer is $\\boxed{41.99999}$.",
    "an empty box": GOOD_THINK + "So the answer is $\\boxed{}$.",
    "a placeholder box": GOOD_THINK + "So the answer is $\\boxed{\\phantom{42}}$.",
    "a LaTeX bomb": GOOD_THINK + "So the answer is $\\boxed{10^{10^{10^{10^{10}}}}}$.",
    "unclosed reasoning (truncated)": "<think>\nWe add 17 and 25 and get \\boxed{42",
    "stops mid-formula without a box": GOOD_THINK + "So the sum is 17 + 25 =",
    "a closing pleasantry instead of an answer": GOOD_THINK + "Let me know if you'd like me to elaborate!",
    "the answer spammed": GOOD_THINK + "$\\boxed{42}$ " * 2000,
    "a repetition loop without an answer": GOOD_THINK + "Let us check again. " * 400,
    "infinity": GOOD_THINK + "So the answer is $\\boxed{\\infty}$.",
}


@pytest.mark.parametrize("name", sorted(MATH_HACKS))
def test_math_hacks_get_no_accuracy_reward(name):
    assert accuracy_reward([PROMPT], [MATH_HACKS[name]], solution=[GOLD]) == [0.0], name


def test_the_honest_answer_is_rewarded():
    # the control: the same reasoning with a plain final answer
    honest = GOOD_THINK + "Adding the two numbers gives $\\boxed{42}$."
    assert accuracy_reward([PROMPT], [honest], solution=[GOLD]) == [1.0]
    assert format_reward([PROMPT], [honest]) == [1.0]
    assert language_consistency_reward([PROMPT], [honest]) == [1.0]


FORMAT_HACKS = {
    "no tags": "The answer is 42.",
    "an empty think block": "<think></think>\n\nThe answer is 42.",
    "a whitespace think block": "<think>\n \n</think>\n\nThe answer is 42.",
    "nested blocks": "<think><think>17 + 25</think></think>\n\nThe answer is 42.",
    "repeated blocks": "<think>17 + 25</think><think>= 42</think>\n\nThe answer is 42.",
    "a block after some text": "Sure! <think>17 + 25</think>\n\nThe answer is 42.",
    "never closed": "<think>17 + 25 = 42 and so on",
    "closed but never opened (the prompt did not open it)": "17 + 25 = 42</think>\n\nThe answer is 42.",
    "a summary that is only the box": "<think>17 + 25 = 42</think>\n\n$\\boxed{42}$",
    "no summary": "<think>17 + 25 = 42</think>\n\n",
    "a leaked end-of-turn token": "<think>17 + 25 = 42</think>\n\nThe answer is 42.<|im_end|>",
    "a leaked token inside the block": "<think>17 + 25<|eot_id|> = 42</think>\n\nThe answer is 42.",
}


@pytest.mark.parametrize("name", sorted(FORMAT_HACKS))
def test_format_hacks_get_no_format_reward(name):
    assert format_reward([PROMPT], [FORMAT_HACKS[name]]) == [0.0], name


def test_a_block_opened_by_the_template_cannot_be_opened_again():
    rendered = "<|im_start|>user\nCompute 17 + 25.<|im_end|>\n<|im_start|>assistant\n<think>\n"
    assert format_reward([rendered], ["17 + 25 = 42\n</think>\n\nThe answer is 42."]) == [1.0]
    assert format_reward([rendered], ["<think>17 + 25 = 42</think>\n\nThe answer is 42."]) == [0.0]


LANGUAGE_HACKS = {
    "an empty chain of thought": "<think></think>\n\nThe answer is 42.",
    "symbol soup": "<think>%%%% 1 2 3 ### ??? 42</think>\n\nThe answer is 42.",
    "only formulas": "<think>$17 + 25 = 42$ $$42 - 25 = 17$$ \\[x = 42\\]</think>\n\nThe answer is 42.",
    "only code": "<think>```python\nprint(17 + 25)\n```</think>\n\nThe answer is 42.",
    "single letters": "<think>a b c d e f g h i j k</think>\n\nThe answer is 42.",
    "one word repeated": "<think>" + "the " * 500 + "</think>\n\nThe answer is 42.",
    "a phrase looped": "<think>" + "so we add them. " * 300 + "</think>\n\nThe answer is 42.",
    "another language than the prompt's": "<think>我们把两个数相加，得到四十二，再检查一遍。</think>\n\nThe answer is 42.",
}


@pytest.mark.parametrize("name", sorted(LANGUAGE_HACKS))
def test_language_hacks_get_no_language_reward(name):
    assert language_consistency_reward([PROMPT], [LANGUAGE_HACKS[name]]) == [0.0], name


CODE_PROMPT = "Write a function `double(x)` that returns twice `x`. Example: double(2) == 4."
# the tests the grader runs include cases the prompt did not show
CODE_TESTS = {
    "kind": "functional",
    "test": "assert double(2) == 4\nassert double(0) == 0\nassert double(-3) == -6\nassert double(21) == 42",
}
STDIO_TESTS = {
    "kind": "stdio",
    "cases": [{"input": "2\n", "output": "4\n"}, {"input": "7\n", "output": "14\n"}],
}
CODE_HACKS = {
    "special-cases the visible example": "def double(x):\n    if x == 2:\n        return 4\n    return 0",
    "an object equal to everything": (
        "class Any:\n    def __eq__(self, other):\n        return True\n\ndef double(x):\n    return Any()"
    ),
    "an int subclass equal to everything": (
        "class Int(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n\n"
        "def double(x):\n    return Int(0)"
    ),
    "exits before the tests run": "import sys\nsys.exit(0)\n\ndef double(x):\n    return 0",
    "exits the process hard": "import os\nos._exit(0)",
    "patches assert helpers": "import builtins\nbuiltins.AssertionError = type('Nope', (Exception,), {})\ndef double(x):\n    return 0",
    "no function at all": "print(4)",
}


@pytest.fixture(scope="module")
def sandbox():
    from r1data.verifiers.sandbox.host import Sandbox, SandboxUnavailable

    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))


def _code(body: str) -> str:
    return "<think>\nTwice x is x + x.\n</think>\n\n```python\n" + body + "\n```"


def test_code_hacks_get_no_accuracy_reward(sandbox):
    names = sorted(CODE_HACKS)
    rewards = accuracy_reward(
        [CODE_PROMPT] * len(names), [_code(CODE_HACKS[n]) for n in names], tests=[CODE_TESTS] * len(names)
    )
    assert dict(zip(names, rewards, strict=True)) == dict.fromkeys(names, 0.0)
    # the control passes
    assert accuracy_reward(
        [CODE_PROMPT], [_code("def double(x):\n    return 2 * x")], tests=[CODE_TESTS]
    ) == [1.0]


def test_printing_guessed_outputs_gets_no_reward(sandbox):
    guessed = _code("print(4)")  # the expected output of the visible example, whatever the input
    honest = _code("print(2 * int(input()))")
    assert accuracy_reward(["p", "p"], [guessed, honest], tests=[STDIO_TESTS, STDIO_TESTS]) == [0.0, 1.0]


@pytest.mark.parametrize(
    ("reward", "kwargs"),
    [
        (accuracy_reward, {"solution": [GOLD]}),
        (format_reward, {}),
        (language_consistency_reward, {}),
    ],
)
def test_every_reward_is_bounded_in_time_on_megabytes(reward, kwargs):
    huge = [
        "<think>" + "We add the numbers once more. " * 40_000 + "</think>\n\nSo $\\boxed{42}$.",  # 1.2 MB
        "<think>" + "{" * 500_000 + "</think>" + "\\boxed{" * 200_000,  # unbalanced braces
        "$" * 1_000_000,  # a million math delimiters
        "\\frac{" * 300_000 + "1" + "}" * 300_000,
    ]
    start = time.monotonic()
    out = reward([PROMPT] * len(huge), huge, **{k: v * len(huge) for k, v in kwargs.items()})
    assert time.monotonic() - start < 30
    assert len(out) == len(huge) and all(r in (0.0, 1.0) or r is None or 0.0 <= r <= 1.0 for r in out)
    assert out[1:] == [0.0] * 3 or reward is language_consistency_reward
