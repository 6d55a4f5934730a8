"""Training data: r1data output folders (read as they are), Hub datasets, or a weighted mixture."""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass

from loguru import logger


@dataclass
class Source:
    name: str
    weight: float
    folder: bool  # an r1data output folder (else a Hub dataset id)
    stats: dict | None = None  # the folder's stats.json: fingerprint, funnel


def parse_sources(spec: str) -> list[Source]:
    """``'a:0.7,b:0.3'`` → two sources; a bare name has weight 1. A name that is a folder on disk is an
    r1data output folder (its ``data/<split>-*.parquet``), anything else a Hub dataset id."""
    if not spec:
        raise ValueError("--dataset_name is required: an r1data output folder or a Hub dataset id")
    sources = []
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        name, _, weight = item.rpartition(":") if _has_weight(item) else (item, "", "1")
        folder = os.path.isdir(name)
        stats = None
        if folder and os.path.exists(os.path.join(name, "stats.json")):
            with open(os.path.join(name, "stats.json")) as f:
                stats = json.load(f)
        sources.append(Source(name, float(weight), folder, stats))
    return sources


def _has_weight(item: str) -> bool:
    head, sep, tail = item.rpartition(":")
    if not sep or not head:
        return False
    try:
        float(tail)
    except ValueError:
        return False
    return True


def load_source(source: Source, split: str):
    import datasets

    if source.folder:
        files = sorted(glob.glob(os.path.join(source.name, "data", f"{split}-*.parquet")))
        if not files:
            raise FileNotFoundError(
                f"{source.name} has no data/{split}-*.parquet shards (is it the folder `r1data run` wrote?)"
            )
        return datasets.load_dataset("parquet", data_files=files, split="train")
    return datasets.load_dataset(source.name, split=split)


def load_training_rows(spec: str, split: str = "train", max_rows: int | None = None, seed: int = 0):
    """The rows of every source; with several, sampled by weight (``datasets.interleave_datasets``,
    until the first source runs out). Returns (dataset, sources)."""
    import datasets

    sources = parse_sources(spec)
    parts = [load_source(s, split) for s in sources]
    if len(parts) == 1:
        rows = parts[0]
    else:
        common = set.intersection(*(set(p.column_names) for p in parts))
        parts = [p.select_columns(sorted(common)) for p in parts]
        total = sum(s.weight for s in sources)
        rows = datasets.interleave_datasets(
            parts,
            probabilities=[s.weight / total for s in sources],
            seed=seed,
            stopping_strategy="first_exhausted",
        )
    if max_rows is not None and len(rows) > max_rows:
        rows = rows.select(range(max_rows))
    logger.info(f"training data: {len(rows)} rows from {', '.join(s.name for s in sources)}")
    return rows, sources
