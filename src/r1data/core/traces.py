"""Split a raw completion into ``reasoning`` (the chain of thought) and ``summary`` (the answer shown to
the reader), whatever the trace format.

Formats recognised, first match wins:

* ``think``: ``<think>…</think>`` then the summary (R1). The opening tag may be missing, as when the chat
  template already wrote it. R1-Zero's ``<answer>…</answer>`` around the summary is unwrapped.
* ``sky_t1``: ``<|begin_of_thought|>…<|end_of_thought|>`` then ``<|begin_of_solution|>…<|end_of_solution|>``.
* ``plain``: no markers; the whole text is the summary and the reasoning is empty.

``closed`` is False when the reasoning was opened and never closed (a truncated trace).

>>> split_trace("<think>\\n2+2=4\\n</think>\\n\\nThe answer is $\\\\boxed{4}$.")
Trace(reasoning='2+2=4', summary='The answer is $\\\\boxed{4}$.', format='think', closed=True)
>>> split_trace("<|begin_of_thought|>hmm<|end_of_thought|><|begin_of_solution|>4<|end_of_solution|>").summary
'4'
"""

from __future__ import annotations

import re
from typing import NamedTuple

# Chat-template and tokenizer control tokens that must never appear in a response (Qwen/ChatML, Llama 3,
# Llama 2/Mistral, FIM): one definition for the readability filter, the format verifier and the math rules.
LEAKED_SPECIAL_TOKEN = re.compile(
    r"<\|(?:im_start|im_end|endoftext|eot_id|end_of_text|begin_of_text|start_header_id|end_header_id|fim_\w+)\|>"
    r"|</s>|<s>|\[/?INST\]"
)


class Trace(NamedTuple):
    reasoning: str
    summary: str
    format: str
    closed: bool


_MARKERS = (
    ("think", "<think>", "</think>", None, None),
    ("sky_t1", "<|begin_of_thought|>", "<|end_of_thought|>", "<|begin_of_solution|>", "<|end_of_solution|>"),
)
_ANSWER_TAGS = re.compile(r"^\s*<answer>(.*?)</answer>\s*$", re.S)


def _lstrip_blank_lines(text: str) -> str:
    """Drop leading blank lines but keep the first line's indentation: a plain completion may be a
    function body whose leading spaces matter."""
    while "\n" in text and not text[: text.index("\n")].strip():
        text = text[text.index("\n") + 1 :]
    return text


def _strip_wrapper(summary: str, open_tag: str | None, close_tag: str | None) -> str:
    summary = summary.strip()
    if open_tag and summary.startswith(open_tag):
        summary = summary[len(open_tag) :]
        if close_tag:
            summary = summary.split(close_tag, 1)[0]
    m = _ANSWER_TAGS.match(summary)
    return (m.group(1) if m else summary).strip()


def split_trace(text: str) -> Trace:
    for name, start, end, sol_start, sol_end in _MARKERS:
        has_start, has_end = start in text, end in text
        if not (has_start or has_end):
            continue
        if has_end:
            before, _, after = text.partition(end)
            reasoning = before.split(start, 1)[1] if start in before else before
            return Trace(reasoning.strip(), _strip_wrapper(after, sol_start, sol_end), name, True)
        return Trace(text.split(start, 1)[1].strip(), "", name, False)
    return Trace("", _lstrip_blank_lines(text.rstrip()), "plain", True)
