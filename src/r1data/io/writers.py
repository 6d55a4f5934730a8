"""Writers: records between stages (JSONL), and SFT rows in the Hub dataset layout (Parquet)."""

from __future__ import annotations

import os
import re
from string import Template

import orjson
from datatrove.data import Document
from datatrove.io import DataFolderLike, get_datafolder
from datatrove.pipeline.writers.disk_base import DiskWriter
from datatrove.pipeline.writers.parquet import ParquetWriter

from r1data.io.files import write_atomic
from r1data.schemas.features import SFT_SCHEMA

PARTS_DIR = "_parts"
_TEXT_COLUMNS = {"prompt", "completion", "messages", "problem", "solution", "reasoning", "summary"}
STATISTICS_COLUMNS = [f.name for f in SFT_SCHEMA if f.name not in _TEXT_COLUMNS]
DEFAULT_MAX_SHARD_BYTES = 256 * 2**20


def _record_of(self, document: Document) -> dict:
    return document.metadata


class _Profiled:
    """A writer of published output that also counts what it writes (:class:`~r1data.io.profile.RowProfile`)
    and saves the count as ``<profile_dir>/<rank>.json`` when its task ends."""

    profile_dir: str | None = None
    _profile = None

    def run(self, data, rank: int = 0, world_size: int = 1):
        from r1data.io.profile import RowProfile

        self._profile = RowProfile() if self.profile_dir else None
        yield from super().run(data, rank, world_size)
        if self._profile is not None:
            self._profile.save(os.path.join(self.profile_dir, f"{rank:05d}.json"))


# hand-offs and exclusion files are gzip that is written once and read once: level 1 (about 4× faster
# to write than the default 9, ~15 % larger); any gzip reader reads them
FAST_GZIP = "gzip-fast"


def _register_fast_gzip() -> None:
    import gzip

    import fsspec.compression

    if FAST_GZIP not in fsspec.compression.compr:
        fsspec.compression.register_compression(
            FAST_GZIP, lambda f, **kw: gzip.GzipFile(fileobj=f, compresslevel=1, **kw), []
        )


_register_fast_gzip()  # at import: a pipeline unpickled on a Ray worker or a Slurm node needs it too


class RecordWriter(_Profiled, DiskWriter):
    """Write records (``Document.metadata``) as gzipped JSONL, one file per task: the stage hand-off format,
    identical to the input contract of ``r1data verify``."""

    name = "💾 records"
    default_output_filename = "${rank}.jsonl.gz"

    def __init__(
        self,
        output_folder: DataFolderLike,
        output_filename: str | None = None,
        compression: str | None = "gzip",
        profile_dir: str | None = None,
        one_task: bool = False,
    ):
        """``compression``: ``"gzip"`` (the hand-off between stages), ``"infer"`` (by the file name's
        extension: ``.gz``, ``.zst``, else none) or None. ``profile_dir``: count provenance of the
        written records there (published records only). ``one_task``: the file of a pipeline that runs
        one task (``r1data verify``/``filter``), named without ``${rank}`` (and without datatrove's
        warning that parallel workers would share it: there are none)."""
        name = output_filename or self.default_output_filename
        if one_task:  # datatrove warns at init of a name without ${rank}; the name is set after it
            name = "${rank}" + name.replace("$", "$$")
        if compression == "gzip":
            compression = FAST_GZIP
        super().__init__(output_folder, name, compression=compression, adapter=_record_of, mode="wb")
        if one_task:
            self.output_filename = Template(self.output_filename.template.removeprefix("${rank}"))
        self.profile_dir = profile_dir

    def _write(self, document: dict, file_handler, _filename: str):
        file_handler.write(orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n")
        if self._profile is not None:
            self._profile.add_record(document)


class SharedRecordWriter(RecordWriter):
    """One exclusion file written by several steps of a pipeline: each step enters and exits it (as
    :class:`~r1data.core.step.R1Step` does); the file is closed when the last one exits, not the first
    (chained steps overlap: the downstream one starts first and finishes last)."""

    _users = 0

    def __enter__(self):
        self._users += 1
        return self

    def __exit__(self, *exc):
        self._users -= 1
        if self._users == 0:
            self.close()


class HubShardWriter(_Profiled, ParquetWriter):
    """Write SFT rows (``Document.metadata`` shaped like :data:`SFT_SCHEMA`) as Parquet parts of at most
    ``max_shard_bytes``; :func:`finalize_shards` then names them ``data/<split>-NNNNN-of-MMMMM.parquet``."""

    name = "💾 hub shards"

    def __init__(
        self,
        output_folder: DataFolderLike,
        max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
        rows_per_group: int = 1000,
        profile_dir: str | None = None,
    ):
        # The size check happens when a row group is flushed, so shards overshoot by at most one group.
        super().__init__(
            get_datafolder(output_folder),
            output_filename=f"{PARTS_DIR}/${{rank}}.parquet",
            adapter=_record_of,
            max_file_size=max_shard_bytes,
            schema=SFT_SCHEMA,
            compression="zstd",
            batch_size=rows_per_group,
        )
        self.profile_dir = profile_dir

    def _write(self, document: dict, file_handler, filename: str):
        # min/max statistics only for the short columns: parquet keeps every row group's statistics in
        # memory until the footer is written, and those of the text columns (whole reasoning traces)
        # made the writer's memory grow with the rows written
        target = self._get_filename_with_file_id(filename) if self.max_file_size > 0 else filename
        if target not in self._writers:
            import pyarrow.parquet as pq

            self._writers[target] = pq.ParquetWriter(
                file_handler,
                schema=self.schema,
                compression=self.compression,
                write_statistics=STATISTICS_COLUMNS,
            )
        super()._write(document, file_handler, filename)
        if self._profile is not None:
            self._profile.add_row(document)


def open_output(path: str):
    """A binary file for JSONL output, gzip or zstd compressed by the extension (.gz, .zst)."""
    if path.endswith(".gz"):
        import gzip

        return gzip.open(path, "wb")
    if path.endswith(".zst"):
        import zstandard

        return zstandard.open(path, "wb")
    return open(path, "wb")


# parts: ``<rank>_<n>.parquet`` (SFT rows, datatrove's size-split files) or ``<rank>.jsonl.gz`` (records)
_PART = re.compile(r"^(\d+)(?:_(\d+))?\.(parquet|jsonl\.gz)$")
_FINAL = re.compile(r"^(?P<split>[\w-]+)-(\d{5})-of-(\d{5})\.(parquet|jsonl\.gz)$")


MANIFEST = "_finalize.json"


def finalize_shards(data_dir: str, split: str = "train") -> list[str]:
    """Rename the parts of every task to the Hub layout, in (task, part) order, resumably: the plan
    (which part becomes which shard) is written first, atomically, as ``data/_finalize.json``; a run
    killed between renames completes that plan when it is run again, so no row is lost or doubled.
    Idempotent: when neither parts nor a plan are left (a finished run), returns the existing shards."""
    manifest = os.path.join(data_dir, MANIFEST)
    parts_dir = os.path.join(data_dir, PARTS_DIR)
    if not os.path.exists(manifest):
        parts = []
        if os.path.isdir(parts_dir):
            for name in os.listdir(parts_dir):
                m = _PART.match(name)
                if m:
                    parts.append((int(m.group(2) or 0), int(m.group(1)), name))
        if not parts:
            return (
                sorted(n for n in os.listdir(data_dir) if _FINAL.match(n)) if os.path.isdir(data_dir) else []
            )
        parts.sort()
        plan = [
            [name, f"{split}-{i:05d}-of-{len(parts):05d}.{_PART.match(name).group(3)}"]
            for i, (_, _, name) in enumerate(parts)
        ]
        write_atomic(manifest, orjson.dumps({"shards": plan}))
    with open(manifest, "rb") as f:
        plan = orjson.loads(f.read())["shards"]
    targets = {final for _, final in plan}
    for stale in os.listdir(data_dir):  # shards of an earlier run that this plan replaces
        if _FINAL.match(stale) and stale not in targets:
            os.remove(os.path.join(data_dir, stale))
    for part, final in plan:
        source = os.path.join(parts_dir, part)
        if os.path.exists(source):
            os.replace(source, os.path.join(data_dir, final))
        elif not os.path.exists(os.path.join(data_dir, final)):
            raise FileNotFoundError(f"finalisation plan {manifest} names {part}, which is gone")
    if os.path.isdir(parts_dir) and not os.listdir(parts_dir):
        os.rmdir(parts_dir)
    os.remove(manifest)
    return [final for _, final in plan]
