"""Pipeline step: verify every completion of the records of one domain in a bounded process pool."""

from __future__ import annotations

from r1data.pipelines.step import R1Step
from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.runner import CHECKERS, iter_verified


class Verify(R1Step):
    """Set ``verdict`` and ``correct`` on each completion.

    Args:
        domain: records of this domain are verified; others pass through untouched.
        checker: ``"module:Class"``; default: the registered checker of ``domain``.
        workers: verifier processes (default: all cores).
        timeout_s: hard bound per completion; an overrun gives ``unknown``/``timeout``.
        memory_mb: memory headroom per verifier process.
    """

    name = "✅ verify"

    def __init__(
        self,
        domain: str = "math",
        checker: str | None = None,
        workers: int | None = None,
        timeout_s: float = 10.0,
        memory_mb: int = 2048,
    ):
        super().__init__()
        if checker is None and domain not in CHECKERS:
            raise ValueError(f"no checker registered for domain {domain!r}; known: {sorted(CHECKERS)}")
        self.domain, self.checker = domain, checker or CHECKERS[domain]
        self.workers, self.timeout_s, self.memory_mb = workers, timeout_s, memory_mb

    def process(self, data):
        docs = {}

        def records():
            for doc in data:
                docs[id(doc.metadata)] = doc
                yield doc.metadata

        with BoundedPool(self.checker, self.workers, self.timeout_s, self.memory_mb) as pool:
            for record in iter_verified(pool, records(), self.domain):
                doc = docs.pop(id(record))
                if record.get("domain", "math") == self.domain:
                    for c in record.get("completions", ()):
                        v = c["verdict"]
                        self.stat_update(
                            "completions_verified",
                            f"verdict_{v['label']}",
                            f"verdict_{v['label']}_{v['reason']}",
                        )
                yield doc
            for key, value in pool.stats.items():
                self.stat_update(f"pool_{key}", value=value)
