"""Code verifier: run the completion's Python in the sandbox against the reference tests.

The program is the **last fenced Python block of the answer** (the summary; the whole text without
reasoning markers), else the raw answer text. ``reference.tests`` is one of:

* ``{"kind": "functional", "test": str, "entry_point": str?, "setup": str?, "prefix": str?}``: test
  code that defines ``check(candidate)`` (HumanEval; called with the function named ``entry_point``)
  or top-level ``assert`` statements (MBPP; each counts as one test). ``prefix`` is prepended to the
  program (HumanEval's prompt, when completions are function bodies).
* ``{"kind": "stdio", "cases": [{"input": str, "output": str}, ...], "float_tolerance": float?}``:
  the program reads stdin and writes stdout, once per case. Outputs match when their
  whitespace-separated tokens are equal (so trailing spaces, blank lines and ``\\r\\n`` do not
  matter); with ``float_tolerance``, tokens that both parse as numbers may differ by that much
  (absolute or relative).

Verdicts carry ``passed``/``total``: ``pass`` (all passed); ``fail`` with ``tests_failed``,
``timeout``, ``output_limit``, ``memory_limit``, ``no_code``, ``program_too_long`` (over
:data:`MAX_PROGRAM_CHARS`: never cut, since the published row holds the whole program), ``truncated``
or ``load_error`` (the program does not even load) — every cause the program controls is a ``fail``;
``unknown`` only with ``bad_reference`` (the reference cannot run, found once per prompt before any
sample runs) or ``sandbox_error`` (the sandbox itself failed).
"""

from __future__ import annotations

import math
import re
from typing import Any

from r1data.core.completion import closed, summary
from r1data.verifiers.base import verdict

_FENCE = re.compile(r"```[ \t]*(python3?|py)?[ \t]*\n(.*?)```", re.S | re.I)
MAX_PROGRAM_CHARS = 200_000


def extract_code(answer: str) -> str:
    """The last fenced Python block (a bare ``` fence counts when no block names Python), else the text.

    >>> extract_code("Here:\\n```python\\nprint(1)\\n```\\nand\\n```py\\nprint(2)\\n```")
    'print(2)\\n'
    """
    blocks = _FENCE.findall(answer)
    python = [code for lang, code in blocks if lang]
    if python:
        return python[-1]
    if blocks:
        return blocks[-1][1]
    return answer


def outputs_match(got: str, expected: str, float_tolerance: float | None = None) -> bool:
    """Whitespace-tolerant comparison of program outputs (see the module docstring).

    >>> outputs_match("1 2\\r\\n3  \\n\\n", "1 2\\n3"), outputs_match("0.3333334", "0.333333", 1e-5)
    (True, True)
    """
    a, b = got.split(), expected.split()
    if a == b:
        return True
    if float_tolerance is None or len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return False
        if not (math.isfinite(fx) and math.isfinite(fy)):
            return False
        if abs(fx - fy) > float_tolerance * max(1.0, abs(fy)):
            return False
    return True


class CodeVerifier:
    name = "code"
    version = "v1+sandbox-unshare"

    def __init__(self, budget_s: float | None = None, extra_paths: tuple[str, ...] = ()):
        """``budget_s``: wall-clock bound of one completion's whole run (all its tests or cases);
        ``extra_paths``: host paths visible read-only inside the sandbox besides the standard library."""
        from r1data.verifiers.sandbox.host import Sandbox

        self.budget_s = budget_s
        self.sandbox = Sandbox(extra_paths=tuple(extra_paths))

    def _v(self, label: str, reason: str, **extra: Any) -> dict[str, Any]:
        return verdict(label, reason, self.name, self.version, **extra)

    def prepare(self, reference: dict[str, Any] | None) -> Any:
        """The prompt's tests, or the ``unknown``/``bad_reference`` verdict every sample of it gets when
        their shape is wrong. Whether the tests, setup and prefix can *run* is checked by the sandbox
        at the start of the prompt's first run, before any test meets the solution; once found
        broken, the verdict is kept here and the prompt's other samples are not run."""
        return self._tests(reference)

    def _tests(self, reference: dict[str, Any] | None) -> dict[str, Any]:
        tests = (reference or {}).get("tests")
        if not isinstance(tests, dict) or tests.get("kind") not in ("functional", "stdio"):
            return self._v(
                "unknown", "bad_reference", detail="reference.tests.kind must be functional or stdio"
            )
        if tests["kind"] == "functional" and not (
            isinstance(tests.get("test"), str)
            and all(isinstance(tests.get(k) or "", str) for k in ("prefix", "setup", "entry_point"))
        ):
            return self._v(
                "unknown", "bad_reference", detail="functional tests need 'test' code (and text prefix/setup)"
            )
        if tests["kind"] == "stdio" and not (
            isinstance(tests.get("cases"), list)
            and tests["cases"]
            and all(isinstance(c, dict) and {"input", "output"} <= set(c) for c in tests["cases"])
        ):
            return self._v("unknown", "bad_reference", detail="stdio tests need cases with input and output")
        return tests

    def check(self, state: Any, item: dict[str, Any]) -> dict[str, Any]:
        if "label" in state:  # unusable reference
            return state
        if "broken" in state:  # found by an earlier sample's run: the same for every sample
            return state["broken"]
        if not closed(item):
            return self._v("fail", "truncated", passed=0, total=None)
        answer = summary(item)
        code = extract_code(answer)
        if not code.strip():
            return self._v("fail", "no_code", passed=0, total=None)
        if len(code) > MAX_PROGRAM_CHARS:
            return self._v("fail", "program_too_long", passed=0, total=None, detail=f"{len(code)} characters")
        if state["kind"] == "functional":
            r = self.sandbox.run_functional(
                code, state["test"], state.get("entry_point"), state.get("setup"), self.budget_s,
                prefix=state.get("prefix") or "",
            )  # fmt: skip
            counts = {"passed": r.get("passed", 0), "total": r.get("total")}
            detail = {"detail": r["detail"][:300]} if r.get("detail") else {}
            status = r["status"]
            if status == "passed":
                return self._v("pass", "tests_passed", **counts)
            if status == "bad_reference":
                state["broken"] = self._v("unknown", status, **detail, passed=0, total=None)
                return state["broken"]
            if status == "sandbox_error":
                return self._v("unknown", status, **detail, **counts)
            if status in ("timeout", "output_limit", "memory_limit"):
                return self._v("fail", status, **detail, **counts)
            if r.get("detail", "").startswith("solution failed to load"):
                return self._v("fail", "load_error", **detail, **counts)
            return self._v("fail", "tests_failed", **detail, **counts)
        cases = state["cases"]
        r = self.sandbox.run_stdio(code, [str(c["input"]) for c in cases], self.budget_s)
        if "error" in r:
            label = "unknown" if r["error"] == "sandbox_error" else "fail"
            return self._v(label, r["error"], passed=0, total=len(cases), detail=r.get("detail", "")[:300])
        tol = state.get("float_tolerance")
        passed = sum(
            not run["timeout"]
            and not run["output_limit"]
            and outputs_match(run["stdout"], str(c["output"]), tol)
            for run, c in zip(r["cases"], cases, strict=True)
        )
        counts = {"passed": passed, "total": len(cases)}
        if passed == len(cases):
            return self._v("pass", "tests_passed", **counts)
        for reason in ("timeout", "output_limit"):
            if any(run[reason] for run in r["cases"]):
                return self._v("fail", reason, **counts)
        return self._v("fail", "tests_failed", **counts)
