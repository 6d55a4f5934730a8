"""Readability of a completion, each problem a separate reason (R1 drops long paragraphs, code blocks in
non-code reasoning and unreadable traces).

Reasons: ``long_paragraph``, ``code_block``, ``repetition``, ``truncated``, ``no_summary``,
``leaked_special_token``, ``too_short``, ``too_long``. Defaults (see the README for how they were set on
the real files in ../shared/data/model_outputs):

* a paragraph (text between blank lines, math masked) longer than 300 words or 3,000 characters;
* a fenced code block inside the reasoning of a non-code record;
* a repetition loop in the reasoning: the same line (≥ 20 characters) 10+ times, or one 20-word n-gram
  seen 4+ times and covering more than 30 % of the reasoning's words (a loop repeats long spans;
  ordinary derivations repeat short formulas, not 20-word spans);
* truncated: ``finish_reason == "length"``, or a reasoning block opened and never closed;
* no (or an empty) summary after the reasoning;
* leaked special tokens (``<|im_start|>``, ``<|endoftext|>``, ``<|eot_id|>``, ``</s>`` …, or a second
  ``<think>``);
* length bounds: in tokens when a tokenizer is configured, else in whitespace words (default 10 to
  32,768).

>>> check_readability({"text": "<think>\\nshort\\n</think>\\n\\nThe answer is 4."}, config=ReadabilityConfig(min_words=1))
{'ok': True, 'reasons': []}
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field
from typing import Any

from r1data.core.completion import cot, trace_of
from r1data.core.traces import LEAKED_SPECIAL_TOKEN

_FENCE = re.compile(r"^\s*```", re.M)
_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\$[^$\n]*\$", re.S)


@dataclass(frozen=True)
class ReadabilityConfig:
    max_paragraph_words: int = 300
    max_paragraph_chars: int = 3000
    code_domains: tuple[str, ...] = ("code",)
    repeated_line_min_chars: int = 20
    repeated_line_count: int = 10
    ngram: int = 20
    max_ngram_share: float = 0.3
    min_ngram_repeats: int = 4
    min_words: int = 10
    max_words: int = 32768
    tokenizer: str | None = None  # a local tokenizer path: lengths in tokens instead of words
    checks: tuple[str, ...] = field(
        default=(
            "long_paragraph",
            "code_block",
            "repetition",
            "truncated",
            "no_summary",
            "leaked_special_token",
            "length",
        )
    )


def repetition(text: str, config: ReadabilityConfig = ReadabilityConfig()) -> bool:
    lines = collections.Counter(
        line.strip() for line in text.splitlines() if len(line.strip()) >= config.repeated_line_min_chars
    )
    if lines and lines.most_common(1)[0][1] >= config.repeated_line_count:
        return True
    words = text.split()
    n = config.ngram
    if len(words) < 3 * n:
        return False
    grams = collections.Counter(tuple(words[i : i + n]) for i in range(0, len(words) - n + 1))
    top = grams.most_common(1)[0][1]
    return top >= config.min_ngram_repeats and top * n > config.max_ngram_share * len(words)


@dataclass
class _Length:
    tokenizer: Any = None

    def __call__(self, text: str) -> int:
        return (
            len(self.tokenizer.encode(text, add_special_tokens=False))
            if self.tokenizer
            else len(text.split())
        )


def check_readability(
    completion: dict[str, Any],
    domain: str = "math",
    config: ReadabilityConfig = ReadabilityConfig(),
    length: _Length | None = None,
) -> dict[str, Any]:
    """``{"ok": bool, "reasons": [...]}`` for one completion (``text`` plus optional ``finish_reason``)."""
    text = completion.get("text", "")
    trace = trace_of(completion)
    reasoning = cot(completion)
    reasons = []
    checks = set(config.checks)
    if "long_paragraph" in checks:
        for paragraph in re.split(r"\n\s*\n", _MATH.sub(" ", reasoning)):
            if (
                len(paragraph.split()) > config.max_paragraph_words
                or len(paragraph) > config.max_paragraph_chars
            ):
                reasons.append("long_paragraph")
                break
    if "code_block" in checks and domain not in config.code_domains and _FENCE.search(reasoning):
        reasons.append("code_block")
    if "repetition" in checks and repetition(reasoning, config):
        reasons.append("repetition")
    if "truncated" in checks and (completion.get("finish_reason") == "length" or not trace.closed):
        reasons.append("truncated")
    if "no_summary" in checks and trace.format != "plain" and trace.closed and not trace.summary.strip():
        reasons.append("no_summary")
    if "leaked_special_token" in checks and (LEAKED_SPECIAL_TOKEN.search(text) or text.count("<think>") > 1):
        reasons.append("leaked_special_token")
    if "length" in checks:
        n = (length or _Length())(text)
        if n < config.min_words:
            reasons.append("too_short")
        elif n > config.max_words:
            reasons.append("too_long")
    return {"ok": not reasons, "reasons": reasons}
