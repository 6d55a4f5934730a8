"""Math verifier v1: read the final answer from the summary and compare it to the reference with
math-verify.

Where the answer is read from: the summary (the text after the chain of thought; the whole text when
the completion has no reasoning markers). An answer that appears only inside the reasoning does not
count (reason ``answer_only_in_reasoning``): the R1 readable format needs it in the summary.

Verdicts (label/reason):

* ``unknown``: ``no_reference``, ``reference_unparsable``, ``timeout`` (math-verify's own bound or the
  pool's hard kill), ``error`` — never ``pass``;
* ``fail``: ``truncated`` (``finish_reason == "length"`` or an unclosed reasoning block),
  ``answer_only_in_reasoning``, ``no_final_answer``, ``multiple_answers`` (several different boxed
  answers in the summary), ``not_equivalent``;
* ``pass``: ``equivalent``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from r1data.formats.traces import split_trace
from r1data.verifiers.base import verdict

MAX_SUMMARY_CHARS = 16_000  # summaries are short; a longer tail is a degenerate output


def boxed_contents(text: str) -> list[str]:
    r"""Contents of every ``\boxed{…}`` / ``\fbox{…}`` with balanced braces, in order.

    >>> boxed_contents(r"so \boxed{\frac{1}{2}} or \boxed{3}")
    ['\\frac{1}{2}', '3']
    """
    out = []
    for marker in ("\\boxed", "\\fbox"):
        start = 0
        while (i := text.find(marker, start)) != -1:
            j = i + len(marker)
            while j < len(text) and text[j] == " ":
                j += 1
            start = j
            if j >= len(text) or text[j] != "{":
                continue
            depth, k = 0, j
            while k < len(text):
                if text[k] == "{":
                    depth += 1
                elif text[k] == "}":
                    depth -= 1
                    if depth == 0:
                        out.append((i, text[j + 1 : k]))
                        break
                k += 1
            start = k
    return [content for _, content in sorted(out)]


_PLACEHOLDER = re.compile(r"\\(?:[hv]?phantom\{[^{}]*\}|qquad|quad|[,;:! ])|\s")


def _normalise_box(content: str) -> str:
    """Box content without spacing; empty for placeholders such as ``\\boxed{\\phantom{2}}`` that a
    response quotes from the problem statement (not an answer, so not a hedge)."""
    return _PLACEHOLDER.sub("", content)


class MathChecker:
    name = "math"

    def __init__(self, parse_timeout_s: int = 3, verify_timeout_s: int = 3):
        import math_verify

        self.parse_timeout_s = parse_timeout_s
        self.verify_timeout_s = verify_timeout_s
        self.version = f"v1+math-verify-{getattr(math_verify, '__version__', '0.9.0')}"

    def _v(self, label: str, reason: str, **extra: Any) -> dict[str, Any]:
        return verdict(label, reason, self.name, self.version, **extra)

    @lru_cache(maxsize=1024)  # noqa: B019 - one checker per worker process; the cache is the point
    def _parse_gold(self, answer: str):
        from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

        return parse(
            "\\boxed{" + answer + "}",
            extraction_config=[LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()],
            parsing_timeout=self.parse_timeout_s,
            raise_on_error=True,
        )

    def prepare(self, reference: dict[str, Any] | None) -> Any:
        from math_verify.errors import TimeoutException

        answer = (reference or {}).get("answer")
        if answer is None or not str(answer).strip():
            return self._v("unknown", "no_reference")
        try:
            gold = self._parse_gold(str(answer).strip())
        except TimeoutException:
            return self._v("unknown", "reference_unparsable", detail="timeout")
        except Exception as exc:
            return self._v("unknown", "reference_unparsable", detail=type(exc).__name__)
        return gold if gold else self._v("unknown", "reference_unparsable")

    def check(self, state: Any, item: dict[str, Any]) -> dict[str, Any]:
        from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify
        from math_verify.errors import TimeoutException

        if isinstance(state, dict):  # the reference itself could not be used
            return state
        if item.get("summary") is None:
            trace = split_trace(item.get("text", ""))
            reasoning, summary, closed = trace.reasoning, trace.summary, trace.closed
        else:
            reasoning, summary, closed = (
                item.get("reasoning") or "",
                item["summary"],
                item.get("closed", True),
            )
        if item.get("finish_reason") == "length" or not closed:
            return self._v("fail", "truncated")
        if not summary.strip():
            reason = (
                "answer_only_in_reasoning"
                if boxed_contents(reasoning[-MAX_SUMMARY_CHARS:])
                else "no_final_answer"
            )
            return self._v("fail", reason)
        summary = summary[-MAX_SUMMARY_CHARS:]
        boxes = {b for b in map(_normalise_box, boxed_contents(summary)) if b}
        if len(boxes) > 1:
            return self._v("fail", "multiple_answers")
        try:
            pred = parse(
                summary,
                extraction_config=[LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()],
                parsing_timeout=self.parse_timeout_s,
                raise_on_error=True,
            )
            if not pred:
                return self._v("fail", "no_final_answer")
            ok = verify(state, pred, timeout_seconds=self.verify_timeout_s, raise_on_error=True)
        except TimeoutException:
            return self._v("unknown", "timeout")
        except Exception as exc:
            return self._v("unknown", "error", detail=type(exc).__name__)
        return self._v("pass", "equivalent") if ok else self._v("fail", "not_equivalent")
