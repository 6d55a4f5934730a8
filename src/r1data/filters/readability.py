"""Readability of a completion, each problem a separate reason (R1 drops long paragraphs, code blocks in
non-code reasoning and unreadable traces).

Reasons: ``long_paragraph``, ``code_block``, ``repetition``, ``truncated``, ``no_summary``,
``leaked_special_token``, ``too_short``, ``too_long``. Defaults (see docs/concepts/filters.md for how they were set on
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
* length bounds: in tokens when a tokenizer is configured, else in words (whitespace words; Han and kana characters one word each) (default 10 to
  32,768).

>>> check_readability({"text": "<think>\\nshort\\n</think>\\n\\nThe answer is 4."}, config=ReadabilityConfig(min_words=1))
{'ok': True, 'reasons': []}
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict

from r1data.core.completion import cot, trace_of
from r1data.core.configs import Config, option
from r1data.core.traces import LEAKED_SPECIAL_TOKEN
from r1data.filters.textnorm import word_count

_FENCE = re.compile(r"^\s*```", re.M)
_MATH = re.compile(r"\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\$[^$\n]*\$", re.S)


CHECKS = (
    "long_paragraph",
    "code_block",
    "repetition",
    "truncated",
    "no_summary",
    "leaked_special_token",
    "length",
)


class ReadabilityConfig(Config):
    """The readability checks and their thresholds (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    max_paragraph_words: int = option(
        300, "a paragraph (math masked) longer than this is long_paragraph", ge=1
    )
    max_paragraph_chars: int = option(3000, "… or longer than this many characters", ge=1)
    code_domains: tuple[str, ...] = option(("code",), "domains whose reasoning may hold code blocks")
    repeated_line_min_chars: int = option(20, "repetition: lines at least this long count", ge=1)
    repeated_line_count: int = option(10, "repetition: the same line this many times", ge=2)
    ngram: int = option(20, "repetition: the n-gram length, in words", ge=1)
    max_ngram_share: float = option(
        0.3, "repetition: share of the words one repeated n-gram may cover", gt=0, le=1
    )
    min_ngram_repeats: int = option(4, "repetition: … when seen at least this many times", ge=2)
    min_words: int = option(10, "shorter completions are too_short (tokens with a tokenizer)", ge=0)
    max_words: int = option(32768, "longer completions are too_long (tokens with a tokenizer)", ge=1)
    tokenizer: str | None = option(None, "a local tokenizer path: lengths in tokens instead of words")
    checks: tuple[Literal[CHECKS], ...] = option(CHECKS, "which checks run")


DEFAULT = ReadabilityConfig()


def repetition(text: str, config: ReadabilityConfig = DEFAULT) -> bool:
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
            len(self.tokenizer.encode(text, add_special_tokens=False)) if self.tokenizer else word_count(text)
        )


def check_readability(
    completion: dict[str, Any],
    domain: str = "math",
    config: ReadabilityConfig = DEFAULT,
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
                word_count(paragraph) > config.max_paragraph_words
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
