"""Verifier worker process: ``python -m r1data.verifiers.worker CHECKER MEMORY_MB [OPTIONS_JSON]``.

Reads one JSON task per line on stdin: ``{"reference": …, "items": [...]}``; writes one JSON line per
item as soon as it is judged (so the parent can time each item), then ``{"done": true}``. The parent
(:class:`~r1data.verifiers.pool.BoundedPool`) kills this process when an item overruns its bound.
"""

from __future__ import annotations

import importlib
import os
import resource
import sys

import orjson


def _load_checker(path: str, options: dict):
    module, _, cls = path.partition(":")
    return getattr(importlib.import_module(module), cls)(**options)


def _limit_memory(memory_mb: int) -> None:
    if memory_mb <= 0:
        return
    with open("/proc/self/statm") as f:
        vm_bytes = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = vm_bytes + memory_mb * 2**20  # headroom on top of what the imports already mapped
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main() -> None:
    checker = _load_checker(sys.argv[1], orjson.loads(sys.argv[3]) if len(sys.argv) > 3 else {})
    _limit_memory(int(sys.argv[2]))
    out = sys.stdout.buffer
    out.write(orjson.dumps({"ready": True}) + b"\n")
    out.flush()
    prepared: dict[bytes, object] = {}
    for line in sys.stdin.buffer:
        task = orjson.loads(line)
        key = orjson.dumps(task.get("reference"), option=orjson.OPT_SORT_KEYS)
        if key not in prepared:
            if len(prepared) > 256:
                prepared.clear()
            prepared[key] = checker.prepare(task.get("reference"))
        state = prepared[key]
        for i, item in enumerate(task["items"]):
            try:
                result = checker.check(state, item)
            except MemoryError:
                result = {
                    "label": "unknown",
                    "reason": "memory",
                    "verifier": checker.name,
                    "version": checker.version,
                }
            out.write(orjson.dumps({"i": i, "verdict": result}) + b"\n")
            out.flush()
        out.write(b'{"done":true}\n')
        out.flush()


if __name__ == "__main__":
    main()
