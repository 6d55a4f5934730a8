"""Pipeline step: verify every completion of the records of one domain in a bounded process pool."""

from __future__ import annotations

import contextlib

from pydantic import model_validator

from r1data.core.configs import Config, option
from r1data.core.step import R1Step, RecordStream
from r1data.verifiers.judge import JudgeClient, JudgeConfig, iter_judged
from r1data.verifiers.registry import VERIFIERS, verifier_pool, verifier_spec
from r1data.verifiers.stream import iter_verified, mark_unverified

SANDBOX_FAILURE_WARN = 0.01  # share of a stage's code verdicts that may be sandbox failures unnoticed


def sandbox_failure_warning(counters: dict[str, float], where: str) -> str | None:
    """A warning when more than 1 % of the code verdicts counted in ``counters`` (a stage's or a
    file's, summed) are ``unknown``/``sandbox_error``: the sandbox, not the programs, is failing."""
    failed = counters.get("verdict_unknown_sandbox_error", 0)
    verified = counters.get("decided_by_code", 0)
    if not verified or failed / verified <= SANDBOX_FAILURE_WARN:
        return None
    return (
        f"{where}: {int(failed)} of {int(verified)} code verdicts ({failed / verified:.1%}) are "
        "unknown/sandbox_error — the sandbox itself is failing (see the verdicts' detail); those "
        "samples are neither kept nor judged wrong"
    )


class VerifyConfig(Config):
    domain: str | None = option(
        "math",
        "records of this domain are verified, others pass untouched; null: every domain without a rule checker",
    )
    checker: str | None = option(
        None, "`module:Class` of another checker (default: the domain's registered one)"
    )
    workers: int | None = option(None, "verifier processes (default: all cores)", ge=1)
    timeout_s: float | None = option(
        None, "hard bound per completion (default: the domain's: math 10 s, code 60 s)", gt=0
    )
    memory_mb: int = option(2048, "memory headroom per verifier process, in MB", ge=64)
    judge: JudgeConfig | None = option(
        None, "an LLM judge for what the rules leave unknown (and `fail` with on: [unknown, fail])"
    )
    sandbox_paths: list[str] | None = option(
        None, "code: host paths the sandbox shows read-only (a site-packages)"
    )
    require_simplified: bool = option(
        False,
        "math: an unevaluated expression equal to a plain-number reference (a product of cosines, "
        "17 + 25) fails as not_simplified; default: it passes, as math-verify and published evals count it",
    )

    @model_validator(mode="after")
    def _decidable(self) -> VerifyConfig:
        if (
            self.domain is not None
            and self.judge is None
            and verifier_spec(self.domain, self.checker) is None
        ):
            raise ValueError(
                f"no rule checker for domain {self.domain!r} (known: {sorted(VERIFIERS)}): give a `judge` to decide it"
            )
        return self


class Verify(R1Step):
    """Set ``verdict`` and ``correct`` on each completion.

    Args:
        domain: records of this domain are verified; others pass through untouched. ``None``: every
            domain without a rule checker (``unknown``/``no_rule_verifier``, then the judge if given).
        checker: ``"module:Class"``; default: the registered checker of ``domain``.
        workers: verifier processes (default: all cores).
        timeout_s: hard bound per completion (default: the domain's, see
            :data:`~r1data.verifiers.registry.VERIFIERS`: 10 s for math, 60 s for code); an overrun is
            ``unknown``/``timeout`` for math and ``fail``/``timeout`` for code.
        memory_mb: memory headroom per verifier process.
        sandbox_paths: host paths the code sandbox makes visible read-only (besides the interpreter
            and its standard library), e.g. a site-packages folder the tasks import from.
        judge: ``{endpoint, model, api_key_env?, on?, concurrency?, timeout_s?}`` (see
            :class:`~r1data.verifiers.judge.JudgeConfig`): the LLM judge re-decides completions whose
            rule verdict is ``unknown`` (and ``fail`` with ``on: [unknown, fail]``). Without a rule
            checker for the domain, the judge decides everything.
    """

    name = "✅ verify"
    Config = VerifyConfig

    def __init__(self, *args, **params):
        super().__init__(*args, **params)
        c = self.config
        options = {"extra_paths": list(c.sandbox_paths)} if c.sandbox_paths else {}
        if c.require_simplified:
            options["require_simplified"] = True
        self.spec = verifier_spec(c.domain, c.checker, **options) if c.domain is not None else None
        self.domain, self.timeout_s, self.workers, self.memory_mb = (
            c.domain,
            c.timeout_s,
            c.workers,
            c.memory_mb,
        )
        self.judge = c.judge

    def _mine(self, record: dict) -> bool:
        domain = record.get("domain", "math")
        return domain == self.domain if self.domain is not None else domain not in VERIFIERS

    def process(self, data):
        stream_of = RecordStream(data)
        records = stream_of.records

        with contextlib.ExitStack() as stack:
            pool = None
            if self.spec:
                pool = stack.enter_context(
                    verifier_pool(self.spec, self.workers, self.timeout_s, self.memory_mb)
                )
                stream = iter_verified(pool, records(), self.domain)
            else:
                stream = mark_unverified(records(), self.domain)
            if self.judge:
                stream = iter_judged(JudgeClient(self.judge), stream)
            for record in stream:
                doc = stream_of.document(record)
                if self._mine(record) and record.get("completions"):
                    # correctness is known here: the pass rate counts every sample verified, whatever
                    # later filters remove
                    completions = record["completions"]
                    record["samples"] = {
                        "n_samples": len(completions),
                        "n_correct": sum(c.get("correct") is True for c in completions),
                    }
                    for c in completions:
                        v = c["verdict"]
                        self.stat_update(
                            "completions_verified",
                            f"verdict_{v['label']}",
                            f"verdict_{v['label']}_{v['reason']}",
                            f"decided_by_{v['verifier']}",
                        )
                yield doc
            for key, value in (pool.stats if pool else {}).items():
                self.stat_update(f"pool_{key}", value=value)
