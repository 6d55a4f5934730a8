"""Benchmark decontamination by n-gram overlap.

Benchmarks are local files (JSONL/Parquet, a column of problem text) or datasets (on disk or on the
Hub). Texts are normalised (case, whitespace, LaTeX spacing, ``\\dfrac``/``\\frac12``; see
:mod:`r1data.filters.textnorm`) and tokenised into words, numbers, LaTeX commands and symbols. A prompt
is contaminated by a benchmark when it shares one n-gram of ``n`` tokens (default 13, as in GPT-3's
decontamination) with one of its problems, counting only n-grams with at least 2 words (so drawing
code, ``[asy]`` blocks are dropped, and tables of numbers do not match); a benchmark problem shorter than ``n`` tokens is matched as
a whole. Built-in names resolve to files of a data folder laid out like ``../shared/data``:
``math500``, ``aime2024``, ``aime2025``, ``amc2023``, ``gsm8k_test``, ``humaneval``, ``mbpp``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from typing import Any

import xxhash

from r1data.core.configs import option
from r1data.core.step import DropConfig, R1Step
from r1data.filters.textnorm import tokens
from r1data.io.benchmarks import BENCHMARKS, canonical, rows
from r1data.schemas.records import prompt_text


@dataclass
class BenchmarkSpec:
    name: str
    path: str | None = None
    column: str = "problem"
    dataset: str | None = None
    split: str = "test"


def _rows(spec: BenchmarkSpec):
    if spec.dataset:
        import datasets

        ds = (
            datasets.load_from_disk(spec.dataset)
            if os.path.isdir(spec.dataset)
            else datasets.load_dataset(spec.dataset, split=spec.split)
        )
        if isinstance(ds, datasets.DatasetDict):
            ds = ds[spec.split]
        yield from ds
        return
    if spec.path.endswith(".parquet"):
        import pyarrow.parquet as pq

        yield from pq.read_table(spec.path).to_pylist()
        return
    yield from rows(spec.path)


def resolve(benchmarks: list[Any], data_dir: str | None = None) -> list[BenchmarkSpec]:
    specs = []
    for b in benchmarks:
        if isinstance(b, str):
            if canonical(b) not in BENCHMARKS:
                raise ValueError(f"unknown benchmark {b!r}: give a spec or one of {sorted(BENCHMARKS)}")
            if not data_dir:
                raise ValueError(f"benchmark {b!r} needs `data_dir` (a folder laid out like ../shared/data)")
            rel, column = BENCHMARKS[canonical(b)].problem_file
            specs.append(BenchmarkSpec(b, os.path.join(data_dir, rel), column))
        else:
            specs.append(BenchmarkSpec(**b))
    return specs


MIN_WORDS_PER_GRAM = 2  # n-grams of symbols and numbers alone (tables, coordinates) are not evidence


def _wordy(gram: list[str]) -> bool:
    return sum(len(t) >= 2 and t.isalpha() for t in gram) >= MIN_WORDS_PER_GRAM


def _hash(gram: list[str]) -> int:
    return xxhash.xxh64_intdigest("\x1f".join(gram).encode())


class BenchmarkIndex:
    """Hashes of every n-gram of every benchmark problem → the benchmarks it belongs to."""

    def __init__(self, specs: list[BenchmarkSpec], n: int = 13):
        self.n = n
        self.index: dict[int, set[str]] = {}
        self.sizes: dict[str, int] = {}
        # problems shorter than n (5+ tokens) are matched whole anywhere in a prompt: found through their
        # first 4 tokens, then compared in full
        self.short_heads: dict[int, list[tuple[int, int, str]]] = {}
        for spec in specs:
            count = 0
            for row in _rows(spec):
                text = row.get(spec.column)
                if not isinstance(text, str) or not text.strip():
                    continue
                count += 1
                toks = tokens(text)
                if 5 <= len(toks) < self.n:
                    self.short_heads.setdefault(_hash(toks[:4]), []).append(
                        (len(toks), _hash(toks), spec.name)
                    )
                for h in self._grams(toks):
                    self.index.setdefault(h, set()).add(spec.name)
            self.sizes[spec.name] = count

    def _grams(self, toks: list[str]):
        if len(toks) < self.n:
            return [_hash(toks)] if toks else []
        return [
            _hash(toks[i : i + self.n]) for i in range(len(toks) - self.n + 1) if _wordy(toks[i : i + self.n])
        ]

    def hits(self, text: str) -> set[str]:
        toks = tokens(text)
        found: set[str] = set()
        for h in self._grams(toks):
            found |= self.index.get(h, set())
        if self.short_heads:
            for i in range(len(toks) - 3):
                for length, full, name in self.short_heads.get(_hash(toks[i : i + 4]), ()):
                    if _hash(toks[i : i + length]) == full:
                        found.add(name)
        return found


class DecontaminateConfig(DropConfig):
    positional = ("benchmarks", "n", "data_dir", "check_completions", "annotate_only")
    benchmarks: list[str | dict[str, Any]] = option(
        ..., "built-in benchmark names (with data_dir) or specs {name, path|dataset, column, split}"
    )
    n: int = option(13, "n-gram size in tokens", ge=1)
    data_dir: str | None = option(None, "a folder laid out like ../shared/data, for the built-in names")
    check_completions: bool = option(False, "also drop records whose completions quote a benchmark problem")


class Decontaminate(R1Step):
    """Drop prompts (and optionally completions) that overlap a benchmark.

    Args:
        benchmarks: built-in names (with ``data_dir``) or specs ``{name, path|dataset, column, split}``.
        n: n-gram size in tokens (default 13).
        data_dir: folder laid out like ../shared/data for the built-in names.
        check_completions: also drop records whose completions quote a benchmark problem.
        annotate_only: record ``contamination`` without dropping.
    """

    name = "🧪 decontaminate"
    Config = DecontaminateConfig

    def __init__(self, *args: Any, **params: Any):
        super().__init__(*args, **params)
        self.specs = resolve(self.config.benchmarks, self.config.data_dir)
        self._index: BenchmarkIndex | None = None
        self.hit_counts: Counter[str] = Counter()

    @property
    def index(self) -> BenchmarkIndex:
        if self._index is None:
            self._index = BenchmarkIndex(self.specs, self.config.n)
        return self._index

    def process(self, data):
        for doc in data:
            record = doc.metadata
            texts = [prompt_text(record) or doc.text]
            if self.config.check_completions:
                texts += [c.get("text", "") for c in record.get("completions") or []]
            found: set[str] = set()
            for text in texts:
                found |= self.index.hits(text)
            self.stat_update("decontam_checked")
            if found:
                record["contamination"] = sorted(found)
                for name in found:
                    self.stat_update(f"decontam_hits_{name}")
                if not self.config.annotate_only:
                    self.drop_record(doc, f"contaminated_{sorted(found)[0]}")
                    continue
            yield doc
