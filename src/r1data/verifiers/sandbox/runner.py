"""Host side of the code sandbox: util-linux ``unshare`` namespaces + a tmpfs-masked filesystem +
unprivileged uids + rlimits. See the README section "Code sandbox" for what it protects against.

Per run:
* new network namespace (no interface up: no network at all, loopback included), PID namespace
  (the harness is PID 1; when it exits the kernel kills everything left), mount, IPC and UTS
  namespaces; ``--kill-child`` ties the namespace's life to this run;
* ``/tmp``, ``/var/tmp``, ``/run/lock`` and ``/dev/shm`` (the world-writable places) are fresh,
  size-bounded tmpfs visible only inside; ``/root`` and ``/home`` are masked by empty tmpfs;
* the code runs as a uid of its own (not root, no groups, no capabilities), the tests as another,
  with rlimits on CPU time, address space, processes, file size, open files and no core dumps; the
  environment is empty but for PATH/HOME/LANG (no tokens, no keys);
* wall time is bounded here (the whole namespace is killed), output is bounded by the harness.

It needs root (or CAP_SYS_ADMIN) on Linux; :meth:`Sandbox.check` says so clearly otherwise.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

_MOUNTS = r"""
set -e
for d in /tmp /var/tmp /run/lock /dev/shm; do
  if [ -d "$d" ]; then mount -t tmpfs -o "size=${R1_TMPFS_MB}m,mode=1777,nosuid,nodev" tmpfs "$d"; fi
done
for d in /root /home; do
  if [ -d "$d" ]; then mount -t tmpfs -o size=1m,mode=755,nosuid,nodev tmpfs "$d"; fi
done
exec "$R1_PYTHON" -I -S -c "$R1_HARNESS" init
"""


UID_BASE, UID_SLOTS = 200_000, 400_000  # sandboxed code runs as uids in [200000, 1000000)
_RUN_COUNTER = itertools.count()


class SandboxUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Limits:
    """Bounds for one sandboxed run (the tests' process gets the same, with more memory)."""

    cpu_s: int = 5
    wall_s: float = 10.0  # a functional run, all tests together
    case_timeout_s: float = 5.0  # one stdio case
    memory_mb: int = 512
    nproc: int = 32
    file_bytes: int = 16 * 2**20
    output_bytes: int = 2**20
    tmpfs_mb: int = 64


def _default_python() -> str:
    # The code runs as an unprivileged uid with /root and /home masked: it needs an interpreter that
    # lives outside them (a pyenv or venv Python under /root would be invisible).
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate):
            return candidate
    return os.path.realpath(shutil.which("python3") or "python3")


class Sandbox:
    def __init__(self, limits: Limits | None = None, python: str | None = None):
        self.limits = limits or Limits()
        self.python = python or _default_python()
        self.harness = resources.files("r1data.verifiers.sandbox").joinpath("harness.py").read_text()
        self.used_uids: set[int] = set()  # every uid this sandbox ran code as (for leak checks)

    def _uids(self) -> list[int]:
        # A fresh pair per run (process id and a counter), so that concurrent runs never share a uid:
        # RLIMIT_NPROC counts per uid, and a fork bomb in one run must not starve another.
        slot = (os.getpid() * 1024 + next(_RUN_COUNTER)) % UID_SLOTS
        base = UID_BASE + slot * 2
        self.used_uids.update((base, base + 1))
        return [base, base + 1]

    def check(self) -> None:
        """Raise :class:`SandboxUnavailable` with the reason when this machine cannot sandbox."""
        if os.name != "posix" or not os.path.exists("/proc/self/ns/net"):
            raise SandboxUnavailable("the code sandbox needs Linux namespaces")
        if not shutil.which("unshare"):
            raise SandboxUnavailable(
                "the code sandbox needs util-linux's `unshare` (apt-get install util-linux)"
            )
        if os.geteuid() != 0:
            raise SandboxUnavailable(
                "the code sandbox needs root (or CAP_SYS_ADMIN) to create namespaces "
                "and switch to unprivileged uids; run verification of code as root"
            )
        result = self.run_stdio("print(6 * 7)", [""])
        if result.get("error") or result["cases"][0]["stdout"].strip() != "42":
            raise SandboxUnavailable(f"the sandbox does not work here: {result}")

    def _run(self, job: dict[str, Any], wall_s: float) -> dict[str, Any]:
        limits = asdict(self.limits)
        job = {
            **job,
            "harness": self.harness,
            "uids": self._uids(),
            "limits": limits,
            "test_limits": {**limits, "memory_mb": max(1024, limits["memory_mb"]), "nproc": 8},
        }
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "R1_PYTHON": self.python,
            "R1_HARNESS": self.harness,
            "R1_TMPFS_MB": str(self.limits.tmpfs_mb),
        }
        argv = [
            "unshare",
            "--net",
            "--pid",
            "--fork",
            "--kill-child",
            "--mount-proc",
            "--mount",
            "--propagation",
            "private",
            "--ipc",
            "--uts",
            "--",
            "/bin/sh",
            "-c",
            _MOUNTS,
        ]
        tests = {k: job.pop(k) for k in ("test", "entry_point", "setup") if k in job}
        part_one, part_two = json.dumps(job).encode(), json.dumps(tests).encode()
        payload = str(len(part_one)).encode() + b"\n" + part_one + part_two
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            cwd="/",
        )
        try:
            out, err = proc.communicate(payload, timeout=wall_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"error": "timeout", "detail": f"the sandbox exceeded {wall_s:.0f}s wall time"}
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        lines = out.decode("utf-8", "replace").strip().splitlines()
        try:
            return json.loads(lines[-1])
        except (IndexError, ValueError):
            return {
                "error": "sandbox_error",
                "detail": f"exit {proc.returncode}: {err.decode('utf-8', 'replace')[-500:]}",
            }

    def run_functional(
        self, solution: str, test: str, entry_point: str | None = None, setup: str | None = None
    ) -> dict[str, Any]:
        job = {
            "mode": "functional",
            "solution": solution,
            "test": test,
            "entry_point": entry_point,
            "setup": setup or "",
        }
        result = self._run(job, self.limits.wall_s + 10)
        if result.get("error") == "timeout":
            return {"status": "timeout", "passed": 0, "total": None, "detail": result["detail"]}
        if "error" in result:
            return {"status": "sandbox_error", "passed": 0, "total": None, "detail": result["detail"]}
        return result

    def run_stdio(self, program: str, inputs: list[str]) -> dict[str, Any]:
        job = {"mode": "stdio", "solution": program, "inputs": inputs}
        return self._run(job, len(inputs) * (self.limits.case_timeout_s + 1) + 10)
