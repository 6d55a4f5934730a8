import pytest

from r1data.verifiers.format_verifier import check_format
from r1data.verifiers.rewards import accuracy_reward, format_reward


@pytest.mark.parametrize(
    ("text", "label", "reason"),
    [
        ("<think>\nreason\n</think>\n\nSummary.", "pass", "well_formed"),
        ("reason\n</think>\n\nSummary.", "pass", "well_formed"),  # opening tag written by the template
        ("  <think>r</think>s", "pass", "well_formed"),
        ("no tags at all", "fail", "no_think_block"),
        ("<think>never closed", "fail", "unclosed_think"),
        ("Intro <think>r</think> s", "fail", "think_not_at_start"),
        ("<think>a</think>b<think>c</think>d", "fail", "multiple_think_blocks"),
        ("<think>  </think>summary", "fail", "empty_reasoning"),
        ("<think>r</think>\n\n", "fail", "empty_summary"),
        ("<think>r</think>s<|im_end|>", "fail", "leaked_special_token"),
        ("<think>r<|eot_id|></think>s", "fail", "leaked_special_token"),
        ("<think>r</think>\n\n$\\boxed{4}$", "fail", "bare_summary"),
        ("<think>r</think>\n\n**\\boxed{4}**.", "fail", "bare_summary"),
    ],
)
def test_format(text, label, reason):
    v = check_format(text)
    assert (v["label"], v["reason"], v["verifier"]) == (label, reason, "format")


@pytest.mark.parametrize(
    ("text", "opened", "reason"),
    [
        ("<think>r</think> So 4.", False, "well_formed"),
        ("r</think> So 4.", False, "think_not_opened"),  # the prompt did not open the block
        ("r</think> So 4.", True, "well_formed"),  # the template wrote <think>
        ("<think>r</think> So 4.", True, "multiple_think_blocks"),  # opened twice
        ("r with no end", True, "unclosed_think"),
    ],
)
def test_format_knows_who_opened_the_block(text, opened, reason):
    assert check_format(text, opened)["reason"] == reason


def test_rewards_follow_trl_conventions():
    prompts = ["q", "q", "q", [{"role": "user", "content": "q"}]]
    completions = [
        "<think>a</think> So $\\boxed{4}$.",
        "<think>a</think> So $\\boxed{5}$.",
        "<think>a</think> So 4.",
        [{"role": "assistant", "content": "<think>a</think> It is $\\boxed{\\frac{1}{2}}$."}],
    ]
    assert accuracy_reward(prompts, completions, solution=["4", "4", None, "0.5"]) == [1.0, 0.0, None, 1.0]
    # an unreadable reference leaves the row out (None), as TRL's own accuracy reward does
    assert accuracy_reward(["q"], completions[:1], solution=["Answer is forty two."]) == [None]
    assert format_reward(prompts, completions) == [1.0, 1.0, 1.0, 1.0]
    assert format_reward(["q"], ["plain"]) == [0.0]
    # a rendered prompt that ends with <think>: the completion continues the block
    assert format_reward(["<|im_start|>assistant\n<think>\n"], ["a</think> So 4."]) == [1.0]
    assert format_reward(["q"], ["a</think> So 4."]) == [0.0]


def test_accuracy_reward_never_rewards_hacks_or_timeouts():
    completions = [
        "<think>x</think>" + "$\\boxed{7}$ " * 3000,
        "<think>x</think> $\\boxed{7}$ or $\\boxed{8}$",
        "<think>\\boxed{7}</think>",
    ]
    assert accuracy_reward(["q"] * 3, completions, answer=["7"] * 3) == [0.0, 0.0, 0.0]


def test_accuracy_reward_runs_code_in_the_sandbox():
    from r1data.verifiers.sandbox.host import Sandbox, SandboxUnavailable

    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    tests = {"kind": "functional", "test": "assert double(2) == 4\nassert double(0) == 0"}
    good = "<think>easy</think>\n```python\ndef double(x):\n    return 2 * x\n```"
    bad = "<think>easy</think>\n```python\ndef double(x):\n    return x + 2\n```"
    assert accuracy_reward(["p", "p"], [good, bad], tests=[tests, tests]) == [1.0, 0.0]
