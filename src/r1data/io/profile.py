"""What the published rows are like, counted while they are written: provenance (sources, teachers,
verifiers, domains), how many rows carry a ``<think>`` block, and the distributions of completion
tokens, reasoning and summary lengths.

Each writing task keeps one :class:`RowProfile` (memory bounded by the number of *distinct* values,
not by the rows: a length histogram, not a list) and saves it as ``<rank>.json`` when the task ends;
the run's finish step merges the files instead of reading the shards back.
"""

from __future__ import annotations

import os
from collections import Counter

import orjson

PROVENANCE = ("source", "teacher", "verifier", "domain")
LENGTHS = ("completion_tokens", "reasoning_chars", "summary_chars")


class RowProfile:
    def __init__(self) -> None:
        self.rows = 0
        self.with_think_block = 0
        self.provenance: dict[str, Counter] = {k: Counter() for k in PROVENANCE}
        self.lengths: dict[str, Counter] = {k: Counter() for k in LENGTHS}

    def add_row(self, row: dict) -> None:
        """One SFT row (shaped like :data:`~r1data.schemas.features.SFT_SCHEMA`)."""
        self.rows += 1
        for key in PROVENANCE:
            self.provenance[key][str(row.get(key))] += 1
        reasoning = row.get("reasoning") or ""
        self.with_think_block += bool(reasoning)
        self.lengths["reasoning_chars"][len(reasoning)] += 1
        self.lengths["summary_chars"][len(row.get("summary") or "")] += 1
        if row.get("completion_tokens") is not None:
            self.lengths["completion_tokens"][int(row["completion_tokens"])] += 1

    def add_record(self, record: dict) -> None:
        """One published record (``output: {records: true}``): each completion counts as a row."""
        for c in record.get("completions") or []:
            self.rows += 1
            verdict = c.get("verdict")
            self.provenance["source"][str(record.get("source"))] += 1
            self.provenance["teacher"][str(c.get("model"))] += 1
            self.provenance["verifier"][
                f"{verdict['verifier']}@{verdict.get('version')}" if verdict else "None"
            ] += 1
            self.provenance["domain"][str(record.get("domain", "math"))] += 1

    def save(self, path: str) -> None:
        from r1data.io.files import write_atomic

        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = {
            "rows": self.rows,
            "with_think_block": self.with_think_block,
            "provenance": self.provenance,
            "lengths": {k: [[v, n] for v, n in c.items()] for k, c in self.lengths.items()},
        }
        write_atomic(path, orjson.dumps(data))

    @classmethod
    def load(cls, path: str) -> RowProfile:
        with open(path, "rb") as f:
            data = orjson.loads(f.read())
        profile = cls()
        profile.rows, profile.with_think_block = data["rows"], data["with_think_block"]
        for k, counts in data["provenance"].items():
            profile.provenance[k].update(counts)
        for k, pairs in data["lengths"].items():
            profile.lengths[k].update(dict(pairs))
        return profile

    def merge(self, other: RowProfile) -> RowProfile:
        self.rows += other.rows
        self.with_think_block += other.with_think_block
        for k in PROVENANCE:
            self.provenance[k].update(other.provenance[k])
        for k in LENGTHS:
            self.lengths[k].update(other.lengths[k])
        return self

    def provenance_summary(self) -> dict[str, dict[str, int]]:
        return {k: dict(c.most_common()) for k, c in self.provenance.items()}

    def row_statistics(self) -> dict:
        return {
            "with_think_block": self.with_think_block,
            **{k: describe(c) for k, c in self.lengths.items()},
        }


def describe(counts: Counter) -> dict[str, float] | None:
    """min / median (the lower one) / mean / max of a value histogram."""
    total = sum(counts.values())
    if not total:
        return None
    values = sorted(counts)
    seen, median = 0, values[0]
    for v in values:
        seen += counts[v]
        if seen >= (total + 1) // 2:
            median = v
            break
    mean = sum(v * n for v, n in counts.items()) / total
    return {"min": values[0], "median": median, "mean": round(mean, 1), "max": values[-1]}


def merged_profile(folder: str, ranks: int) -> RowProfile | None:
    """The merged profiles of tasks ``0 … ranks-1`` in ``folder``; None if any is missing (an output
    written before profiles existed, or a task that wrote nothing)."""
    total = RowProfile()
    for rank in range(ranks):
        path = os.path.join(folder, f"{rank:05d}.json")
        if not os.path.exists(path):
            return None
        total.merge(RowProfile.load(path))
    return total
