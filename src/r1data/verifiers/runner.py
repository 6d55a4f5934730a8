"""Verify streams of records: the one code path behind the pipeline step and ``r1data verify``."""

from __future__ import annotations

import collections
from collections.abc import Iterable, Iterator
from typing import Any

from r1data.verifiers.base import correct_of
from r1data.verifiers.pool import BoundedPool

CHECKERS = {"math": "r1data.verifiers.math:MathChecker", "code": "r1data.verifiers.code:CodeChecker"}

_ITEM_FIELDS = ("finish_reason", "reasoning", "summary", "closed")


def _item(completion: dict[str, Any]) -> dict[str, Any]:
    item = {k: completion[k] for k in _ITEM_FIELDS if completion.get(k) is not None}
    if "summary" not in item:
        item["text"] = completion.get("text", "")
    return item


def iter_verified(
    pool: BoundedPool, records: Iterable[dict[str, Any]], domain: str
) -> Iterator[dict[str, Any]]:
    """Yield each record, in order, with ``verdict`` and ``correct`` set on every completion of records
    of ``domain``; other records pass through unchanged. Memory stays bounded by the pool's window."""
    held: collections.deque[dict[str, Any]] = collections.deque()

    def tasks():
        for record in records:
            held.append(record)
            if record.get("domain", "math") == domain and record.get("completions"):
                yield record.get("reference"), [_item(c) for c in record["completions"]]

    results = pool.imap(tasks())
    for verdicts in results:
        while held and not (held[0].get("domain", "math") == domain and held[0].get("completions")):
            yield held.popleft()
        record = held.popleft()
        for completion, v in zip(record["completions"], verdicts, strict=True):
            completion["verdict"] = v
            completion["correct"] = correct_of(v)
        yield record
    yield from held
