"""One file through a few steps: the code path of ``r1data verify``, ``filter`` and ``generate``.

The steps run as a one-stage datatrove pipeline on the local executor, exactly as a stage of
``r1data run`` does (reader → steps → writer, per-task stats merged the same way), so a CLI cannot drift
from the step it wraps. Bad input lines go to ``quarantine``; what the steps drop goes to ``exclusions``
(records with ``dropped_reason``, completions with ``excluded_reason``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass

from datatrove.pipeline.base import PipelineStep

from r1data.core import counters as C


@dataclass
class FileRun:
    counters: dict[str, float]  # every step's counters, summed
    records_out: int
    completions_out: int
    seconds: float

    def dropped(self) -> dict[str, int]:
        return C.by_reason(self.counters, C.COMPLETIONS_DROPPED)

    def records_dropped(self) -> dict[str, int]:
        return C.by_reason(self.counters, C.RECORDS_DROPPED)


def run_file(
    input_path: str,
    output_path: str,
    steps: list,
    quarantine: str,
    exclusions: str | None = None,
    progress: bool = True,
) -> FileRun:
    import time

    from datatrove.executor.local import LocalPipelineExecutor

    from r1data.core.funnel import merge_stage_stats, sum_counters
    from r1data.io.readers import RecordReader
    from r1data.io.writers import RecordWriter, SharedRecordWriter

    reader = RecordReader.for_file(input_path, quarantine)  # a file, or an output folder's shards
    output_path = os.path.abspath(output_path)
    made = [p for p in (output_path, quarantine, exclusions) if p and not os.path.exists(p)]
    os.makedirs(os.path.dirname(output_path), exist_ok=True)
    reader.show_progress = progress
    reader.progress_label = os.path.basename(input_path)
    if exclusions:
        exclusions = os.path.abspath(exclusions)
        shared = SharedRecordWriter(
            os.path.dirname(exclusions), os.path.basename(exclusions), compression="infer", one_task=True
        )
        for step in steps:
            if hasattr(step, "exclusion_writer"):
                step.exclusion_writer = shared
    writer = RecordWriter(
        os.path.dirname(output_path), os.path.basename(output_path), compression="infer", one_task=True
    )
    logs = tempfile.mkdtemp(prefix="r1data-cli-")
    start = time.monotonic()
    try:
        executor = LocalPipelineExecutor(
            [reader, *steps, Tally(), writer], tasks=1, workers=1, logging_dir=logs, skip_completed=False
        )
        executor.run()
        merged = merge_stage_stats(logs)
    except BaseException:  # a full disk, a kill: no half-written file this run made stays behind
        for path in made:
            with contextlib.suppress(OSError):
                os.remove(path)
        raise
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    totals = dict(sum_counters({"file": merged}))
    out_records, out_completions = int(totals.pop("records_out", 0)), int(totals.pop("completions_out", 0))
    return FileRun(totals, out_records, out_completions, time.monotonic() - start)


class Tally(PipelineStep):
    """Count what reaches the writer (records and their completions)."""

    name = "🔢 tally"

    def run(self, data, rank: int = 0, world_size: int = 1):
        for doc in data:
            completions = doc.metadata.get("completions") or []
            self.stat_update("records_out")
            self.stat_update("completions_out", value=len(completions))
            for c in completions:
                if c.get("verdict"):
                    self.stat_update(f"label_out_{c['verdict']['label']}")
            yield doc
