"""The verifier contract: a verifier judges items against a reference and returns a verdict dict.

A verifier is a class with ``name``, ``version``, ``prepare(reference) -> state`` (done once per prompt
and shared by its N samples) and ``check(state, item) -> verdict``. Verifiers are pure and run inside
:class:`~r1data.verifiers.pool.BoundedPool` workers, which bound their time and memory.
A verdict is ``{"label": "pass"|"fail"|"unknown", "reason": str, "verifier": str, "version": str}``.
"""

from __future__ import annotations

from typing import Any, Protocol

LABELS = ("pass", "fail", "unknown")


class Verifier(Protocol):
    name: str
    version: str

    def prepare(self, reference: dict[str, Any] | None) -> Any: ...

    def check(self, state: Any, item: dict[str, Any]) -> dict[str, Any]: ...


def verdict(label: str, reason: str, verifier: str, version: str, **extra: Any) -> dict[str, Any]:
    assert label in LABELS, label
    return {"label": label, "reason": reason, "verifier": verifier, "version": version, **extra}


def correct_of(v: dict[str, Any]) -> bool | None:
    """``correct`` as the record contract spells it: True/False, or None when undecided."""
    return {"pass": True, "fail": False}.get(v["label"])
