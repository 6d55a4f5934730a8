"""Format verifier: the R1 response shape, as a rule (and the GRPO format reward).

A response passes when it has exactly one ``<think>…</think>`` block, at the start (the opening tag
may be missing when the chat template already wrote it), closed, with non-empty reasoning, followed by
a non-empty summary, and no leaked special tokens anywhere.

>>> check_format("<think>\\nstep\\n</think>\\n\\nThe answer is 4.")["label"]
'pass'
>>> check_format("<think>a</think>b<think>c</think>d")["reason"]
'multiple_think_blocks'
"""

from __future__ import annotations

from typing import Any

from r1data.core.traces import LEAKED_SPECIAL_TOKEN
from r1data.verifiers.base import verdict

NAME, VERSION = "format", "v1"


def check_format(text: str) -> dict[str, Any]:
    def v(label: str, reason: str) -> dict[str, Any]:
        return verdict(label, reason, NAME, VERSION)

    body = text.lstrip()
    opens, closes = body.count("<think>"), body.count("</think>")
    if opens > 1 or closes > 1:
        return v("fail", "multiple_think_blocks")
    if closes == 0:
        return v("fail", "unclosed_think" if opens else "no_think_block")
    if opens == 1 and not body.startswith("<think>"):
        return v("fail", "think_not_at_start")
    reasoning, _, summary = body.removeprefix("<think>").partition("</think>")
    if not reasoning.strip():
        return v("fail", "empty_reasoning")
    if not summary.strip():
        return v("fail", "empty_summary")
    if LEAKED_SPECIAL_TOKEN.search(text):
        return v("fail", "leaked_special_token")
    return v("pass", "well_formed")
