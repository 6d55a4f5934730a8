"""The rule checkers by domain, each with its one default time bound (used by the verify step, the
``r1data verify`` CLI and the GRPO rewards alike) and the label an overrun gets."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VerifierSpec:
    """A checker class (``"module:Class"``), its bound per completion, and what an overrun means:
    math that cannot be decided in time is ``unknown``; code that runs past its bound ``fail``s."""

    path: str
    timeout_s: float = 10.0
    timeout_label: str = "unknown"
    options: dict[str, Any] = field(default_factory=dict)
    bounds_itself: bool = False  # the checker takes ``budget_s`` and keeps to it (the code sandbox)

    def checker_options(self, timeout_s: float) -> dict[str, Any]:
        """Constructor arguments for the checker in the worker. A checker that bounds itself gets a
        budget a little inside the pool's bound, so that it kills and reaps its sandbox and reports
        ``fail``/``timeout`` itself before the pool would have to kill the worker."""
        if self.bounds_itself:
            return {**self.options, "budget_s": max(1.0, timeout_s - 3.0)}
        return dict(self.options)


VERIFIERS: dict[str, VerifierSpec] = {
    "math": VerifierSpec("r1data.verifiers.math_verifier:MathVerifier", 10.0, "unknown"),
    "code": VerifierSpec("r1data.verifiers.code:CodeVerifier", 60.0, "fail", bounds_itself=True),
}


def verifier_spec(domain: str, checker: str | None = None, **options: Any) -> VerifierSpec | None:
    """The spec of ``domain`` (or of a custom ``checker`` class path), None when there is no rule
    checker for it. ``options`` go to the checker's constructor (e.g. ``extra_paths`` for code)."""
    base = VERIFIERS.get(domain)
    if checker is not None and (base is None or checker != base.path):
        base = VerifierSpec(checker)
    if base is None:
        return None
    return dataclasses.replace(base, options={**base.options, **options})


def verifier_pool(
    spec: VerifierSpec, workers: int | None = None, timeout_s: float | None = None, memory_mb: int = 2048
):
    """A :class:`~r1data.verifiers.pool.BoundedPool` for ``spec`` (its own bound unless ``timeout_s``)."""
    from r1data.verifiers.pool import BoundedPool

    bound = timeout_s or spec.timeout_s
    return BoundedPool(
        spec.path,
        workers,
        bound,
        memory_mb,
        timeout_label=spec.timeout_label,
        options=spec.checker_options(bound),
    )
