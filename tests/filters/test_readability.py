import json
from collections import Counter

import pytest

from r1data.filters.readability import ReadabilityConfig, check_readability
from tests.conftest import shared_file

OK = "<think>\nWe add two and two, which gives four, as expected here.\n</think>\n\nThe answer is 4."


@pytest.mark.parametrize(
    ("completion", "domain", "reasons"),
    [
        ({"text": OK}, "math", []),
        (
            {
                "text": "<think>\n"
                + " ".join(f"word{i}" for i in range(400))
                + "\n</think>\n\nThe answer is 4."
            },
            "math",
            ["long_paragraph"],
        ),
        (
            {
                "text": "<think>\nLet me code it.\n```python\nprint(4)\n```\nDone with that now.\n</think>\n\nIt is 4 now."
            },
            "math",
            ["code_block"],
        ),
        (
            {
                "text": "<think>\nLet me code it.\n```python\nprint(4)\n```\nDone with that now.\n</think>\n\nIt is 4 now."
            },
            "code",
            [],
        ),
        (
            {
                "text": "<think>\n"
                + "Wait, let me recompute the sum again carefully.\n" * 12
                + "</think>\n\nIt is 4."
            },
            "math",
            ["repetition"],
        ),
        ({"text": OK, "finish_reason": "length"}, "math", ["truncated"]),
        (
            {"text": "<think>\nWe add two and two, which gives four, so far so good and"},
            "math",
            ["truncated"],
        ),
        (
            {"text": "<think>\nWe add two and two, which gives four, as expected here.\n</think>\n\n"},
            "math",
            ["no_summary"],
        ),
        ({"text": OK + "<|im_end|>"}, "math", ["leaked_special_token"]),
        ({"text": "<think>ok</think> 4"}, "math", ["too_short"]),
    ],
)
def test_readability_reasons(completion, domain, reasons):
    assert check_readability(completion, domain)["reasons"] == reasons


def test_length_bounds_are_configurable():
    assert check_readability({"text": OK}, config=ReadabilityConfig(max_words=10))["reasons"] == ["too_long"]


def test_defaults_on_real_outputs():
    """What the defaults flag on the real files: loops and truncations of the long-CoT models, the
    base model's empty and looping outputs, Python code blocks in Qwen2.5-Math's math answers."""
    counts = {}
    for name in (
        "Sky-T1-math-correct-5K-32B-ckpts--checkpoint-140--aime24.jsonl",
        "meta-llama--Llama-3.1-8B--amc23.jsonl",
        "qwen25math7b_instruct_math_8samples.jsonl",
    ):
        c = Counter()
        for line in shared_file(f"model_outputs/{name}").read_text().splitlines():
            for text in json.loads(line)["code"]:
                c.update(check_readability({"text": text})["reasons"] or ["ok"])
        counts[name.split("--")[0][:16]] = dict(c)
    assert counts["Sky-T1-math-corr"] == {"ok": 19, "repetition": 11, "truncated": 11}
    assert counts["meta-llama"]["too_short"] == 27 and counts["meta-llama"]["leaked_special_token"] == 7
    # one degenerate sample (token soup mixing Han characters into English) is a long paragraph since
    # Han characters count as words
    assert counts["qwen25math7b_ins"] == {"ok": 790, "long_paragraph": 5, "code_block": 5}


def test_length_bounds_count_words_of_scripts_written_without_spaces():
    """A complete Chinese or Japanese chain of thought has few spaces: its length is counted by
    character, not as one or two whitespace words (it used to be dropped as too_short)."""
    zh = "<think>\n长方形的面积等于长乘以宽。长是8厘米，宽是5厘米，所以面积是40平方厘米。\n</think>\n\n面积是40平方厘米。"
    ja = "<think>\n長方形の面積は縦かける横です。八かける五は四十なので、答えは四十です。\n</think>\n\n答えは40です。"
    for text in (zh, ja):
        assert check_readability({"text": text}, "math")["reasons"] == []
    long_zh = "<think>\n" + "面积" * 400 + "\n</think>\n\n答案是40。"
    assert "long_paragraph" in check_readability({"text": long_zh}, "math")["reasons"]
