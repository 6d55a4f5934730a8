"""What a completion says, read without changing it: its trace, reasoning, summary, whether its
reasoning was closed, its chain of thought and its final answer. The one reader used by verifiers,
filters, formats, rewards, eval and the viewer: none of them splits a text again.

A completion that went through ``parse_traces`` carries ``reasoning``/``summary``/``closed``; one that
did not is split from its ``text`` on the fly (nothing is written back).

>>> c = {"text": "<think>\\n2+2</think>\\n\\nIt is $\\\\boxed{4}$."}
>>> reasoning(c), summary(c), r1_problem(c), "reasoning" in c
('2+2', 'It is $\\\\boxed{4}$.', None, False)
>>> cot({"text": "a plain answer"}), r1_problem({"text": "a plain answer"})
('a plain answer', 'no_reasoning')
"""

from __future__ import annotations

from typing import Any

from r1data.core.answers import answer_in
from r1data.core.traces import Trace, split_trace


def trace_of(c: dict[str, Any]) -> Trace:
    if c.get("summary") is not None:
        return Trace(
            c.get("reasoning") or "", c["summary"], c.get("trace_format", "parsed"), c.get("closed", True)
        )
    return split_trace(c.get("text", ""))


def reasoning(c: dict[str, Any]) -> str:
    return trace_of(c).reasoning


def summary(c: dict[str, Any]) -> str:
    return trace_of(c).summary


def closed(c: dict[str, Any]) -> bool:
    """Whether the completion's reasoning was closed: False for a reasoning block opened and never
    closed, or a reply cut at its token budget (``finish_reason: length``)."""
    return trace_of(c).closed and c.get("finish_reason") != "length"


def final_answer(c: dict[str, Any]) -> str | None:
    r"""The final answer the completion's summary gives (:func:`r1data.core.answers.answer_in`), None
    when it gives none or its reasoning never closed.

    >>> final_answer({"text": r"<think>2+2</think> It is $\boxed{4}$."}), final_answer({"text": "<think>2+2"})
    ('4', None)
    """
    trace = trace_of(c)
    return answer_in(trace.summary) if trace.closed else None


def cot(c: dict[str, Any]) -> str:
    """The chain of thought to judge for language and readability: the reasoning, or the whole text
    when it has no reasoning markers (a plain-CoT teacher)."""
    trace = trace_of(c)
    return trace.reasoning if trace.format != "plain" else c.get("text", "")


def r1_problem(c: dict[str, Any]) -> str | None:
    """Why a completion cannot become an R1 row (``unclosed_reasoning``, ``no_reasoning``,
    ``no_summary``), or None."""
    trace = trace_of(c)
    if not trace.closed:
        return "unclosed_reasoning"
    if not trace.reasoning.strip():
        return "no_reasoning"
    if not trace.summary.strip():
        return "no_summary"
    return None
