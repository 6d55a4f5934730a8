"""Math verifier: read the final answer from the summary, decide what plain rules can decide in-process,
and give the rest to math-verify inside the bounded pool.

Where the answer is read from: the **last** ``\\boxed{}`` of the summary (the text after the chain of
thought; the whole text when there are no reasoning markers), scanning only the summary's last
16,000 characters. Without a box, math-verify's own extraction runs on the summary's last 2,000
characters. An answer that appears only inside the reasoning does not count
(``answer_only_in_reasoning``): the R1 readable format needs it in the summary.

Order of decisions (first that applies):

1. ``fail``: ``truncated`` (``finish_reason == "length"`` or unclosed reasoning), ``no_final_answer``,
   ``answer_only_in_reasoning``, ``too_many_answers`` (more than 10 boxes: spam), ``multiple_answers``
   (two different boxes);
2. ``fail`` ``approximate``: the answer says ``\\approx`` and the question asks for no rounding;
3. ``fail`` ``normal_form``: the question asks for a common fraction (a decimal or an unreduced
   fraction was given) or for coprime integer coefficients (``\\gcd(|A|,…) = 1``) and they are not;
4. multiple choice: the reference is a letter A-E → compare letters;
5. ``pass`` ``equivalent``: equal after normalisation (spacing, ``\\dfrac``, ``{,}`` separators, units,
   degrees, percent, ``x =``, unicode π…);
6. ``fail`` ``multiple_answers``: several comma-separated values where the reference has one;
7. both plain numbers (integers, decimals, fractions) → exact rational comparison;
7b. ``fail`` ``not_simplified``: the reference is a plain number and the answer still holds an
   unevaluated function (``\\cos``, ``\\log``, ``\\sum``, ``\\binom``, a factorial…) or is arithmetic
   on numbers (``17+25``, ``\\sqrt{16}``; a power such as ``2^{10}`` or ``3\\times10^{6}`` is a number);
8. ``fail`` ``degenerate_answer``: a LaTeX bomb (towers, deep nesting, huge symbolic powers, >400
   characters) never reaches the CAS;
8b. both closed-form real numbers (``\\sqrt``, ``\\pi``, ``\\frac``, + - × ÷ ^) → equal values (relative
   1e-9) pass, others fail; skipped when the question allows rounding;
8c. both expressions in single-letter variables → evaluated at five fixed points: any difference
   fails, agreement everywhere passes (a polynomial identity test); tuples and column vectors element
   by element with the same rules; single words by (case-insensitive) equality;
9. ``fail`` ``interval_ends``: same interval with different open/closed ends;
10. otherwise math-verify (pool): ``pass`` ``equivalent`` / ``fail`` ``not_equivalent``.

``unknown`` (never kept): ``no_reference``, ``reference_unparsable``, ``timeout``, ``error``, ``memory``.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple

from r1data.core import answers
from r1data.core.answers import MAX_BOXES, MAX_SUMMARY_CHARS, boxed_contents, normalise_box, unboxed_answer
from r1data.core.completion import closed, trace_of
from r1data.verifiers import math_rules as rules
from r1data.verifiers.base import verdict


class MathVerifier:
    """Verifier for ``domain: math``. ``fast`` runs in the calling process (pure rules, bounded input);
    ``prepare``/``check`` run in the pool's workers (math-verify, sympy)."""

    name = "math"
    version = "v2+math-verify-0.9.0"

    def __init__(self, parse_timeout_s: int = 3, verify_timeout_s: int = 3, require_simplified: bool = False):
        self.parse_timeout_s = parse_timeout_s
        self.verify_timeout_s = verify_timeout_s
        self.require_simplified = require_simplified

    @classmethod
    def _v(cls, label: str, reason: str, **extra: Any) -> dict[str, Any]:
        return verdict(label, reason, cls.name, cls.version, **extra)

    # -- in-process rules ------------------------------------------------------------------------
    @classmethod
    def fast(
        cls,
        reference: dict[str, Any] | None,
        prompt: str | None,
        item: dict[str, Any],
        require_simplified: bool = False,
        **_options: Any,
    ) -> dict[str, Any]:
        """A verdict when the rules decide, else the payload for :meth:`check` (``{"answer": …}`` or
        ``{"tail": …}``). A summary without a box gets ``answer_from: "statement"`` (on its verdict
        and on the payload). ``require_simplified``: an unevaluated expression equal to a plain-number
        reference fails as ``not_simplified`` instead of passing."""
        gold = _gold(str((reference or {}).get("answer") or "").strip())
        if gold is None:
            return cls._v("unknown", "no_reference")
        if _is_prose(gold.raw):  # "Answer is forty two.": no value to compare with
            return cls._v("unknown", "reference_unparsable", detail="prose")
        trace = trace_of(item)
        reasoning, summary = trace.reasoning, trace.summary
        if not closed(item):
            return cls._v("fail", "truncated")
        tail = answers.cut_at_leaked_token(summary[-MAX_SUMMARY_CHARS:])
        if not tail.strip():
            reason = (
                "answer_only_in_reasoning"
                if boxed_contents(reasoning[-MAX_SUMMARY_CHARS:])
                else "no_final_answer"
            )
            return cls._v("fail", reason)
        boxes = [b for b in boxed_contents(tail) if normalise_box(b)]
        if len(boxes) > MAX_BOXES:
            return cls._v("fail", "too_many_answers")
        if len({normalise_box(b) for b in boxes}) > 1:
            # several answers are a hedge, unless the reference itself has several: then the boxes
            # are compared with them as a set (math-verify compares the lists when the rules cannot)
            if not gold.multi:
                return cls._v("fail", "multiple_answers")
            listed = [v for b in boxes for v in rules.answer_items(rules.normalize(b))]
            same = rules.compare_sets(listed, list(gold.values))
            if same is None:
                return {"tail": tail[-2000:]}
            return cls._v("pass", "equivalent") if same else cls._v("fail", "not_equivalent")
        if boxes:
            return cls._compare(gold, boxes[-1], prompt, require_simplified)
        bare, why, statement = unboxed_answer(tail)
        if why:
            return cls._v("fail", "no_final_answer", detail=why, answer_from="statement")
        if bare is None:  # math-verify reads the concluding statement, not the whole tail
            return {"tail": statement[-2000:], "answer_from": "statement"}
        return {**cls._compare(gold, bare, prompt, require_simplified), "answer_from": "statement"}

    @classmethod
    def _compare(cls, gold: _Gold, raw: str, prompt: str | None, require_simplified: bool) -> dict[str, Any]:
        """The rules' verdict on one final answer, or the payload for math-verify."""
        req = rules.requirements(prompt)
        if (
            rules.is_approximate(raw)
            and "approximation_allowed" not in req
            and not rules.is_approximate(gold.raw)
        ):
            # "≈ v" is right only when v is exactly the answer; otherwise it is an approximation
            approx = rules.normalize(rules.after_approx(raw))
            if not (
                approx == gold.norm or (gold.number is not None and rules.as_number(approx) == gold.number)
            ):
                return cls._v("fail", "approximate")
            raw = rules.after_approx(raw)
        pred = rules.normalize(raw)
        if not pred:
            return cls._v("fail", "no_final_answer")
        if rules.violates_form(pred, req):
            return cls._v("fail", "normal_form")
        if gold.letter:
            letter = rules.choice_letter(pred)
            if letter:
                return (
                    cls._v("pass", "equivalent")
                    if letter == gold.letter
                    else cls._v("fail", "not_equivalent")
                )
        if pred == gold.norm:
            return cls._v("pass", "equivalent")
        items = rules.top_level_items(pred)
        if (gold.multi or "\\pm" in pred) and not rules.is_interval(pred):
            # a list (or ±) against a list (or ±): the same values, in any order
            same = rules.compare_sets(rules.answer_items(pred), list(gold.values))
            if same is not None:
                return cls._v("pass", "equivalent") if same else cls._v("fail", "not_equivalent")
        if len(items) > 1 and not gold.multi and not rules.is_interval(pred):
            return cls._v("fail", "multiple_answers")
        number = rules.as_number(pred)
        if number is not None and gold.number is not None:
            same = number == gold.number or rules.is_float_printout(pred, number, gold.number)
            return cls._v("pass", "equivalent") if same else cls._v("fail", "not_equivalent")
        if gold.number is not None and (rules.unevaluated(pred) or rules.is_arithmetic(pred)):
            # an expression that evaluates to the number the question wants: counted right, as
            # math-verify and the published evaluations count it, unless the curation wants answers
            # simplified (a cosine product equal to 1/16, the question's "17 + 25" copied back)
            if require_simplified:
                return cls._v("fail", "not_simplified", detail=rules.unevaluated(pred) or "arithmetic")
            if rules.bomb_reason(pred):
                return cls._v("fail", "degenerate_answer", detail=rules.bomb_reason(pred))
            value = rules.closed_form_value(pred)
            if value is None:  # math-verify compares it, then sympy evaluates it (in the pool, bounded)
                return {"answer": raw, "evaluate": True}
            same = rules.same_value(value, float(gold.number))
            return cls._v("pass" if same else "fail", "equivalent" if same else "not_equivalent",
                          detail="evaluated")  # fmt: skip
        if rules.bomb_reason(pred):
            return cls._v("fail", "degenerate_answer", detail=rules.bomb_reason(pred))
        if gold.value is not None and "approximation_allowed" not in req:
            value = rules.closed_form_value(pred)
            if value is not None:
                same = rules.same_value(value, gold.value)
                return cls._v("pass", "equivalent") if same else cls._v("fail", "not_equivalent")
        for compare in (rules.compare_numerals, rules.compare_matrices, rules.compare_unions,
                        rules.same_function, rules.compare_tuples, rules.compare_words):  # fmt: skip
            same = compare(pred, gold.norm)
            if same is not None:
                return cls._v("pass", "equivalent") if same else cls._v("fail", "not_equivalent")
        if rules.is_interval(pred) and rules.is_interval(gold.norm) and pred[1:-1] == gold.norm[1:-1]:
            return cls._v("fail", "interval_ends")
        return {"answer": raw}

    # -- in the pool ---------------------------------------------------------------------------------
    def _degrees_as_radians(self, answer: str) -> list | None:
        """``answer`` parsed with each ``^\\circ`` read as a factor π/180 (math-verify drops the degree
        sign: ``\\cos 20^\\circ`` would be the cosine of 20 radians); None when it has none."""
        from math_verify import LatexExtractionConfig, parse

        if not _DEGREES.search(answer):
            return None
        text = _DEGREES.sub(lambda _: "\\cdot\\frac{\\pi}{180}", answer)
        return parse("\\boxed{" + text + "}", extraction_config=[LatexExtractionConfig()],
                     parsing_timeout=self.parse_timeout_s) or None  # fmt: skip

    @lru_cache(maxsize=1024)  # noqa: B019 - one checker per worker process; the cache is the point
    def _parse_gold(self, answer: str):
        from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

        # a bare reference is parsed as the content of a box; one already delimited is parsed as written
        delimited = "$" in answer or "\\boxed" in answer or "\\(" in answer or "\\[" in answer
        return parse(
            answer if delimited else "\\boxed{" + answer + "}",
            extraction_config=[LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()],
            parsing_timeout=self.parse_timeout_s,
            raise_on_error=True,
        )

    def prepare(self, reference: dict[str, Any] | None) -> Any:
        from math_verify.errors import TimeoutException

        answer = str((reference or {}).get("answer") or "").strip()
        if not answer:
            return self._v("unknown", "no_reference")
        try:
            gold = self._parse_gold(answer)
        except TimeoutException:
            return self._v("unknown", "reference_unparsable", detail="timeout")
        except Exception as exc:
            return self._v("unknown", "reference_unparsable", detail=type(exc).__name__)
        return gold if gold else self._v("unknown", "reference_unparsable")

    def check(self, state: Any, item: dict[str, Any]) -> dict[str, Any]:
        """Compare with math-verify. ``item`` is a payload from :meth:`fast`, or a raw completion (then
        the rules run first, here, without the prompt)."""
        from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify
        from math_verify.errors import TimeoutException

        if isinstance(state, dict):  # the reference itself could not be used
            return state
        if "answer" not in item and "tail" not in item:
            item = self.fast({"answer": _gold_text(state)}, None, item, self.require_simplified)
            if "label" in item:
                return item
        source = {"answer_from": item["answer_from"]} if "answer_from" in item else {}
        text = "\\boxed{" + item["answer"] + "}" if "answer" in item else item["tail"]
        try:
            pred = parse(
                text,
                extraction_config=[LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()],
                parsing_timeout=self.parse_timeout_s,
                raise_on_error=True,
            )
            if not pred:
                return self._v("fail", "no_final_answer", **source)
            ok = verify(state, pred, timeout_seconds=self.verify_timeout_s, raise_on_error=True)
            if not ok and item.get("evaluate"):
                ok = _same_number(state, self._degrees_as_radians(item["answer"]) or pred)
                if ok:
                    return self._v("pass", "equivalent", detail="evaluated", decided_by="sympy", **source)
        except TimeoutException:
            return self._v("unknown", "timeout", **source)
        except Exception as exc:
            return self._v("unknown", "error", detail=type(exc).__name__, **source)
        return self._v("pass" if ok else "fail", "equivalent" if ok else "not_equivalent",
                       decided_by="math-verify", **source)  # fmt: skip


class _Gold(NamedTuple):
    raw: str
    norm: str
    number: Fraction | None
    letter: str | None
    items: list[str]
    value: float | None  # closed-form real value (sqrt, pi, fractions), when it has one
    multi: bool  # the reference lists several answers (or is a ± pair)
    values: tuple[str, ...]  # the values it lists, ± expanded


@lru_cache(maxsize=4096)
def _gold(answer: str) -> _Gold | None:
    """The reference, normalised once per prompt (cached: a prompt's N samples share it)."""
    if not answer:
        return None
    boxes = boxed_contents(answer)  # a reference written as a solution: its boxes are the answer
    norm = rules.normalize(",".join(boxes) if boxes else answer)
    items = rules.top_level_items(norm)
    values = tuple(rules.answer_items(norm))
    multi = (
        len(values) > 1
        or len(boxed_contents(answer)) > 1
        or bool(re.search(r"\\text\{\s*(?:and|or)\s*\}| and | or ", answer))
    )
    return _Gold(
        answer,
        norm,
        rules.as_number(norm),
        rules.choice_letter(norm),
        items,
        rules.closed_form_value(norm),
        multi,
        values,
    )


def _is_prose(answer: str) -> bool:
    """A reference written as a sentence with no number or formula in it."""
    return not re.search(r"[\d\\$^_=+*/<>()\[\]{}]", answer) and len(re.findall(r"[^\W\d_]{2,}", answer)) >= 3


def _gold_text(state) -> str:
    # math-verify's parse result is [sympy_expr, original_string]
    return str(state[-1]) if isinstance(state, list) and state else ""


def same_answer(a: str, b: str) -> bool:
    """Whether two final answers are one answer by the in-process rules: equal after normalisation,
    the same exact number or closed-form value, the same polynomial, the same tuple or set of values
    (``0.5``, ``\\frac12`` and ``\\frac{2}{4}`` are one answer). Answers only a CAS could equate count
    as different."""
    x, y = rules.normalize(a), rules.normalize(b)
    if x == y:
        return True
    if not x or not y or rules.bomb_reason(x) or rules.bomb_reason(y):
        return False
    xs, ys = rules.answer_items(x), rules.answer_items(y)
    if len(xs) > 1 or len(ys) > 1:
        return rules.compare_sets(xs, ys) is True
    for compare in (rules.compare_scalars, rules.compare_tuples, rules.compare_words):
        same = compare(x, y)
        if same is not None:
            return same
    return False


_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?")


def _same_number(gold: list, pred: list) -> bool:
    """Whether an unevaluated expression (a product of cosines) has the reference's value: both parsed
    expressions evaluated to 30 digits (in a pool worker, under its time bound)."""
    try:
        a, b = complex(pred[0].evalf(30)), complex(gold[0].evalf(30))
    except (TypeError, ValueError, AttributeError, IndexError):
        return False
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))
