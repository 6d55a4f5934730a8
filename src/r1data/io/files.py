"""Writing a file so that a reader (or a run killed halfway) sees its old content or all of the new."""

from __future__ import annotations

import os


def write_atomic(path: str, data: bytes) -> None:
    """Write ``path`` so that it holds either its old content or all of ``data``, never a part."""
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
