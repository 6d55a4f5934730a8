"""A memory cgroup per sandboxed run, where the kernel lets us make one.

rlimits bound address space per process, but not the pages of memfds, tmpfs files or shared memory,
and not the sum over processes. A memory cgroup charges all of them to the run. cgroup v2 (a
``memory`` controller enabled in our own cgroup's ``subtree_control``) and v1 (a ``memory``
hierarchy) are both used; where neither is writable, :func:`memory_cgroup_base` returns None and the
sandbox relies on its other bounds (see docs/concepts/verification.md: one tmpfs budget, memfd and SysV shm refused).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import time

_COUNTER = itertools.count()


@functools.cache
def memory_cgroup_base() -> tuple[str, int] | None:
    """``(folder, version)`` under which this process may create memory cgroups, or None."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = [line.rstrip("\n").split(":", 2) for line in f]
    except OSError:
        return None
    candidates = []
    for _, controllers, path in lines:
        if "memory" in controllers.split(","):
            candidates.append((f"/sys/fs/cgroup/memory{path}", 1))
        elif controllers == "":
            for mount in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
                candidates.append((os.path.normpath(f"{mount}{path}"), 2))
    for folder, version in candidates:
        if version == 2:
            try:
                with open(os.path.join(folder, "cgroup.subtree_control")) as f:
                    if "memory" not in f.read().split():
                        continue
            except OSError:
                continue
        probe = os.path.join(folder, f"r1data-probe-{os.getpid()}")
        try:
            os.mkdir(probe)
            os.rmdir(probe)
            return folder, version
        except OSError:
            continue
    return None


class RunCgroup:
    """One cgroup for one run: ``limit_mb`` of memory for all its processes together."""

    def __init__(self, limit_mb: int):
        base = memory_cgroup_base()
        self.path = None
        if base is None:
            return
        folder, version = base
        path = os.path.join(folder, f"r1data-sandbox-{os.getpid()}-{next(_COUNTER)}")
        try:
            os.mkdir(path)
            limit = str(limit_mb * 2**20)
            names = ("memory.max", "memory.swap.max") if version == 2 else ("memory.limit_in_bytes",)
            for name in names:
                with contextlib.suppress(FileNotFoundError), open(os.path.join(path, name), "w") as f:
                    f.write(limit if name != "memory.swap.max" else "0")
            self.path = path
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(path)

    def oom_killed(self) -> bool:
        if self.path is None:
            return False
        for name in ("memory.events", "memory.oom_control"):
            with contextlib.suppress(OSError), open(os.path.join(self.path, name)) as f:
                for line in f.read().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill" and int(value) > 0:
                        return True
        return False

    def remove(self, wait_s: float = 2.0) -> None:
        """Remove the cgroup once its last process is gone (they are already killed)."""
        if self.path is None:
            return
        deadline = time.monotonic() + wait_s
        while True:
            try:
                os.rmdir(self.path)
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    return
                time.sleep(0.005)
