"""Verify streams of records: the one code path behind the pipeline step, ``r1data verify`` and the
GRPO rewards.

For each completion the checker's in-process ``fast`` rules run first (when the checker has them);
only what they leave undecided goes to the bounded pool, whose workers start on first use.
"""

from __future__ import annotations

import collections
import importlib
from collections.abc import Iterable, Iterator
from typing import Any

from loguru import logger

from r1data.schemas.records import prompt_text
from r1data.verifiers.base import correct_of
from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.registry import VERIFIERS

_ITEM_FIELDS = ("finish_reason", "reasoning", "summary", "closed")


def load_verifier_class(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _item(completion: dict[str, Any]) -> dict[str, Any]:
    item = {k: completion[k] for k in _ITEM_FIELDS if completion.get(k) is not None}
    if "summary" not in item:
        item["text"] = completion.get("text", "")
    return item


def _is_domain(record: dict[str, Any], domain: str) -> bool:
    return record.get("domain", "math") == domain and bool(record.get("completions"))


def iter_verified(
    pool: BoundedPool, records: Iterable[dict[str, Any]], domain: str
) -> Iterator[dict[str, Any]]:
    """Yield each record, in order, with ``verdict`` and ``correct`` set on every completion of records
    of ``domain``; other records pass through unchanged. Every record is one task of the pool (an
    empty one when the in-process rules decided everything, or when it is not of ``domain``), so that
    records come back in order as soon as they are done and memory stays bounded by the pool's window
    whatever the share of records the rules decide."""
    fast = getattr(load_verifier_class(pool.checker), "fast", None)
    held: collections.deque[tuple[dict[str, Any], list | None]] = collections.deque()

    def tasks():
        for record in records:
            if not _is_domain(record, domain):
                held.append((record, None))
                yield None, []
                continue
            reference, prompt = record.get("reference"), prompt_text(record) or None
            decided, payloads = [], []
            for completion in record["completions"]:
                item = _item(completion)
                if fast is not None:
                    try:
                        item = fast(reference, prompt, item, **pool.options)
                    except Exception as exc:  # a rule bug must not stop a run; the pool decides instead
                        logger.warning(
                            f"fast rules failed on {record.get('id')}: {type(exc).__name__}: {exc}"
                        )
                decided.append(item if "label" in item else None)
                if "label" not in item:
                    payloads.append(item)
            held.append((record, decided))
            yield reference, payloads

    for verdicts in pool.imap(tasks()):
        record, decided = held.popleft()
        if decided is None:
            yield record
            continue
        pending = iter(verdicts)
        for completion, v in zip(record["completions"], decided, strict=True):
            completion["verdict"] = v if v is not None else next(pending)
            completion["correct"] = correct_of(completion["verdict"])
        yield record


def mark_unverified(records: Iterable[dict[str, Any]], domain: str | None = None) -> Iterator[dict[str, Any]]:
    """For domains without a rule checker (``domain``, or by default every domain not in
    :data:`VERIFIERS`): every completion gets ``unknown``/``no_rule_verifier``; a judge may then decide."""
    for record in records:
        d = record.get("domain", "math")
        if record.get("completions") and (d == domain if domain else d not in VERIFIERS):
            for completion in record["completions"]:
                completion["verdict"] = {"label": "unknown", "reason": "no_rule_verifier", "verifier": "none"}
                completion["correct"] = None
        yield record
