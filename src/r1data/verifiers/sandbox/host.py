"""Host side of the code sandbox: util-linux ``unshare`` namespaces, a minimal read-only root, a
seccomp filter, unprivileged uids, rlimits and a memory cgroup. docs/concepts/verification.md, "Code (sandboxed)",
says exactly what is and is not visible inside.

A warm *zygote* per host thread sits inside a network namespace with no interface up (no network,
loopback included) and its own UTS and mount namespaces; ``unshare`` dies with the thread that
started it (``PR_SET_PDEATHSIG``) and takes the zygote's namespaces with it (``--kill-child``), so
nothing outlives a killed verifier worker. Each run is a fork of the zygote with a mount, IPC and PID
namespace of its own (forking a warm process instead of starting ``unshare`` and an interpreter per
run is what makes a run cost ~25 ms instead of ~90 ms):

* the root is a fresh tmpfs (``tmpfs_mb``, one budget for /tmp, /var/tmp, /dev/shm and /run/lock)
  holding only the interpreter, its loader, shared libraries and standard library, bound read-only,
  five character devices and a /proc that shows each uid only its own processes;
* the code runs as a uid of its own (not root, no groups, no capabilities), the tests as another,
  with rlimits on CPU time, address space, processes, file size, open files and no core dumps, and
  a seccomp filter that refuses new namespaces, mounts, memfd and SysV shared memory; the
  environment is empty but for PATH/HOME/LANG (no tokens, no keys);
* wall time is bounded inside (``budget_s``) and here (the zygote is killed and reaped, and a new
  one started, if a reply is late); output is bounded by the harness.

It needs root (or CAP_SYS_ADMIN) on Linux; :meth:`Sandbox.check` says so clearly otherwise.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from r1data.verifiers.sandbox.cgroup import RunCgroup

try:
    import ctypes

    _LIBC = ctypes.CDLL(None, use_errno=True)
except (ImportError, OSError):  # pragma: no cover - not Linux
    _LIBC = None

UID_BASE, UID_SLOTS = 200_000, 400_000  # sandboxed code runs as uids in [200000, 1000000)
_RUN_COUNTER = itertools.count()


class SandboxUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Limits:
    """Bounds for one sandboxed run (the tests' process gets the same, with more memory).
    ``tmpfs_mb`` is one budget shared by every writable folder (/tmp, /var/tmp, /dev/shm, /run/lock);
    where a memory cgroup can be made, all processes of the run together get ``memory_mb + tmpfs_mb +
    128`` MB, memfd and shared-memory pages included."""

    # MBPP 123's reference solution needs ~4.5 s of CPU here: a 5 s CPU limit failed it at random;
    # the wall bound is what stops a run (HumanEval's sleep(10) sample must time out)
    cpu_s: int = 10
    wall_s: float = 10.0  # a functional run, all tests together
    case_timeout_s: float = 5.0  # one stdio case
    memory_mb: int = 512
    nproc: int = 32
    file_bytes: int = 16 * 2**20
    output_bytes: int = 2**20  # one stdio case's stdout, or a functional solution's stdout/stderr
    output_total_bytes: int = 8 * 2**20  # every stdio case's stdout together; later cases are not run
    tmpfs_mb: int = 64


def _default_python() -> str:
    # The code runs as an unprivileged uid with /root and /home masked: it needs an interpreter that
    # lives outside them (a pyenv or venv Python under /root would be invisible).
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(candidate):
            return candidate
    return os.path.realpath(shutil.which("python3") or "python3")


def _tie_to_parent():
    """In the child before exec: die with the thread that started it (a verifier worker killed for
    overrunning takes its sandbox with it; ``--kill-child`` passes it on to the namespace)."""
    parent = os.getpid()

    def apply():
        if _LIBC is not None:
            _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return apply


class Sandbox:
    """Run untrusted Python in fresh namespaces (see the module docstring).

    Args:
        limits: time, memory, process and output bounds.
        python: the interpreter run inside (default: the system ``python3``).
        extra_paths: host paths made visible read-only inside, besides the interpreter and its
            standard library (e.g. a site-packages folder a task needs).
    """

    def __init__(
        self,
        limits: Limits | None = None,
        python: str | None = None,
        extra_paths: tuple[str, ...] = (),
        report_timing: bool = False,
    ):
        """``report_timing``: each result carries ``timing``, where the run's time went (seconds)."""
        self.report_timing = report_timing
        self.limits = limits or Limits()
        self.python = python or _default_python()
        self.extra_paths = [os.path.abspath(p) for p in extra_paths]
        self._local = threading.local()
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

    def _zygote(self) -> _Zygote:
        """This thread's warm sandbox process (started on first use; one per thread, since the
        kernel ties its lifetime to the thread that started it)."""
        zygote = getattr(self._local, "zygote", None)
        if zygote is None or zygote.proc.poll() is not None:
            zygote = self._local.zygote = _Zygote(self.python, self.harness)
        return zygote

    def _run(self, job: dict[str, Any], budget_s: float) -> dict[str, Any]:
        limits = asdict(self.limits)
        t_start = time.monotonic()
        cgroup = RunCgroup(self.limits.memory_mb + self.limits.tmpfs_mb + 128)
        t_cgroup = time.monotonic()
        job = {
            **job,
            "uids": self._uids(),
            "limits": limits,
            "test_limits": {**limits, "memory_mb": max(1024, limits["memory_mb"]), "nproc": 8},
            "budget_s": budget_s,
            "extra_paths": self.extra_paths,
            "cgroup": cgroup.path,
        }
        tests = {k: job.pop(k) for k in ("test", "entry_point", "setup") if k in job}
        if job["mode"] == "functional":
            tests["prefix"] = job["prefix"]
        part_two = json.dumps(tests).encode() if job["mode"] == "functional" else b""
        try:
            # the zygote keeps to the budget itself; the margin covers its report
            line = self._zygote().run(json.dumps(job).encode(), part_two, budget_s + 5)
        finally:
            t_back = time.monotonic()
            cgroup.remove()
        if line is None:
            self._local.zygote = None
            return {"error": "timeout", "detail": f"the sandbox exceeded {budget_s:.0f}s wall time"}
        try:
            result = json.loads(line)
        except ValueError:
            result = {"error": "sandbox_error", "detail": f"unreadable sandbox reply {line[:200]!r}"}
        if cgroup.oom_killed() and (
            result.get("error") == "sandbox_error" or result.get("status") != "passed"
        ):
            # the program's own memory use, whatever it broke on the way: a fail, never "unknown"
            result = {"error": "memory_limit", "detail": "the run exceeded its memory cgroup"}
        timing = result.pop("timing", {})
        if self.report_timing:  # bench/verify_code.py; never in verdicts (they must not vary run to run)
            timing["cgroup"] = round((t_cgroup - t_start) + (time.monotonic() - t_back), 5)
            timing["host_total"] = round(time.monotonic() - t_start, 5)
            result["timing"] = timing
        return result

    def close(self) -> None:
        zygote = getattr(self._local, "zygote", None)
        if zygote is not None:
            zygote.close()
            self._local.zygote = None

    def run_functional(
        self,
        solution: str,
        test: str,
        entry_point: str | None = None,
        setup: str | None = None,
        budget_s: float | None = None,
        prefix: str = "",
    ) -> dict[str, Any]:
        """Run ``test`` against ``prefix + solution``; at most ``budget_s`` (default ``limits.wall_s``)
        seconds. ``prefix`` (the prompt's code) also runs on its own in the tests' process: the names
        it defines are the ones the tests call, but for ``entry_point``.

        ``status``: ``passed``, ``failed``, ``timeout``, ``output_limit``, ``memory_limit`` (the
        program's doing), ``bad_reference`` (the tests, setup or prefix cannot run, whatever the
        solution) or ``sandbox_error`` (the sandbox itself failed)."""
        job = {"mode": "functional", "solution": solution, "prefix": prefix or ""}
        job.update(test=test, entry_point=entry_point, setup=setup or "")
        result = self._run(job, self.limits.wall_s if budget_s is None else min(budget_s, self.limits.wall_s))
        if "error" in result:
            status = result["error"] if result["error"] in ("timeout", "memory_limit") else "sandbox_error"
            return {"status": status, "passed": 0, "total": None, "detail": result["detail"]}
        if result.get("status") == "error":  # the tests' process died under what the solution sent
            result["status"] = "failed"
        return result

    def run_stdio(self, program: str, inputs: list[str], budget_s: float | None = None) -> dict[str, Any]:
        """Run ``program`` once per input; cases left when ``budget_s`` (default: every case its
        ``case_timeout_s`` and a second) is spent are not started and count as timeouts. Each case's
        ``stdout`` is text (undecodable bytes replaced); ``error`` is ``timeout``, ``memory_limit`` or
        ``sandbox_error`` when the run as a whole failed."""
        job = {"mode": "stdio", "solution": program, "inputs": inputs}
        full = len(inputs) * (self.limits.case_timeout_s + 1)
        result = self._run(job, full if budget_s is None else min(budget_s, full))
        for case in result.get("cases", ()):
            case["stdout"] = base64.b64decode(case["stdout"]).decode("utf-8", "replace")
        return result


_OUTER = [
    "unshare",
    "--net",
    "--uts",
    "--mount",
    "--propagation",
    "private",
    "--pid",
    "--fork",
    "--kill-child",
]


class _Zygote:
    """A warm harness inside the outer namespaces; it forks one child per run (see harness.py)."""

    def __init__(self, python: str, harness: str):
        self.proc = subprocess.Popen(
            [*_OUTER, "--", python, "-I", "-S", "-c", harness, "zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
            start_new_session=True,
            cwd="/",
            preexec_fn=_tie_to_parent(),
        )
        self.buffer = b""

    def run(self, job: bytes, tests: bytes, timeout_s: float) -> str | None:
        """Send one job; its result line, or None when none came in time (the zygote is then killed
        with every process of its namespaces, and reaped)."""
        try:
            self.proc.stdin.write(f"{len(job)} {len(tests)}\n".encode() + job + tests)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return json.dumps({"error": "sandbox_error", "detail": "the sandbox process is gone"})
        deadline = time.monotonic() + timeout_s
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(0.0, remaining))
            if not ready:
                _kill_and_reap(self.proc)
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                self.proc.wait()
                return json.dumps({"error": "sandbox_error", "detail": f"exit {self.proc.returncode}"})
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8", "replace")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill_and_reap(self.proc)


def _kill_and_reap(proc: subprocess.Popen) -> None:
    """Kill the namespace's init (the kernel then kills every process in it, and unshare returns only
    once they are gone), then unshare itself; return when unshare has exited."""
    with contextlib.suppress(OSError), open(f"/proc/{proc.pid}/task/{proc.pid}/children") as f:
        for pid in f.read().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
