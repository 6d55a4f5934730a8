"""Format verifier: the R1 response shape, as a rule (and the GRPO format reward).

A response passes when it has exactly one ``<think>…</think>`` block, at the start, closed, with
non-empty reasoning, followed by a summary that says something besides the boxed answer, and no leaked
special tokens anywhere. Whether the opening tag belongs in the text depends on who wrote it:
``opened=True`` — the chat template's generation prompt ended with ``<think>``, so the completion must
not open another; ``opened=False`` — the prompt did not, so the completion must open the block itself;
``opened=None`` (curated records, where the prompt is not known) — either is accepted.

>>> check_format("<think>\\nstep\\n</think>\\n\\nThe answer is 4.")["label"]
'pass'
>>> check_format("<think>a</think>b<think>c</think>d")["reason"]
'multiple_think_blocks'
"""

from __future__ import annotations

import re
from typing import Any

from r1data.core.traces import LEAKED_SPECIAL_TOKEN
from r1data.verifiers.base import verdict

NAME, VERSION = "format", "v1"


_BOX_OR_MATH = re.compile(
    r"\\(?:boxed|fbox)\s*\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}|\$[^$]*\$|\\[a-zA-Z]+"
)


def check_format(text: str, opened: bool | None = None) -> dict[str, Any]:
    def v(label: str, reason: str) -> dict[str, Any]:
        return verdict(label, reason, NAME, VERSION)

    body = text.lstrip()
    opens, closes = body.count("<think>"), body.count("</think>")
    if opens > 1 or closes > 1 or (opened and opens):
        return v("fail", "multiple_think_blocks")
    if closes == 0:
        return v("fail", "unclosed_think" if opens or opened else "no_think_block")
    if opens == 1 and not body.startswith("<think>"):
        return v("fail", "think_not_at_start")
    if opened is False and not opens:
        return v("fail", "think_not_opened")
    reasoning, _, summary = body.removeprefix("<think>").partition("</think>")
    if not reasoning.strip():
        return v("fail", "empty_reasoning")
    if not summary.strip():
        return v("fail", "empty_summary")
    if not re.search(r"[^\W\d_]", _BOX_OR_MATH.sub(" ", summary)):
        return v("fail", "bare_summary")  # only the answer: R1's summary sums the reasoning up
    if LEAKED_SPECIAL_TOKEN.search(text):
        return v("fail", "leaked_special_token")
    return v("pass", "well_formed")
