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
import os
import re
import zlib
from collections.abc import Iterator
from typing import Any

import orjson
import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers.base import BaseDiskReader
from tqdm import tqdm

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
# What a broken compressed or Parquet file raises while it is being read
_UNREADABLE = (EOFError, OSError, zlib.error, ValueError)


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
    not write them back)."""
    value = int(digits)
    return value if -_INT64 <= value < _INT64 else digits


def parse_json_line(text: str) -> Any:
    """One JSONL line: orjson, except lines with 19+ digit runs, which the standard library reads
    with exact integers (:func:`_exact_int`)."""
    if _LONG_DIGITS.search(text.encode() if isinstance(text, str) else text):
        return json.loads(text, parse_int=_exact_int)
    return orjson.loads(text)


_SKIP = object()  # a row already quarantined by the line parser
_JSONL_SUFFIXES = (".jsonl", ".json", ".jsonl.gz", ".json.gz", ".jsonl.zst", ".json.zst", ".ndjson")


def _bounded_lines(f, limit: int, chunk_size: int = 1 << 20) -> Iterator[tuple[bytes | None, int]]:
    """Lines of a binary stream (any compression: only ``read`` is needed), each as ``(line, size)``;
    a line longer than ``limit`` bytes is yielded as ``(None, size)`` without ever being held whole."""
    buffer, skipping, skipped = b"", False, 0
    while True:
        chunk = f.read(chunk_size)
        if not chunk:
            break
        buffer += chunk
        while True:
            newline = buffer.find(b"\n")
            if newline == -1:
                if len(buffer) > limit:  # too long already: drop what we have, keep counting
                    skipping, skipped, buffer = True, skipped + len(buffer), b""
                break
            line, buffer = buffer[:newline], buffer[newline + 1 :]
            if skipping or len(line) > limit:
                yield None, skipped + len(line)
                skipping, skipped = False, 0
            else:
                yield line, len(line)
    if skipping or len(buffer) > limit:
        yield None, skipped + len(buffer)
    elif buffer:
        yield buffer, len(buffer)


class _ValidatingReader:
    """Mixin: mapping → validation → Document, or quarantine. Shared by the file and dataset readers."""

    quarantine_filename = "${rank}.jsonl"
    progress_label: str | None = None  # the progress bar's name (the runner sets the stage's)
    expected_records: int | None = None  # the progress bar's total, when known beforehand
    # rename duplicate ids (one 64-bit hash kept per record); a later stage reads ids the first made unique
    check_unique_ids: bool = True

    def _setup_validation(self, mapping, keep_unmapped, quarantine_folder, max_record_bytes, source):
        self.mapping = ColumnMapping(mapping, keep_unmapped) if mapping else None
        self.quarantine_folder = quarantine_folder
        self.max_record_bytes = max_record_bytes
        self.source = source
        self._sink: QuarantineSink | None = None
        self._seen_ids: set[int] = set()

    _bar = None

    def _quarantine(self, reason: str, detail: str, where: str, raw: Any) -> None:
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
                obj.setdefault("id", f"{os.path.basename(path)}:{index}")
                if self.source:
                    obj.setdefault("source", self.source)
            record = validate_record(obj)
        except MappingError as exc:
            self._quarantine("mapping_error", str(exc), where, obj)
            return None
        except RecordError as exc:
            self._quarantine(exc.reason, exc.detail, where, obj)
            return None
        record = self._unique_id(record, path, where)
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
        self._rank = 0
        self._line_shard: tuple[int, int] | None = None
        self.allow_empty = allow_empty  # no input files means no records (a stage that kept nothing)

    @classmethod
    def for_file(cls, path: str, quarantine_file: str) -> RecordReader:
        """A reader of one file whose rejected rows go to ``quarantine_file`` (the CLIs' layout)."""
        reader = cls(
            os.path.dirname(os.path.abspath(path)),
            glob_pattern=exact_glob(os.path.basename(path)),
            quarantine_folder=os.path.dirname(os.path.abspath(quarantine_file)),
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
        except _UNREADABLE as exc:
            # a corrupt or truncated archive: what was read stays, the rest of the file is one
            # quarantined entry, and the other files go on
            detail = f"{type(exc).__name__}: {exc}"[:500] + f" (after {where})"
            self._quarantine("unreadable_file", detail, filepath, "")

    def _jsonl_rows(self, filepath: str) -> Iterator[tuple[int, str, Any]]:
        """``(record index, "file:line", parsed object or _SKIP)``; lines that cannot be parsed are
        quarantined here (a JSON ``null`` line is an object like any other: validation refuses it)."""
        index = -1
        with self.data_folder.open(filepath, "rb", compression="infer") as f:
            for lineno, (line, size) in enumerate(_bounded_lines(f, self.max_record_bytes), start=1):
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
                    text = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    self._quarantine("invalid_utf8", str(exc), where, line)
                    yield index, where, _SKIP
                    continue
                try:
                    yield index, where, parse_json_line(text)
                except RecursionError:
                    self._quarantine("too_deep", "nested deeper than the JSON parser allows", where, "")
                    yield index, where, _SKIP
                except ValueError as exc:  # orjson.JSONDecodeError and json.JSONDecodeError
                    reason = "too_deep" if "depth limit" in str(exc) else "invalid_json"
                    self._quarantine(reason, str(exc), where, text if reason == "invalid_json" else "")
                    yield index, where, _SKIP

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
        from r1data.pipelines.console import progress_enabled

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
            from r1data.pipelines.console import progress_enabled

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
        **common,
    )
