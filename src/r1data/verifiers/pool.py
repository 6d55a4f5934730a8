"""A process pool with a hard per-item time bound: a worker whose item overruns is killed and replaced.

math-verify's own SIGALRM timeouts do not stop every hang (C extensions, huge integers), so every
item also gets a wall-clock deadline enforced from outside. Workers are plain subprocesses
(``python -m r1data.verifiers.worker``), so the pool also works inside datatrove's daemonic task
processes, and a killed worker takes its whole process group with it.

>>> with BoundedPool("r1data.verifiers.math_verifier:MathVerifier", workers=1) as pool:  # doctest: +SKIP
...     [v["label"] for v in next(pool.imap([({"answer": "2"}, [{"text": "\\\\boxed{2}"}])]))]
['pass']
"""

from __future__ import annotations

import collections
import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

Task = tuple[dict[str, Any] | None, list[dict[str, Any]]]
_SECRET_MARKERS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "CREDENTIAL")


def _is_secret(name: str) -> bool:
    """Environment variables workers never see: HF_TOKEN, OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, …"""
    return any(marker in name.upper() for marker in _SECRET_MARKERS)


class _Worker:
    def __init__(self, checker: str, memory_mb: int, options: dict[str, Any]):
        env = {k: v for k, v in os.environ.items() if not _is_secret(k)}
        env["PYTHONUNBUFFERED"] = "1"
        argv = [sys.executable, "-m", "r1data.verifiers.worker", checker, str(memory_mb)]
        self.proc = subprocess.Popen(
            [*argv, orjson.dumps(options).decode()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.buffer = b""
        self.ready = False
        self.job: tuple[int, list[int]] | None = None  # (task index, item positions still awaited)
        self.deadline = float("inf")

    def send(self, task_index: int, reference, items: list[dict], positions: list[int]) -> None:
        self.job = (task_index, positions)
        self.proc.stdin.write(orjson.dumps({"reference": reference, "items": items}) + b"\n")
        self.proc.stdin.flush()

    def read_lines(self) -> list[dict] | None:
        """Complete lines available now; None at EOF (the worker died)."""
        try:
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            return []
        if not chunk:
            return None
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        return [orjson.loads(line) for line in lines if line]

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()


STARTUP_WINDOW = 4096  # tasks held while the workers start (the rules keep deciding)


class BoundedPool:
    """Run a checker over tasks ``(reference, items)`` in ``workers`` subprocesses.

    Args:
        checker: ``"module:Class"`` of a :class:`~r1data.verifiers.base.Verifier`.
        workers: number of worker processes (default: all cores).
        timeout_s: hard wall-clock bound per item; an item that overruns gets
            ``{"label": "unknown", "reason": "timeout"}`` and its worker is killed and replaced.
        memory_mb: address-space headroom per worker; exhausting it yields ``unknown``/``memory``.
        start_timeout_s: bound on a worker's start-up (imports).
        timeout_label: the label of an item that overran (``unknown``; ``fail`` for code, see
            :mod:`r1data.verifiers.registry`).
        options: keyword arguments for the checker's constructor in each worker.
    """

    def __init__(
        self,
        checker: str,
        workers: int | None = None,
        timeout_s: float = 10.0,
        memory_mb: int = 2048,
        start_timeout_s: float = 120.0,
        timeout_label: str = "unknown",
        options: dict[str, Any] | None = None,
    ):
        self.checker, self.timeout_s, self.memory_mb = checker, timeout_s, memory_mb
        self.timeout_label, self.options = timeout_label, options or {}
        self.start_timeout_s = start_timeout_s
        self.n_workers = workers or os.cpu_count() or 1
        self.name = checker.rsplit(":", 1)[-1]
        self.stats: collections.Counter[str] = collections.Counter()
        self._workers: list[_Worker] = []
        self._selector = selectors.DefaultSelector()

    # lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> BoundedPool:
        self._entered = True
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for w in self._workers:
            self._selector.unregister(w.proc.stdout)
            w.kill()
        self._workers.clear()

    def _spawn(self) -> _Worker:
        w = _Worker(self.checker, self.memory_mb, self.options)
        w.deadline = time.monotonic() + self.start_timeout_s
        self._selector.register(w.proc.stdout, selectors.EVENT_READ, w)
        self._workers.append(w)
        return w

    def _replace(self, w: _Worker) -> None:
        self._selector.unregister(w.proc.stdout)
        w.kill()
        self._workers.remove(w)
        self._spawn()
        self.stats["workers_replaced"] += 1

    # work --------------------------------------------------------------------------------------
    def imap(self, tasks: Iterable[Task], window: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yield, for each task in input order, the list of verdicts of its items. Streams: at most
        ``window`` tasks (default 32 × workers) are held at once, enough that one slow task does not
        starve the other workers while results wait for it to come back in order."""
        if not getattr(self, "_entered", False):
            raise RuntimeError("BoundedPool must be used as a context manager")
        window = window or 32 * self.n_workers
        source = iter(tasks)
        tasks_by_index: dict[int, Task] = {}
        results: dict[int, list[dict | None]] = {}
        pending: collections.deque[tuple[int, list[int]]] = collections.deque()
        next_in, next_out, exhausted = 0, 0, False

        while True:
            # while the workers start (their imports take a second), the caller's rules go on deciding
            # the tasks after the first that needs a worker: the window is wider until one is ready
            starting = self._workers and not any(w.ready for w in self._workers)
            while not exhausted and len(results) < (max(window, STARTUP_WINDOW) if starting else window):
                try:
                    reference, items = next(source)
                except StopIteration:
                    exhausted = True
                    break
                tasks_by_index[next_in] = (reference, items)
                results[next_in] = [None] * len(items)
                if items:  # an empty task is done already (the rules decided all its items)
                    pending.append((next_in, list(range(len(items)))))
                    if not self._workers:  # the first task that needs a worker: start them now
                        while len(self._workers) < self.n_workers:
                            self._spawn()
                        starting = True
                next_in += 1
            finished = 0
            while next_out in results and None not in results[next_out]:
                del tasks_by_index[next_out]
                yield results.pop(next_out)
                next_out += 1
                finished += 1
            if exhausted and not results:
                return
            if not finished:  # refill the window before waiting on the workers again
                self._dispatch(pending, tasks_by_index, results)

    def _dispatch(self, pending, tasks_by_index, results) -> None:
        while len(self._workers) < self.n_workers:  # started on first use: all-fast runs pay nothing
            self._spawn()
        now = time.monotonic()
        for w in self._workers:
            if w.ready and w.job is None and pending:
                task_index, positions = pending.popleft()
                if not positions:
                    continue
                reference, items = tasks_by_index[task_index]
                w.send(task_index, reference, [items[p] for p in positions], positions)
                w.deadline = now + self.timeout_s
        timeout = max(0.0, min(w.deadline for w in self._workers) - now)
        for key, _ in self._selector.select(timeout=min(timeout, 1.0)):
            w: _Worker = key.data
            lines = w.read_lines()
            if lines is None:
                if not w.ready:
                    raise RuntimeError(f"verifier worker {self.checker} exited during start-up")
                self._fail_current(w, "worker_crashed", pending, results)
                continue
            for msg in lines:
                self._on_message(w, msg, results)
        now = time.monotonic()
        for w in list(self._workers):
            if w.deadline <= now:
                if not w.ready:
                    raise RuntimeError(
                        f"verifier worker {self.checker} did not start within {self.start_timeout_s}s"
                    )
                self._fail_current(w, "timeout", pending, results)

    def _on_message(self, w: _Worker, msg: dict, results) -> None:
        if msg.get("ready"):
            w.ready, w.deadline = True, float("inf")
            return
        if msg.get("done"):
            w.job, w.deadline = None, float("inf")
            return
        task_index, positions = w.job
        results[task_index][positions[msg["i"]]] = msg["verdict"]
        w.deadline = time.monotonic() + self.timeout_s

    def _fail_current(self, w: _Worker, reason: str, pending, results) -> None:
        """The item the worker is on gets ``unknown``/reason; the rest of its task is re-queued."""
        if w.job is not None:
            task_index, positions = w.job
            todo = [p for p in positions if results[task_index][p] is None]
            if todo:
                label = self.timeout_label if reason == "timeout" else "unknown"
                results[task_index][todo[0]] = {
                    "label": label,
                    "reason": reason,
                    "verifier": self.name,
                    "version": "pool",
                }
                self.stats[f"items_{reason}"] += 1
                pending.appendleft((task_index, todo[1:]))
        self._replace(w)
