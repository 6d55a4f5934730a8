"""Readers that validate every input row and quarantine what cannot enter, with its reason.

``RecordReader`` reads JSONL (plain, ``.gz``, ``.zst``) and Parquet files from a datatrove data folder
(local or remote, sharded across tasks by file); ``HFDatasetReader`` reads datasets saved with
``save_to_disk`` or named on the Hub. Both apply an optional :class:`~r1data.io.mapping.ColumnMapping`
and yield datatrove ``Document`` objects whose ``metadata`` is the validated record.

Counters (per task, merged into stats.json): ``records_in`` = ``records_ok`` + ``quarantined``, with one
``quarantined_<reason>`` per reason, and ``completions_in`` for the completions of valid records.
"""

from __future__ import annotations

import glob
import json
import math
import os
import re
from collections.abc import Iterator
from typing import Any

import orjson
import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers.base import BaseDiskReader
from tqdm import tqdm

from r1data.core import reasons
from r1data.io.mapping import ColumnMapping, MappingError
from r1data.io.quarantine import QuarantineSink
from r1data.schemas.records import prompt_text
from r1data.schemas.validation import RecordError, validate_record

DEFAULT_MAX_RECORD_BYTES = 64 * 2**20  # longest real R1 traces are ~0.3 MB; 8 of them fit with room
# orjson writes at most 254 levels of nesting; real records use fewer than 10
MAX_DEPTH = 64
_INT64 = 2**63
_BOM = b"\xef\xbb\xbf"
_LONG_DIGITS = re.compile(rb"\d{19}")
DEFAULT_MAX_COMPLETIONS = 4096  # completions per record; R1 samples 4-64, Best-of-N rarely past 1024


class UnreadableFile(Exception):
    """A file whose bytes cannot be read to the end (a corrupt or truncated archive, any compression)."""


def _depth_exceeds(obj: Any, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (iterative: a deep object cannot blow the stack)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))
    return False


def _exact_int(digits: str) -> int | str:
    """JSON integers beyond 64 bits stay exact, as strings (orjson would read them as floats and could
    not write them back); the length is checked before any conversion, so no integer is too long
    (Python refuses to convert strings of over 4,300 digits)."""
    length = len(digits) - digits.startswith("-")
    if length <= 18:
        return int(digits)
    if length > 20:
        return digits
    value = int(digits)
    return value if -_INT64 <= value < _INT64 else digits


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number is infinity when parsed as double: {text[:40]}")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON value (NaN and Infinity are refused)")


def _no_lone_surrogate(value: Any) -> None:
    """What orjson refuses and the standard library accepts: a string with an unpaired surrogate
    escape (it could not be written back as UTF-8)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise ValueError("unpaired surrogate escape in a string (not valid UTF-8)")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


_SURROGATE = re.compile("[\ud800-\udfff]")
_STRICT_JSON = json.JSONDecoder(parse_int=_exact_int, parse_float=_finite_float, parse_constant=_no_constant)


def parse_json_line(line: str | bytes) -> Any:
    """One JSONL line, with one set of rules whatever it holds: orjson's (no NaN/Infinity, no number
    that overflows a double, no unpaired surrogate, UTF-8 only), and integers of any length exact
    (beyond 64 bits as strings). Lines with a run of 19+ digits go through the standard library's
    parser configured to those same rules, because orjson reads big integers as floats.

    >>> parse_json_line('{"n": 123456789012345678901234567890, "x": 1.5}')
    {'n': '123456789012345678901234567890', 'x': 1.5}
    """
    raw = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
    if not _LONG_DIGITS.search(raw):
        return orjson.loads(raw)
    value = _STRICT_JSON.decode(raw.decode("utf-8"))
    _no_lone_surrogate(value)
    return value


def _parse_failure(line: bytes, exc: ValueError) -> tuple[str, Any]:
    """Why a line could not be parsed, and what of it the quarantine keeps."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8", line
    if "depth limit" in str(exc) or "recursion" in str(exc):
        return "too_deep", ""
    return "invalid_json", text


_SKIP = object()  # a row already quarantined by the line parser
_JSONL_SUFFIXES = (
    ".jsonl",
    ".json",
    ".ndjson",
    *(f".{k}.{z}" for k in ("jsonl", "json") for z in ("gz", "zst", "bz2", "xz")),
)


class _ZstdFrames:
    """Decompress a ``.zst`` stream frame after frame, refusing a truncated last frame (zstandard's
    stream reader returns a short read at a cut instead of an error). Input is fed 256 bytes at a
    time, so one call yields at most a few MB whatever the ratio (a zstd "bomb" expands ~40,000×). A
    frame's checksum, which the ``zstd`` tool writes by default, is verified by the library."""

    FEED = 256

    def __init__(self, raw):
        import zstandard

        self.raw, self.new = raw, zstandard.ZstdDecompressor().decompressobj
        self.frame, self.pending, self.started = self.new(), memoryview(b""), False

    def read(self, size: int) -> bytes:
        out: list[bytes] = []
        produced = 0
        while produced < size:
            if not self.pending:
                self.pending = memoryview(self.raw.read(1 << 16))
                if not self.pending:
                    if self.started and not self.frame.eof:
                        raise EOFError("the zstd stream ends inside a frame (truncated file)")
                    break
            piece, self.pending = self.pending[: self.FEED], self.pending[self.FEED :]
            self.started = True
            data = self.frame.decompress(piece)
            if self.frame.eof:  # the next frame, if any, starts in what this one left
                rest = self.frame.unused_data
                self.frame, self.started = self.new(), False
                self.pending = memoryview(rest + bytes(self.pending)) if rest else self.pending
            if data:
                out.append(data)
                produced += len(data)
        return b"".join(out)


def _read(f, size: int) -> bytes:
    try:
        return f.read(size)
    except Exception as exc:  # whatever the decompressor raises (zlib, zstd, lzma, bz2 …)
        raise UnreadableFile(f"{type(exc).__name__}: {exc}") from exc


def _bounded_lines(f, limit: int, chunk_size: int = 1 << 20) -> Iterator[tuple[bytes | None, int]]:
    """Lines of a binary stream (any compression: only ``read`` is needed), each as ``(line, size)``;
    a line longer than ``limit`` bytes is yielded as ``(None, size)`` without ever being held whole.
    Linear in the bytes read: each chunk is split once, and only a line that spans chunks is carried."""
    carry: list[bytes] = []  # pieces of a line that began in an earlier chunk
    carried, skipping = 0, False  # its size so far; whether it is already over the limit
    while True:
        chunk = _read(f, chunk_size)
        if not chunk:
            break
        parts = chunk.split(b"\n")
        for i in range(len(parts) - 1):
            part = parts[i]
            if i == 0 and (carried or skipping):
                size = carried + len(part)
                if skipping or size > limit:
                    yield None, size
                else:
                    yield b"".join(carry) + part, size
            elif len(part) > limit:
                yield None, len(part)
            else:
                yield part, len(part)
        if len(parts) > 1:  # the carried line ended in this chunk; the last part begins a new one
            carry, carried, skipping = [], 0, False
        last = parts[-1]
        carried += len(last)
        if skipping or carried > limit:
            carry, skipping = [], True
        elif last:
            carry.append(last)
    if skipping:
        yield None, carried
    elif carried:
        yield b"".join(carry), carried


def open_compressed(path: str):
    """A binary file object of ``path``, decompressed by its extension (.gz, .zst, .bz2, .xz)."""
    lower = path.lower()
    if lower.endswith(".gz"):
        import gzip

        return gzip.open(path, "rb")
    if lower.endswith(".bz2"):
        import bz2

        return bz2.open(path, "rb")
    if lower.endswith(".xz"):
        import lzma

        return lzma.open(path, "rb")
    raw = open(path, "rb")  # noqa: SIM115  (closed by the caller, through the wrapper for zstd)
    return _Closing(_ZstdFrames(raw), raw) if lower.endswith(".zst") else raw


class _Closing:
    """A decompressing reader that closes the raw file it reads from."""

    def __init__(self, inner, raw):
        self.inner, self.raw = inner, raw

    def read(self, size: int = -1) -> bytes:
        return self.inner.read(size if size > 0 else 1 << 30)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.raw.close()


def read_jsonl(path: str, max_line_bytes: int = DEFAULT_MAX_RECORD_BYTES) -> Iterator[Any]:
    """The JSON values of a JSON-lines file (any supported compression), one per non-blank line, read with
    the one parser of :func:`parse_json_line`; a line that is not JSON (or over ``max_line_bytes``) is a
    ``ValueError`` naming ``path:line``. For r1data's own files (hand-offs, calibration sets, examples);
    input records go through :class:`RecordReader`, which quarantines instead."""
    with open_compressed(path) as f:
        for lineno, (line, size) in enumerate(_bounded_lines(f, max_line_bytes), start=1):
            if line is None:
                raise ValueError(
                    f"{path}:{lineno}: a line of {size} bytes is over the {max_line_bytes}-byte bound"
                )
            line = line.removeprefix(_BOM)
            if not line.strip():
                continue
            try:
                yield parse_json_line(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{lineno}: not JSON ({exc})") from None


class _ValidatingReader:
    """Mixin: mapping → validation → Document, or quarantine. Shared by the file and dataset readers."""

    quarantine_filename = "${rank}.jsonl"
    progress_label: str | None = None  # the progress bar's name (the runner sets the stage's)
    expected_records: int | None = None  # the progress bar's total, when known beforehand
    # rename duplicate ids (one 64-bit hash kept per record); a later stage reads ids the first made unique
    check_unique_ids: bool = True

    max_completions: int = DEFAULT_MAX_COMPLETIONS

    def _setup_validation(self, mapping, keep_unmapped, quarantine_folder, max_record_bytes, source):
        self.mapping = ColumnMapping(mapping, keep_unmapped) if mapping else None
        self.quarantine_folder = quarantine_folder
        self.max_record_bytes = max_record_bytes
        self.source = source
        self._sink: QuarantineSink | None = None
        self._seen_ids: set[int] = set()

    _bar = None

    def _quarantine(self, reason: str, detail: str, where: str, raw: Any) -> None:
        reasons.check("quarantine", reason)
        self.stat_update("records_in", "quarantined", f"quarantined_{reason}")
        if self._bar is not None:
            self._bar.update()
        if self._sink is None:
            self._sink = QuarantineSink(self.quarantine_folder, self._rank, self.quarantine_filename)
        self._sink.write(reason, detail, where, raw)

    def _to_document(self, obj: Any, path: str, index: int, where: str | None = None) -> Document | None:
        where = where or f"{path}:{index + 1}"
        if isinstance(obj, dict | list) and _depth_exceeds(obj, MAX_DEPTH):
            self._quarantine("too_deep", f"nested deeper than {MAX_DEPTH} levels", where, "")
            return None
        try:
            if self.mapping is not None:
                if not isinstance(obj, dict):
                    raise RecordError("not_an_object", f"expected an object, got {type(obj).__name__}")
                obj = self.mapping(obj)
            if isinstance(obj, dict):
                completions = obj.get("completions")
                if isinstance(completions, list) and len(completions) > self.max_completions:
                    raise RecordError(
                        "too_many_completions",
                        f"{len(completions)} completions > max_completions_per_record={self.max_completions}",
                    )
                obj.setdefault("id", f"{os.path.basename(path)}:{index}")
                if self.source:
                    obj.setdefault("source", self.source)
            record = validate_record(obj)
        except MappingError as exc:
            self._quarantine("mapping_error", str(exc), where, obj)
            return None
        except RecordError as exc:
            if exc.reason == "too_many_completions":  # the line itself is where it was: keep the rest
                obj = {k: v for k, v in obj.items() if k != "completions"}
            self._quarantine(exc.reason, exc.detail, where, obj)
            return None
        record = self._unique_id(record, path, where)
        for position, completion in enumerate(record.get("completions") or ()):
            # each sample keeps the position it came in: filters that drop some do not renumber the rest
            if isinstance(completion, dict) and completion.get("sample_index") is None:
                completion["sample_index"] = position
        self.stat_update("records_in", "records_ok")
        self.stat_update("completions_in", value=len(record.get("completions", ())))
        text = prompt_text(record)
        return Document(text=text, id=record["id"], metadata=record)

    def _unique_id(self, record: dict[str, Any], path: str, where: str) -> dict[str, Any]:
        """A record whose id this task has already read gets ``<id>@<file>:<line>`` (its first id kept
        as ``original_id``; counted as ``records_renamed_duplicate_id``), so that no two published rows
        share an id. Memory: one 64-bit hash per record id."""
        if not self.check_unique_ids:
            return record
        key = xxhash.xxh3_64_intdigest(record["id"])
        if key in self._seen_ids:
            record["original_id"] = record["id"]
            record["id"] = f"{record['id']}@{os.path.basename(where)}"
            self.stat_update("records_renamed_duplicate_id")
        else:
            self._seen_ids.add(key)
        return record

    def _close_sink(self):
        if self._sink is not None:
            self._sink.close()
            self._sink = None


def exact_glob(name: str) -> str:
    """A datatrove glob pattern that matches the file ``name`` only. datatrove reads a pattern without
    wildcards as a suffix (``"*" + pattern``): ``a.jsonl`` would also read ``data.jsonl`` beside it."""
    if glob.has_magic(name) or name[:1] in "[]":
        return glob.escape(name)
    return f"[{name[0]}]{name[1:]}"


class RecordReader(_ValidatingReader, BaseDiskReader):
    """Read prompt records from JSONL/Parquet files.

    Args:
        data_folder: folder (or single file's folder) to read; any fsspec path.
        glob_pattern: which files to read, e.g. ``"*.jsonl.gz"``; default: every supported file.
        mapping: optional column mapping (see :mod:`r1data.io.mapping`).
        keep_unmapped: with a mapping, also keep the source's own columns.
        quarantine_folder: where rejected rows go (``<rank>.jsonl``, one line per row with its reason).
        max_record_bytes: larger JSONL lines are quarantined as ``oversized`` without being parsed.
        max_completions: records with more completions are quarantined as ``too_many_completions``
            before validation, so a record's memory stays within a small multiple of its line.
        source: value for the records' ``source`` field when they have none.
    """

    name = "📖 records"

    def __init__(
        self,
        data_folder: DataFolderLike,
        glob_pattern: str | None = None,
        mapping: dict[str, Any] | None = None,
        keep_unmapped: bool = False,
        quarantine_folder: DataFolderLike | None = None,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        source: str | None = None,
        limit: int = -1,
        doc_progress: bool = False,
        paths_file: str | None = None,
        allow_empty: bool = False,
        max_completions: int = DEFAULT_MAX_COMPLETIONS,
    ):
        super().__init__(
            data_folder,
            paths_file=paths_file,
            limit=limit,
            glob_pattern=glob_pattern,
            doc_progress=False,  # r1data's own bar, with a total (see _progress_bar)
            add_file_path=False,
        )
        self.show_progress = doc_progress
        self._setup_validation(mapping, keep_unmapped, quarantine_folder, max_record_bytes, source)
        self.max_completions = max_completions
        self._rank = 0
        self._line_shard: tuple[int, int] | None = None
        self.allow_empty = allow_empty  # no input files means no records (a stage that kept nothing)

    @classmethod
    def for_file(cls, path: str, quarantine_file: str, mapping: dict[str, Any] | None = None) -> RecordReader:
        """A reader of one file, or of a Hub-layout folder's shards (an r1data output folder), whose
        rejected rows go to ``quarantine_file`` (the CLIs' layout). A missing file, or a folder without
        ``data/`` shards, is a ``FileNotFoundError`` saying what to give."""
        folder = hub_layout_data(path) if os.path.isdir(path) else None
        if not os.path.isfile(path) and folder is None:
            what = "a folder without data/ shards" if os.path.isdir(path) else "no such input file"
            raise FileNotFoundError(f"{what}: {path} (give a JSONL file or an r1data output folder)")
        where, pattern = folder or (
            os.path.dirname(os.path.abspath(path)),
            exact_glob(os.path.basename(path)),
        )
        reader = cls(
            where,
            glob_pattern=pattern,
            quarantine_folder=os.path.dirname(os.path.abspath(quarantine_file)),
            mapping=mapping,
        )
        reader.quarantine_filename = os.path.basename(quarantine_file)
        return reader

    def read_file(self, filepath: str) -> DocumentsPipeline:
        lower = filepath.lower()
        if lower.endswith(".parquet"):
            rows = self._parquet_rows(filepath)
        elif lower.endswith(_JSONL_SUFFIXES):
            rows = self._jsonl_rows(filepath)
        else:
            raise ValueError(f"unsupported input file {filepath!r}: expected .jsonl[.gz|.zst] or .parquet")
        where = filepath
        try:
            for index, where, obj in rows:
                if obj is _SKIP:
                    continue
                doc = self._to_document(obj, filepath, index, where)
                if doc is not None:
                    yield doc
        except (UnreadableFile, EOFError, OSError, ValueError) as exc:
            # a corrupt or truncated archive: what was read stays, the rest of the file is one
            # quarantined entry, and the other files go on
            detail = f"{type(exc).__name__}: {exc}"[:500] + f" (after {where})"
            self._quarantine("unreadable_file", detail, filepath, "")

    def _jsonl_rows(self, filepath: str) -> Iterator[tuple[int, str, Any]]:
        """``(record index, "file:line", parsed object or _SKIP)``; lines that cannot be parsed are
        quarantined here (a JSON ``null`` line is an object like any other: validation refuses it)."""
        index = -1
        zstd = filepath.lower().endswith(".zst")
        with self.data_folder.open(filepath, "rb", compression=None if zstd else "infer") as f:
            lines = _bounded_lines(_ZstdFrames(f) if zstd else f, self.max_record_bytes)
            for lineno, (line, size) in enumerate(lines, start=1):
                if line is not None and line.startswith(_BOM):
                    line = line[len(_BOM) :]  # a UTF-8 byte-order mark is not part of the record
                if line is not None and not line.strip():
                    continue  # blank lines are not records
                index += 1
                if self._line_shard and index % self._line_shard[1] != self._line_shard[0]:
                    continue
                where = f"{filepath}:{lineno}"
                if line is None:
                    self._quarantine(
                        "oversized", f"{size} bytes > max_record_bytes={self.max_record_bytes}", where, b""
                    )
                    yield index, where, _SKIP
                    continue
                try:
                    obj = parse_json_line(line)
                except RecursionError:
                    self._quarantine("too_deep", "nested deeper than the JSON parser allows", where, "")
                    obj = _SKIP
                except ValueError as exc:  # orjson.JSONDecodeError, json.JSONDecodeError, UnicodeDecodeError
                    reason, raw = _parse_failure(line, exc)
                    self._quarantine(reason, str(exc)[:500], where, raw)
                    obj = _SKIP
                yield index, where, obj

    def _parquet_rows(self, filepath: str) -> Iterator[tuple[int, str, Any]]:
        import pyarrow.parquet as pq

        with self.data_folder.open(filepath, "rb") as f:
            index = 0
            for batch in pq.ParquetFile(f).iter_batches(batch_size=1024):
                for row in batch.to_pylist():
                    if not self._line_shard or index % self._line_shard[1] == self._line_shard[0]:
                        yield index, f"{filepath}:row {index}", row
                    index += 1

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Files are split across tasks; with fewer files than tasks (one big JSONL), every task reads
        every file and keeps the records whose index is ``rank`` modulo ``world_size`` (skipped lines
        are not decoded), so ``tasks`` always parallelises."""
        if data:
            yield from data
        self._rank = rank
        files = self.data_folder.list_files(recursive=self.recursive, glob_pattern=self.glob_pattern)
        if not files and self.allow_empty:
            return  # a previous stage that kept nothing
        if not files:
            raise FileNotFoundError(
                f"no input files in {self.data_folder.path} matching {self.glob_pattern!r}"
            )
        self._line_shard = (rank, world_size) if len(files) < world_size else None
        shard = files if self._line_shard else files[rank::world_size]
        self._bar = bar = self._progress_bar(shard, rank, world_size)
        try:
            for doc in self.read_files_shard(shard):
                self.update_doc_stats(doc)
                bar.update()
                yield doc
            if bar.total is not None and bar.n < bar.total:  # blank lines counted in the total
                bar.update(bar.total - bar.n)
        finally:
            bar.close()
            self._bar = None
            self._close_sink()

    def _progress_bar(self, shard: list[str], rank: int, world_size: int):
        """One bar per task: records done of the total (``expected_records`` when the previous stage
        said how many it wrote, else the lines of plain JSONL and the rows of Parquet files, counted
        cheaply), rate and time left."""
        from r1data.core.console import progress_enabled

        enabled = self.show_progress and progress_enabled()
        total = self.expected_records
        if enabled and total is None:
            total = self._count(shard)
        if total is not None and self._line_shard:
            total = len(range(rank, total, world_size))
        desc = f"{self.progress_label or 'records'}" + (
            f" [{rank + 1}/{world_size}]" if world_size > 1 else ""
        )
        return tqdm(
            total=total,
            desc=desc,
            unit="rec",
            disable=not enabled,
            mininterval=1.0,
            position=rank,
            leave=True,
        )

    def _count(self, files: list[str]) -> int | None:
        total = 0
        for path in files:
            lower = path.lower()
            if lower.endswith(".parquet"):
                import pyarrow.parquet as pq

                with self.data_folder.open(path, "rb") as f:
                    total += pq.ParquetFile(f).metadata.num_rows
            elif lower.endswith((".jsonl", ".json", ".ndjson")):
                with self.data_folder.open(path, "rb") as f:
                    total += sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
            else:
                return None  # compressed: not worth a second decompression just for a total
        return total


class HFDatasetReader(_ValidatingReader, PipelineStep):
    """Read a ``datasets`` dataset saved on disk (``save_to_disk``) or named on the Hub.

    Rows are split across tasks by index (``rank::world_size``). Hub access honours ``HF_HUB_OFFLINE``.
    """

    name = "📖 hf dataset"
    type = "📖 - READER"

    def __init__(
        self,
        dataset: str,
        split: str = "train",
        config: str | None = None,
        mapping: dict[str, Any] | None = None,
        keep_unmapped: bool = False,
        quarantine_folder: DataFolderLike | None = None,
        source: str | None = None,
        limit: int = -1,
        doc_progress: bool = False,
    ):
        super().__init__()
        self.dataset, self.split, self.config, self.limit = dataset, split, config, limit
        self.doc_progress = doc_progress
        self._setup_validation(mapping, keep_unmapped, quarantine_folder, DEFAULT_MAX_RECORD_BYTES, source)
        self._rank = 0

    def _load(self):
        import datasets

        if os.path.isdir(self.dataset) and _saved_to_disk(self.dataset):
            loaded = datasets.load_from_disk(self.dataset)
            return loaded[self.split] if isinstance(loaded, datasets.DatasetDict) else loaded
        if os.path.isdir(self.dataset):
            # a Hub-layout folder (an r1data output, a snapshot_download): loaded as the Hub would, with
            # a cache of its own (offline, `datasets` may otherwise serve another folder of that name)
            import tempfile

            self._cache = tempfile.TemporaryDirectory(prefix="r1data-hf-")
            return datasets.load_dataset(
                self.dataset, self.config, split=self.split, cache_dir=self._cache.name
            )
        return datasets.load_dataset(self.dataset, self.config, split=self.split)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        if data:
            yield from data
        self._rank = rank
        ds = self._load()
        indices = range(rank, len(ds), world_size)
        if self.limit != -1:
            indices = indices[: self.limit]
        try:
            from r1data.core.console import progress_enabled

            bar = tqdm(indices, desc=self.progress_label or "records", unit="rec", mininterval=1.0,
                       disable=not (self.doc_progress and progress_enabled()))  # fmt: skip
            for index in bar:
                doc = self._to_document(ds[index], f"{self.dataset}[{self.split}]", index)
                if doc is not None:
                    yield doc
        finally:
            self._close_sink()


def _saved_to_disk(folder: str) -> bool:
    """A folder written by ``save_to_disk`` (not a Hub-layout folder of data files)."""
    names = set(os.listdir(folder))
    return bool(names & {"dataset_dict.json", "state.json", "dataset_info.json"}) and "data" not in names


def hub_layout_data(folder: str, split: str = "train") -> tuple[str, str | None] | None:
    """For a Hub-layout dataset folder (``README.md`` and ``data/`` shards, as ``r1data run`` writes and
    ``snapshot_download`` fetches): the folder of its shards and a glob of ``split``'s files; None for
    any other folder. Its README, logs, work files and caches are never read as records."""
    data = os.path.join(folder, "data")
    if not os.path.isdir(data):
        return None
    shards = [n for n in os.listdir(data) if n.lower().endswith((".parquet", *_JSONL_SUFFIXES))]
    if not shards:
        return None
    return data, (f"{split}-*" if any(n.startswith(f"{split}-") for n in shards) else None)


def make_reader(
    spec: dict[str, Any], quarantine_folder: str | None, doc_progress: bool = True
) -> PipelineStep:
    """Build a reader from a recipe's ``input`` section (see :class:`r1data.pipelines.recipe.InputSpec`)."""
    from r1data.core.paths import resolve_path

    common = dict(
        mapping=spec.get("mapping"),
        keep_unmapped=spec.get("keep_unmapped", False),
        quarantine_folder=quarantine_folder,
        source=spec.get("source"),
        limit=spec.get("limit", -1),
        doc_progress=doc_progress,
    )
    if spec.get("dataset"):
        return HFDatasetReader(
            spec["dataset"], split=spec.get("split", "train"), config=spec.get("config"), **common
        )
    path = resolve_path(spec["path"])
    if os.path.isfile(path):
        folder, pattern = os.path.dirname(path) or ".", exact_glob(os.path.basename(path))
    elif not spec.get("glob") and (hub := hub_layout_data(path, spec.get("split", "train"))):
        folder, pattern = hub
    else:
        folder, pattern = path, spec.get("glob")
    return RecordReader(
        get_datafolder(folder),
        glob_pattern=pattern,
        max_record_bytes=spec.get("max_record_bytes", DEFAULT_MAX_RECORD_BYTES),
        max_completions=spec.get("max_completions_per_record", DEFAULT_MAX_COMPLETIONS),
        **common,
    )
