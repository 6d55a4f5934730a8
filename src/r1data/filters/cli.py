"""``r1data filter IN OUT``: language and readability filters over prompt records, streaming."""

from __future__ import annotations

import os
import time
from collections import Counter

import orjson
from tqdm import tqdm

from r1data.io.writers import open_output


class _JsonlSink:
    """The exclusion writer of the CLI: dropped completions, inside a copy of their record."""

    def __init__(self, path: str):
        self.path, self.file = path, None

    def __enter__(self):
        if self.file is None:
            self.file = open_output(self.path)
        return self

    def __exit__(self, *exc):
        pass

    def write(self, doc, rank: int = 0):
        self.__enter__()
        self.file.write(orjson.dumps(doc.metadata) + b"\n")

    def close(self):
        if self.file is not None:
            self.file.close()


def filter_file(
    input_path: str,
    output_path: str,
    annotate_only: bool = False,
    target_language: str | None = None,
    quarantine: str | None = None,
    progress: bool = True,
) -> str:
    from r1data.filters.completion_filters import LanguageMixFilter, ReadabilityFilter
    from r1data.io.readers import RecordReader

    if not os.path.isfile(input_path):
        raise FileNotFoundError(f"no such input file: {input_path}")
    quarantine = quarantine or output_path + ".quarantine.jsonl"
    excluded_path = (
        output_path + ".excluded.jsonl"
        if not output_path.endswith((".gz", ".zst"))
        else output_path.rsplit(".", 2)[0] + ".excluded.jsonl"
    )
    reader = RecordReader.for_file(input_path, quarantine)
    sink = None if annotate_only else _JsonlSink(excluded_path)
    steps = [
        LanguageMixFilter(
            target_language=target_language, annotate_only=annotate_only, exclusion_writer=sink
        ),
        ReadabilityFilter(annotate_only=annotate_only, exclusion_writer=sink),
    ]
    start, kept_records, kept_completions = time.monotonic(), 0, 0
    os.makedirs(os.path.dirname(os.path.abspath(output_path)), exist_ok=True)
    stream = reader.run()
    for step in steps:
        stream = step.run(stream)
    try:
        with (
            open_output(output_path) as out,
            tqdm(desc="filter", unit="record", disable=not progress) as bar,
        ):
            for doc in stream:
                out.write(orjson.dumps(doc.metadata) + b"\n")
                kept_records += 1
                kept_completions += len(doc.metadata.get("completions") or [])
                bar.update()
    finally:
        if sink is not None:
            sink.close()
    dropped: Counter[str] = Counter()
    for step in steps:
        for key, metric in step.stats.stats.items():
            if key.startswith("completions_dropped_"):
                dropped[key.removeprefix("completions_dropped_")] += int(metric.total)
    n_in = int(reader.stats.stats["completions_in"].total)
    n_quarantined = int(reader.stats.stats["quarantined"].total)
    return (
        f"filtered {n_in} completions in {time.monotonic() - start:.1f}s: kept {kept_completions} in "
        f"{kept_records} records, dropped {sum(dropped.values())}"
        + (f" ({', '.join(f'{k}: {v}' for k, v in dropped.most_common())})" if dropped else "")
        + f"; quarantined {n_quarantined} line(s)\noutput: {output_path}"
        + ("" if annotate_only else f"\nexcluded: {excluded_path}")
    )
