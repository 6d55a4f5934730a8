"""Write the embedded sample, ``src/r1data/sample/math_sample.jsonl`` (our own text, no external data).

40 math prompts with exact reference answers and 6 completions each, in long chain-of-thought style.
Each prompt gets a *profile* that decides which kinds of completion it receives, so that every stage
of the funnel has work: correct traces (several answer spellings), wrong, hedged (two different boxed
answers), truncated (``finish_reason: length``), no final answer, no summary (answer only inside
``<think>``), a mixed-language trace, Sky-T1 markers, and plain CoT without reasoning markers. Three
malformed lines at the end exercise the quarantine.

Run ``python scripts/make_sample.py`` to regenerate; the output is deterministic.
"""

from __future__ import annotations

import json
import math
import random
from fractions import Fraction
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "r1data" / "sample" / "math_sample.jsonl"
TEACHER = "r1data-sample-teacher"


def latex(value) -> str:
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        sign = "-" if value < 0 else ""
        return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"
    return str(value)


def alt_latex(value) -> str:
    """Another correct spelling of the same answer (\\dfrac, a decimal, a thousands separator)."""
    if isinstance(value, Fraction) and value.denominator != 1:
        if value.denominator in (2, 4, 5, 8, 10, 20, 25):
            return str(float(value))
        return latex(value).replace("\\frac", "\\dfrac")
    if isinstance(value, int) and value >= 1000:
        return f"{value:,}".replace(",", "{,}")
    return latex(value)


# Problem families: (prompt, answer, steps of a correct solution, a plausible wrong answer) ---------


def arithmetic_series(rng):
    n = rng.randint(8, 40)
    a, d = rng.randint(1, 9), rng.randint(2, 7)
    last = a + (n - 1) * d
    total = n * (a + last) // 2 if n * (a + last) % 2 == 0 else Fraction(n * (a + last), 2)
    prompt = f"What is the sum of the arithmetic sequence $ {a}, {a + d}, {a + 2 * d}, \\ldots, {last} $?"
    steps = [
        f"The first term is ${a}$ and the common difference is ${d}$.",
        f"The last term is ${last}$, so the number of terms satisfies ${a} + (n-1)\\cdot {d} = {last}$, "
        f"which gives $n = {n}$.",
        f"The sum of an arithmetic sequence is the number of terms times the average of the first and "
        f"last terms: $S = \\frac{{{n}({a} + {last})}}{{2}} = \\frac{{{n} \\cdot {a + last}}}{{2}}$.",
        f"Computing, ${n} \\cdot {a + last} = {n * (a + last)}$, and half of that is ${latex(total)}$.",
    ]
    return prompt, total, steps, total + d


def linear_equation(rng):
    a, b = rng.randint(2, 9), rng.randint(-20, 20)
    c = rng.randint(-30, 30)
    x = Fraction(c - b, a)
    prompt = f"Solve for $x$: ${a}x {'+' if b >= 0 else '-'} {abs(b)} = {c}$. Express your answer as a common fraction if needed."
    steps = [
        f"I need to isolate $x$. Subtracting ${b}$ from both sides gives ${a}x = {c} - ({b}) = {c - b}$.",
        f"Dividing both sides by ${a}$: $x = \\frac{{{c - b}}}{{{a}}}$.",
        f"Simplifying the fraction gives $x = {latex(x)}$.",
    ]
    return prompt, x, steps, Fraction(c + b, a)


def binomial(rng):
    n, k = rng.randint(6, 14), rng.randint(2, 4)
    value = math.comb(n, k)
    prompt = f"A club has {n} members. In how many ways can a committee of {k} members be chosen?"
    steps = [
        f"The order of the committee members does not matter, so this is a combination: $\\binom{{{n}}}{{{k}}}$.",
        f"$\\binom{{{n}}}{{{k}}} = \\frac{{{n}!}}{{{k}!\\,{n - k}!}}$.",
        "Expanding the top factors: $"
        + " \\cdot ".join(str(n - i) for i in range(k))
        + f" = {math.perm(n, k)}$, and $"
        + f"{k}! = {math.factorial(k)}$.",
        f"So the count is $\\frac{{{math.perm(n, k)}}}{{{math.factorial(k)}}} = {value}$.",
    ]
    return prompt, value, steps, math.perm(n, k)


def right_triangle(rng):
    m, n = rng.randint(2, 5), rng.randint(1, 3)
    m = max(m, n + 1)
    a, b, c = m * m - n * n, 2 * m * n, m * m + n * n
    area = Fraction(a * b, 2)
    prompt = (
        f"A right triangle has legs of length ${a}$ and ${b}$. What is the sum of its area and the "
        f"length of its hypotenuse?"
    )
    steps = [
        f"The hypotenuse is $\\sqrt{{{a}^2 + {b}^2}} = \\sqrt{{{a * a} + {b * b}}} = \\sqrt{{{c * c}}} = {c}$.",
        f"The area is $\\frac{{1}}{{2}} \\cdot {a} \\cdot {b} = {latex(area)}$.",
        f"Adding them: ${latex(area)} + {c} = {latex(area + c)}$.",
    ]
    return prompt, area + c, steps, a * b + c


def gcd_lcm(rng):
    g = rng.randint(2, 12)
    x, y = g * rng.randint(2, 9), g * rng.randint(2, 9)
    while math.gcd(x, y) == max(x, y):
        y += g
    lcm = x * y // math.gcd(x, y)
    prompt = f"What is the least common multiple of ${x}$ and ${y}$?"
    steps = [
        f"First find $\\gcd({x}, {y})$ with the Euclidean algorithm.",
        f"The greatest common divisor is ${math.gcd(x, y)}$.",
        f"Then $\\operatorname{{lcm}}({x}, {y}) = \\frac{{{x} \\cdot {y}}}{{{math.gcd(x, y)}}} = \\frac{{{x * y}}}{{{math.gcd(x, y)}}} = {lcm}$.",
    ]
    return prompt, lcm, steps, x * y


def dice(rng):
    s = rng.randint(3, 11)
    ways = sum(1 for i in range(1, 7) for j in range(1, 7) if i + j == s)
    p = Fraction(ways, 36)
    prompt = f"Two fair six-sided dice are rolled. What is the probability that the sum is ${s}$? Express your answer as a common fraction."
    pairs = ", ".join(f"({i},{s - i})" for i in range(1, 7) if 1 <= s - i <= 6)
    steps = [
        "There are $6 \\times 6 = 36$ equally likely outcomes.",
        f"The outcomes with sum ${s}$ are {pairs}, which is ${ways}$ outcomes.",
        f"So the probability is $\\frac{{{ways}}}{{36}} = {latex(p)}$.",
    ]
    return prompt, p, steps, Fraction(ways, 30)


def modular_power(rng):
    a, n, m = rng.randint(2, 9), rng.randint(10, 60), rng.choice([5, 7, 9, 11, 13])
    value = pow(a, n, m)
    cycle, k = [], 1
    for _ in range(m):
        k = k * a % m
        if k in cycle:
            break
        cycle.append(k)
    prompt = f"What is the remainder when ${a}^{{{n}}}$ is divided by ${m}$?"
    steps = [
        f"Let me look at the powers of ${a}$ modulo ${m}$: "
        + ", ".join(f"${a}^{{{i + 1}}} \\equiv {r}$" for i, r in enumerate(cycle))
        + ".",
        f"The residues repeat with period ${len(cycle)}$.",
        f"Since ${n} = {len(cycle)} \\cdot {n // len(cycle)} + {n % len(cycle)}$, "
        f"${a}^{{{n}}} \\equiv {value} \\pmod{{{m}}}$.",
    ]
    return prompt, value, steps, (value + 1) % m


def quadratic(rng):
    r1, r2 = rng.randint(-9, 9), rng.randint(-9, 9)
    b, c = -(r1 + r2), r1 * r2
    prompt = (
        f"What is the sum of the squares of the roots of $x^2 {'+' if b >= 0 else '-'} {abs(b)}x "
        f"{'+' if c >= 0 else '-'} {abs(c)} = 0$?"
    )
    value = r1 * r1 + r2 * r2
    steps = [
        f"By Vieta's formulas the roots satisfy $r_1 + r_2 = {r1 + r2}$ and $r_1 r_2 = {c}$.",
        "The sum of squares is $r_1^2 + r_2^2 = (r_1 + r_2)^2 - 2 r_1 r_2$.",
        f"So it equals $({r1 + r2})^2 - 2({c}) = {(r1 + r2) ** 2} - ({2 * c}) = {value}$.",
    ]
    return prompt, value, steps, (r1 + r2) ** 2 + 2 * c if c else value + 2


FAMILIES = [
    arithmetic_series,
    linear_equation,
    binomial,
    right_triangle,
    gcd_lcm,
    dice,
    modular_power,
    quadratic,
]

# Trace pieces -------------------------------------------------------------------------------------

OPENINGS = [
    "Okay, let me work through this problem carefully.",
    "Alright, so the question asks for a single number. Let me set things up first.",
    "Let me start by understanding exactly what is being asked here.",
    "Hmm, this looks like a standard problem, but I want to be careful with the details.",
]
REFLECTIONS = [
    "Wait, let me double-check that step before moving on.",
    "Hmm, let me verify this another way to be sure.",
    "Let me re-read the problem to make sure I answered the right question.",
    "Actually, let me recompute that to rule out an arithmetic slip.",
]
CONFIRMATIONS = [
    "Yes, that matches. The computation is consistent.",
    "Good, both approaches agree, so I'm confident in this value.",
    "That checks out.",
]
CHINESE = [
    "我们再检查一下这个计算是否正确。",
    "所以这个结果应该是对的，不过我还要再验证一次。",
    "嗯，让我换一种方法重新算一遍。",
]


def think(rng, steps, conclusion, mixed=False):
    parts = [rng.choice(OPENINGS)]
    for i, step in enumerate(steps):
        parts.append(step)
        if i == len(steps) // 2:
            parts.append(rng.choice(REFLECTIONS))
            parts.append(step if rng.random() < 0.5 else "Going over it again: " + step[0].lower() + step[1:])
            if mixed:
                parts.append(rng.choice(CHINESE) + " " + rng.choice(CHINESE))
            parts.append(rng.choice(CONFIRMATIONS))
    parts.append(conclusion)
    return "\n\n".join(parts)


def summary(steps, answer_tex):
    body = " ".join(s for s in steps[-2:])
    return f"**Solution.** {body}\n\nThe answer is $\\boxed{{{answer_tex}}}$."


def completion(text, finish="stop", tokens=None):
    return {
        "text": text,
        "finish_reason": finish,
        "model": TEACHER,
        "tokens": {"completion": tokens if tokens is not None else max(1, len(text) // 4)},
    }


def make_completions(rng, kind, prompt, answer, steps, wrong):
    good, alt, bad = latex(answer), alt_latex(answer), latex(wrong)
    end = f"So the answer is ${good}$."
    if kind == "correct":
        return completion(f"<think>\n{think(rng, steps, end)}\n</think>\n\n{summary(steps, good)}")
    if kind == "correct_alt":
        return completion(f"<think>\n{think(rng, steps, end)}\n</think>\n\n{summary(steps, alt)}")
    if kind == "wrong":
        slip = [*steps[:-1], f"That gives ${bad}$."]
        return completion(
            f"<think>\n{think(rng, slip, f'So the answer is ${bad}$.')}\n</think>\n\n{summary(slip, bad)}"
        )
    if kind == "hedged":
        return completion(
            f"<think>\n{think(rng, steps, 'I am torn between two values.')}\n</think>\n\n"
            f"The answer is either $\\boxed{{{good}}}$ or $\\boxed{{{bad}}}$, depending on the reading."
        )
    if kind == "truncated":
        full = think(rng, steps, end)
        return completion("<think>\n" + full[: len(full) * 2 // 3], finish="length", tokens=4096)
    if kind == "no_final_answer":
        return completion(
            f"<think>\n{think(rng, steps[:-1], 'I am not sure how to finish this.')}\n</think>\n\n"
            "I was not able to complete the computation with confidence."
        )
    if kind == "no_summary":
        boxed_end = "So the answer is $\\boxed{" + good + "}$."
        return completion(f"<think>\n{think(rng, steps, boxed_end)}\n</think>\n\n")
    if kind == "mixed_language":
        return completion(
            f"<think>\n{think(rng, steps, end, mixed=True)}\n</think>\n\n{summary(steps, good)}"
        )
    if kind == "sky_t1":
        return completion(
            f"<|begin_of_thought|>\n\n{think(rng, steps, end)}\n\n<|end_of_thought|>\n\n"
            f"<|begin_of_solution|>\n\n{summary(steps, good)}\n\n<|end_of_solution|>"
        )
    if kind == "plain":
        return completion("\n\n".join(steps) + f"\n\nTherefore the answer is $\\boxed{{{good}}}$.")
    raise ValueError(kind)


PROFILES = [  # six completions each
    ["correct", "correct_alt", "wrong", "hedged", "truncated", "correct"],
    ["correct", "wrong", "no_final_answer", "no_summary", "correct_alt", "plain"],
    ["sky_t1", "correct", "wrong", "wrong", "truncated", "mixed_language"],
    ["correct", "correct", "correct", "correct_alt", "correct", "correct"],  # pass rate 1: too easy
    ["wrong", "wrong", "hedged", "truncated", "no_final_answer", "wrong"],  # no correct completion
    ["correct_alt", "sky_t1", "plain", "no_summary", "wrong", "correct"],
    ["mixed_language", "correct", "hedged", "wrong", "correct", "truncated"],
    ["correct", "wrong", "correct", "wrong", "no_summary", "sky_t1"],
]


def main() -> None:
    rng = random.Random(20250120)
    lines = []
    for i in range(40):
        family = FAMILIES[i % len(FAMILIES)]
        prompt, answer, steps, wrong = family(rng)
        if wrong == answer:
            wrong = answer + 1
        profile = PROFILES[(i // len(FAMILIES) + i) % len(PROFILES)]
        record = {
            "id": f"sample-{i:03d}",
            "source": "r1data-sample",
            "domain": "math",
            "prompt": prompt + " Please reason step by step, and put your final answer within \\boxed{}.",
            "reference": {"answer": latex(answer)},
            "completions": [make_completions(rng, kind, prompt, answer, steps, wrong) for kind in profile],
            "sample_profile": profile,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    # Malformed input, quarantined with a reason rather than crashing the run or vanishing.
    lines.append('{"id": "broken-json", "prompt": "What is 1+1?", "completions": [')
    lines.append(
        json.dumps(
            {
                "id": "bad-type",
                "prompt": "What is 2+2?",
                "reference": {"answer": "4"},
                "completions": [{"text": 4}],
            }
        )
    )
    lines.append(json.dumps({"id": "no-prompt", "reference": {"answer": "1"}, "completions": []}))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} lines to {OUT}")


if __name__ == "__main__":
    main()
