"""Language consistency: tables, real traces, real Chinese problems, and mixtures of real sentences."""

from __future__ import annotations

import json

import pytest

from r1data.verifiers.language import LanguageConfig, detect_language, language_consistency, mask
from tests.conftest import SHARED_DATA, shared_file


@pytest.mark.parametrize(
    ("text", "target", "mixed", "foreign"),
    [
        ("Let x be the number. Then 2x + 3 = 7, so x = 2. We verify: $2 \\cdot 2 + 3 = 7$.", "en", False, []),
        ("So we add the numbers. 我们再检查一下这个计算是否正确。 The sum is $4$.", "en", True, ["zh"]),
        ("This seems like a相遇 problem, where two people move towards each other.", "en", True, ["zh"]),
        ("Wir addieren die beiden Zahlen und erhalten das Ergebnis. The answer is 4.", "en", True, ["de"]),
        ("Давайте проверим это ещё раз, чтобы убедиться. So the answer is 4.", "en", True, ["ru"]),
        ("이제 양변을 2로 나누면 답을 얻습니다. So x = 3.", "en", True, ["ko", "ko"]),  # split at the number
        # a lone foreign word in quotes, a proper name, a bracketed original are not mixing
        ('We use the term "Satz" here, as the book does. The hypotenuse is 5.', "en", False, []),
        ("Now the Euler (Эйлер) formula gives the answer directly.", "en", False, ["ru"]),
        ("我们用 Vieta 定理得到两根之和。", "zh", False, ["und"]),
        ("设 $x$ 为所求的数，则 $2x+3=7$，所以 $x=2$。我们验证一下：代入得 $7$，正确。", "zh", False, []),
        ("设 $x$ 为所求的数。Let me double check this computation again. 所以答案是 2。", "zh", True, ["en"]),
        ("まず、式を整理します。次に両辺を2で割ります。", "ja", False, []),
        # code, math, URLs, identifiers and point names carry no language
        (
            "We compute it.\n```python\nprint('bonjour tout le monde')\n```\nThen check $\\text{ist gleich}$.",
            "en",
            False,
            [],
        ),
        ("See https://example.org/über/straße for the dp_table and ABD, BCD.", "en", False, []),
    ],
)
def test_language_consistency(text, target, mixed, foreign):
    result = language_consistency(text, target)
    assert result["mixed"] is mixed, result
    assert [f["language"] for f in result["foreign"]] == foreign
    assert result["target"] == target and 0.0 <= result["consistency"] <= 1.0


def test_consistency_is_the_share_of_target_words():
    result = language_consistency("One two three four five six seven eight. 一二三四", "en")
    assert result["consistency"] == pytest.approx(8 / 12)


def test_thresholds_are_configurable():
    text = "This seems like a相遇 problem, where two people move towards each other."
    assert (
        language_consistency(text, "en", LanguageConfig(min_foreign_cjk_chars=3, min_consistency=0.5))[
            "mixed"
        ]
        is False
    )


def test_masking_keeps_prose_and_drops_math_and_code():
    masked = mask("Text $x^2$ more `code` and \\frac{1}{2} and $$y$$ end.")
    assert "x^2" not in masked and "code" not in masked and "frac" not in masked and "Text" in masked


def test_prompt_language_detection():
    assert detect_language("已知集合 $M=\\{x \\mid -3<x<1\\}$，求 $M$ 的元素个数。") == "zh"
    assert detect_language("What is $1+1$? Please reason step by step.") == "en"
    assert detect_language("Berechnen Sie die Summe der beiden Zahlen.") == "de"
    assert detect_language("$1+1$") == "en"  # nothing to detect: the default


def test_real_english_traces_drifting_into_other_scripts_are_mixed_and_the_rest_are_not():
    flagged = []
    for path in sorted((shared_file("model_outputs")).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            for i, text in enumerate(row["code"]):
                if language_consistency(text, "en")["mixed"]:
                    flagged.append((path.name.split("--")[0][:12], row["idx"], i))
    # Sky-T1 "This seems like a相遇 problem"; Qwen2.5-Math samples that end in multilingual token salad.
    # Every other of the 1,410 real traces (English, heavy in LaTeX and point names) is consistent.
    assert flagged == [
        ("Sky-T1-math-", 0, 0),
        ("qwen25math7b", 25, 1),
        ("qwen25math7b", 45, 5),
        ("qwen25math7b", 48, 3),
    ]


def test_chinese_chains_of_thought_on_real_chinese_problems_are_consistent():
    problems = []
    for path in sorted(shared_file("math/chinese").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            problems.append((row.get("question") or row.get("problem") or "", str(row.get("answer", ""))))
    chinese = [(q, a) for q, a in problems if detect_language(q) == "zh"]
    assert len(chinese) > 1500  # the rest of these files are English translations
    mixed = []
    for q, a in chinese:
        cot = f"我们先仔细读题。{q} 下面逐步分析。设所求为 $x$，根据题意列出方程并求解，再代入验证。所以答案是 ${a}$。"
        if language_consistency(cot, "zh")["mixed"]:
            mixed.append(q[:80])
    assert mixed == []


def test_precision_and_recall_on_mixtures_of_real_sentences():
    from tests.doubles.language_mixtures import DEFAULT_PAIRS, build_mixtures, evaluate

    folder = SHARED_DATA / "multilingual" / "lingua_sentences"
    shared_file("multilingual/lingua_sentences/en.txt")
    result = evaluate(build_mixtures(folder, DEFAULT_PAIRS, docs_per_pair=40, seed=1))
    assert result["precision"] >= 0.97 and result["recall"] >= 0.97, result
