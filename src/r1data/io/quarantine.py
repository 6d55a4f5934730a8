"""Quarantine: rows that cannot enter the pipeline are kept, with their reason, never dropped silently."""

from __future__ import annotations

from typing import Any

import orjson
from datatrove.io import DataFolderLike, get_datafolder

RAW_PREVIEW_CHARS = 2000


def _preview(raw: Any) -> str:
    if isinstance(raw, bytes):
        text = raw.decode("utf-8", errors="backslashreplace")
    elif isinstance(raw, str):
        text = raw
    else:
        text = orjson.dumps(raw, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    return text if len(text) <= RAW_PREVIEW_CHARS else text[:RAW_PREVIEW_CHARS] + "…[truncated]"


class QuarantineSink:
    """Append-only JSONL of ``{"reason", "detail", "where", "raw"}`` in ``<folder>/<rank>.jsonl``.

    Without a folder the records are only counted (by the caller) and logged at debug level.
    """

    def __init__(self, folder: DataFolderLike | None, rank: int, filename: str = "${rank}.jsonl"):
        name = filename.replace("${rank}", f"{rank:05d}")
        self._file = get_datafolder(folder).open(name, "wb") if folder else None

    def write(self, reason: str, detail: str, where: str, raw: Any) -> None:
        if self._file is None:
            return
        line = {"reason": reason, "detail": detail, "where": where, "raw": _preview(raw)}
        self._file.write(orjson.dumps(line) + b"\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
