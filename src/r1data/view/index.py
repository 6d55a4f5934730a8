"""The viewer's index of a run, mix or eval folder: one row per sample (prompt id, sample index, kept or
the recorded reason it was dropped for, stage, verdict, domain, language ratio, length) in a SQLite
file outside the folder, built by streaming the folder once in the background, so that memory stays
flat from a thousand rows to a million and the funnel page is served before the index is done.

Where each sample comes from:

* a run folder: kept rows from ``data/**.parquet`` (read back by file, row group and row), dropped ones
  from ``excluded/<stage>/`` (each with its recorded ``excluded_reason``, its record with
  ``dropped_reason``), the language and readability figures of kept rows from the stage hand-offs
  (``work/<stage>``);
* a mix folder: its rows (the mix's drops are counts only, in ``stats.json``);
* an eval folder: ``results.jsonl``, every sample with its verdict; ``kept`` means correct.

The text of a dropped sample is stored compressed in the index (its file is compressed JSON lines,
which cannot be read from the middle); a kept row is read back from its Parquet row group.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import sqlite3
import threading
import zlib
from typing import Any, ClassVar

SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY, prompt_id TEXT, sample_index INTEGER, kept INTEGER, reason TEXT, stage TEXT,
    label TEXT, verifier TEXT, domain TEXT, benchmark TEXT, language REAL, chars INTEGER, pass_rate REAL,
    finish TEXT, preview TEXT, source TEXT, locator TEXT, body BLOB
);
CREATE TABLE IF NOT EXISTS prompts (prompt_id TEXT PRIMARY KEY, body BLOB);
CREATE TABLE IF NOT EXISTS annotations (prompt_id TEXT, sample_index INTEGER, filters TEXT,
    PRIMARY KEY (prompt_id, sample_index));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""
INDEXES = """
CREATE INDEX IF NOT EXISTS by_prompt ON samples (prompt_id, sample_index);
CREATE INDEX IF NOT EXISTS by_reason ON samples (reason, id);
CREATE INDEX IF NOT EXISTS by_stage ON samples (stage, id);
"""
_BATCH = 2000


def kind_of(folder: str) -> str:
    """``run``, ``mix`` or ``eval``; a ValueError for anything else."""
    if os.path.isfile(os.path.join(folder, "results.jsonl")) and os.path.isfile(
        os.path.join(folder, "metrics.json")
    ):
        return "eval"
    stats = os.path.join(folder, "stats.json")
    if os.path.isfile(stats):
        with open(stats, encoding="utf-8") as f:
            return "mix" if "mix" in json.load(f) else "run"
    raise ValueError(
        f"{folder}: not an r1data run, mix or eval folder (no stats.json or metrics.json + results.jsonl)"
    )


def _signature(folder: str) -> str:
    """What the folder holds, by file names, sizes and times: a changed folder gets a new index."""
    parts = []
    for pattern in ("stats.json", "metrics.json", "results.jsonl", "data/**/*.parquet", "excluded/**/*.jsonl*",
                    "work/*/*.jsonl*"):  # fmt: skip
        for path in sorted(glob.glob(os.path.join(folder, pattern), recursive=True)):
            st = os.stat(path)
            parts.append(f"{os.path.relpath(path, folder)}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join([os.path.abspath(folder), *parts]).encode()).hexdigest()[:20]


def cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "r1data", "view")


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(m.get("content", "")) for m in value if isinstance(m, dict))
    return "" if value is None else str(value)


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False, default=str).encode(), 6)


def unpack(blob: bytes | None) -> Any:
    return None if blob is None else json.loads(zlib.decompress(blob))


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _pass_rate(record: dict) -> float | None:
    sel = record.get("selection") or record.get("samples") or {}
    if "pass_rate" in sel:
        return _float(sel["pass_rate"])
    if sel.get("n_samples"):
        return sel.get("n_correct", 0) / sel["n_samples"]
    return None


class Index:
    """Build (in a thread) and query the index of one folder."""

    def __init__(self, folder: str, path: str | None = None):
        self.folder = os.path.abspath(folder)
        self.kind = kind_of(self.folder)
        os.makedirs(cache_dir(), exist_ok=True)
        self.path = path or os.path.join(cache_dir(), f"{_signature(self.folder)}.sqlite")
        self.progress = {"files_done": 0, "files": 0, "samples": 0, "ready": False, "error": None}
        self._local = threading.local()
        self._thread: threading.Thread | None = None

    # -- connections ------------------------------------------------------------------------------
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def ready(self) -> bool:
        if self.progress["ready"]:
            return True
        try:
            row = self.db().execute("SELECT value FROM meta WHERE key = 'complete'").fetchone()
        except sqlite3.OperationalError:
            return False
        self.progress["ready"] = bool(row)
        return self.progress["ready"]

    def start(self) -> None:
        """Build the index in the background unless a complete one exists."""
        if self.ready():
            return
        self._thread = threading.Thread(target=self._build_safely, name="r1data-view-index", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.ready()

    # -- building ---------------------------------------------------------------------------------
    def _build_safely(self) -> None:
        try:
            self._build()
        except Exception as exc:  # shown on the pages; the funnel stays available
            self.progress["error"] = f"{type(exc).__name__}: {exc}"

    def _build(self) -> None:
        tmp = self.path + f".{os.getpid()}.building"
        if os.path.exists(tmp):
            os.remove(tmp)
        conn = sqlite3.connect(tmp)
        conn.executescript(SCHEMA)
        files = self._files()
        self.progress["files"] = len(files)
        rows: list[tuple] = []

        def flush():
            conn.executemany(
                "INSERT INTO samples (prompt_id, sample_index, kept, reason, stage, label, verifier, domain, "
                "benchmark, language, chars, pass_rate, finish, preview, source, locator, body) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            self.progress["samples"] += len(rows)
            rows.clear()

        for kind, path in files:
            for row in getattr(self, f"_rows_{kind}")(conn, path):
                rows.append(row)
                if len(rows) >= _BATCH:
                    flush()
            self.progress["files_done"] += 1
        flush()
        conn.executescript(INDEXES)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('complete', '1')")
        conn.commit()
        conn.close()
        os.replace(tmp, self.path)
        self._local.conn = None
        self.progress["ready"] = True

    def _files(self) -> list[tuple[str, str]]:
        f = self.folder
        if self.kind == "eval":
            return [("eval", os.path.join(f, "results.jsonl"))]
        files = [("handoff", p) for p in sorted(glob.glob(os.path.join(f, "work", "*", "*.jsonl*")))]
        files += [
            ("excluded", p)
            for p in sorted(glob.glob(os.path.join(f, "excluded", "**", "*.jsonl*"), recursive=True))
        ]
        files += [
            ("parquet", p)
            for p in sorted(glob.glob(os.path.join(f, "data", "**", "*.parquet"), recursive=True))
        ]
        return files

    @staticmethod
    def _lines(path: str):
        from r1data.io.readers import read_jsonl

        yield from read_jsonl(path)

    def _prompt(self, conn, record: dict) -> None:
        keep = {k: v for k, v in record.items() if k not in ("completions",)}
        conn.execute("INSERT OR IGNORE INTO prompts VALUES (?, ?)", (str(record.get("id")), _pack(keep)))

    def _rows_handoff(self, conn, path: str):
        """Hand-offs give the prompts and the filters' figures of samples that went on (no rows)."""
        for record in self._lines(path):
            self._prompt(conn, record)
            for position, c in enumerate(record.get("completions") or []):
                if c.get("filters"):
                    conn.execute(
                        "INSERT OR REPLACE INTO annotations VALUES (?, ?, ?)",
                        (
                            str(record.get("id")),
                            int(c.get("sample_index", position)),
                            json.dumps(c["filters"]),
                        ),
                    )
        return iter(())

    def _rows_excluded(self, conn, path: str):
        stage = os.path.relpath(os.path.dirname(path), os.path.join(self.folder, "excluded"))
        for record in self._lines(path):
            self._prompt(conn, record)
            rate = _pass_rate(record)
            for position, c in enumerate(record.get("completions") or []):
                yield self._row(record, c, position, False, c.get("excluded_reason") or record.get("dropped_reason"),
                                stage, rate, path, "")  # fmt: skip

    def _rows_eval(self, conn, path: str):
        for record in self._lines(path):
            self._prompt(conn, record)
            rate = record["n_correct"] / record["n_samples"] if record.get("n_samples") else None
            for position, c in enumerate(record.get("completions") or []):
                verdict = c.get("verdict") or {}
                reason = (
                    None
                    if c.get("correct") is True
                    else f"{verdict.get('label', 'unverified')}_{verdict.get('reason', '')}".rstrip("_")
                )
                yield self._row(record, c, position, c.get("correct") is True, reason, "eval", rate, path, "")

    def _row(self, record, c, position, kept, reason, stage, rate, path, locator) -> tuple:
        verdict = c.get("verdict") or {}
        filters = c.get("filters") or {}
        language = (filters.get("language") or {}).get("consistency")
        text = _text(c.get("text") or c.get("completion"))
        from r1data.core.answers import answer_in
        from r1data.core.completion import trace_of

        body = dict(c)
        if record.get("domain") != "code" and text:
            body["extracted_answer"] = answer_in(trace_of(c).summary)
        return (
            str(record.get("id")), int(c.get("sample_index", position)), int(bool(kept)), reason, stage,
            verdict.get("label"), verdict.get("verifier"), record.get("domain"),
            record.get("benchmark") or record.get("source"), _float(language), len(text), rate,
            c.get("finish_reason"), text[:300], os.path.relpath(path, self.folder), locator, _pack(body),
        )  # fmt: skip

    def _rows_parquet(self, conn, path: str):
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        stage = "kept"
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group)
            for position, row in enumerate(table.to_pylist()):
                text = _text(row.get("completion")) or _text(row.get("messages"))
                pid = str(row.get("prompt_id") or row.get("id"))
                yield (
                    pid, int(row.get("sample_index") or 0), 1, None, stage, row.get("verdict_label"),
                    row.get("verifier"), row.get("domain"), row.get("source"), None, len(text),
                    _float(row.get("pass_rate")), row.get("finish_reason"), text[:300],
                    os.path.relpath(path, self.folder), f"{group}:{position}", None,
                )  # fmt: skip

    # -- queries ----------------------------------------------------------------------------------
    FILTERS: ClassVar[dict[str, str]] = {
        "reason": "reason = ?",
        "stage": "stage = ?",
        "label": "label = ?",
        "domain": "domain = ?",
        "benchmark": "benchmark = ?",
        "verifier": "verifier = ?",
        "kept": "kept = ?",
        "min_pass_rate": "pass_rate >= ?",
        "max_pass_rate": "pass_rate <= ?",
        "min_language": "language >= ?",
        "max_language": "language <= ?",
        "min_chars": "chars >= ?",
        "max_chars": "chars <= ?",
        "q": "(preview LIKE ? OR prompt_id LIKE ?)",
    }

    def completions(self, filters: dict[str, str], offset: int = 0, limit: int = 50) -> dict:
        """``{"total", "offset", "limit", "items": [...]}`` of the samples matching ``filters``."""
        where, args = [], []
        for key, value in filters.items():
            if key not in self.FILTERS or value in (None, ""):
                continue
            if key == "q":
                args += [f"%{value}%", f"%{value}%"]
            elif key == "kept":
                args.append(1 if str(value).lower() in ("1", "true", "yes") else 0)
            elif key.startswith(("min_", "max_")):
                args.append(float(value))
            else:
                args.append(value)
            where.append(self.FILTERS[key])
        clause = (" WHERE " + " AND ".join(where)) if where else ""
        db = self.db()
        total = db.execute(f"SELECT COUNT(*) FROM samples{clause}", args).fetchone()[0]
        rows = db.execute(
            "SELECT prompt_id, sample_index, kept, reason, stage, label, verifier, domain, benchmark, language, "
            f"chars, pass_rate, finish, preview FROM samples{clause} ORDER BY id LIMIT ? OFFSET ?",
            [*args, max(1, min(int(limit), 500)), max(0, int(offset))],
        ).fetchall()
        keys = ("prompt_id", "sample_index", "kept", "reason", "stage", "label", "verifier", "domain",
                "benchmark", "language", "chars", "pass_rate", "finish_reason", "preview")  # fmt: skip
        items = [dict(zip(keys, r, strict=True)) for r in rows]
        for item in items:
            item["kept"] = bool(item["kept"])
        return {"total": total, "offset": int(offset), "limit": int(limit), "items": items}

    def facets(self) -> dict[str, list]:
        db = self.db()
        out = {}
        for column in ("reason", "stage", "label", "domain", "benchmark"):
            out[column] = [
                {"value": v, "count": n}
                for v, n in db.execute(
                    f"SELECT {column}, COUNT(*) FROM samples WHERE {column} IS NOT NULL GROUP BY {column} "
                    "ORDER BY COUNT(*) DESC"
                )
            ]
        return out

    def prompt(self, prompt_id: str) -> dict | None:
        """The prompt with every sample, kept and dropped, in sample order."""
        db = self.db()
        rows = db.execute(
            "SELECT sample_index, kept, reason, stage, label, verifier, finish, source, locator, body "
            "FROM samples WHERE prompt_id = ? ORDER BY sample_index, kept DESC",
            (prompt_id,),
        ).fetchall()
        head = db.execute("SELECT body FROM prompts WHERE prompt_id = ?", (prompt_id,)).fetchone()
        if not rows and not head:
            return None
        record = unpack(head[0]) if head else {"id": prompt_id}
        notes = {
            (prompt_id, i): json.loads(f)
            for i, f in db.execute(
                "SELECT sample_index, filters FROM annotations WHERE prompt_id = ?", (prompt_id,)
            )
        }
        samples = []
        for index, kept, reason, stage, label, verifier, finish, source, locator, body in rows:
            sample = unpack(body) if body is not None else self._kept_row(source, locator)
            if sample.get("filters") is None and (prompt_id, index) in notes:
                sample["filters"] = notes[(prompt_id, index)]
            sample.update(sample_index=index, kept=bool(kept), reason=reason, stage=stage, label=label,
                          verifier=verifier, finish_reason=finish)  # fmt: skip
            samples.append(sample)
        if record.get("prompt") is None and samples and samples[0].get("problem"):
            record["prompt"] = samples[0]["problem"]
        return {**record, "id": prompt_id, "samples": samples}

    def _kept_row(self, source: str, locator: str) -> dict:
        import pyarrow.parquet as pq

        path = os.path.normpath(os.path.join(self.folder, source))
        if not path.startswith(self.folder + os.sep):  # only files of the folder, whatever the index says
            raise ValueError("outside the folder")
        group, position = (int(x) for x in locator.split(":"))
        row = pq.ParquetFile(path).read_row_group(group).slice(position, 1).to_pylist()[0]
        text = _text(row.get("completion")) or _text(row.get("messages"))
        out = {"text": text, "reasoning": row.get("reasoning"), "summary": row.get("summary"),
               "tokens": {"completion": row.get("completion_tokens")}, "solution": row.get("solution")}  # fmt: skip
        if row.get("domain") != "code" and text:
            from r1data.core.answers import answer_in
            from r1data.core.completion import trace_of

            out["extracted_answer"] = answer_in(trace_of({"text": text}).summary)
        return out
