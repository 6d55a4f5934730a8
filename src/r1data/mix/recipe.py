"""``r1data mix RECIPE --output DIR``: the final SFT set from several curated sets, with quotas.

A mix recipe (YAML) names its sources — r1data output folders (their ``data/`` shards) or Hub datasets —
and its subsets (R1: ``reasoning`` ~600K over math/code/science/logic, ``non_reasoning`` ~200K over
writing/qa/self_cognition/translation), each with a total and per-domain quotas as counts or shares::

    name: r1-sft-mix
    seed: 0
    sources:
      - {name: reasoning, path: outputs/reasoning}
      - {name: non_reasoning, path: outputs/non-reasoning}
    subsets:
      reasoning: {sources: [reasoning], total: 600000, domains: {math: 0.5, code: 0.3, science: 0.1, logic: 0.1}}
      non_reasoning: {sources: [non_reasoning], total: 200000,
                      domains: {writing: 0.4, qa: 0.3, self_cognition: 0.1, translation: 0.2}}
    shortage: cap          # error | cap | repeat (up to max_repeat × what a source has)
    max_repeat: 2.0
    decontaminate: {benchmarks: [math500, aime2024], data_dir: ../shared/data}
    card: {license: apache-2.0}

Rows are read with polars. Across sources, a prompt kept from an earlier source drops its rows in later
ones (``duplicate_prompt_across_sources``); identical (prompt, completion) pairs keep one row
(``duplicate_row``); prompts that overlap a benchmark go (``contaminated_<benchmark>``). Each
domain's quota is then filled by a deterministic shuffle (``seed``) of what is left; rows beyond it are
``over_quota``, rows of no subset ``outside_quotas``. The output is a Hub-layout folder: one config per
subset (``data/<subset>/train-*.parquet``) and ``all`` (every subset's files), ``stats.json`` with the
funnel (source rows in = kept + dropped by reason; repeats counted apart) and the quota report
(requested, available, achieved, each source's acceptance rate and tokens per kept row), the card and
``report.html``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Literal

from pydantic import Field, model_validator

from r1data.core.configs import Config
from r1data.core.recipes import load_model
from r1data.data_cards.spec import CardSpec


class SourceSpec(Config):
    """One curated set the mix draws from."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$", description="The name subsets refer to it by.")
    path: str | None = Field(None, description="An r1data output folder (its data/ shards).")
    dataset: str | None = Field(None, description="A Hub dataset id (or a folder `datasets` can load).")
    split: str = Field("train", description="The split to read.")

    @model_validator(mode="after")
    def _one(self) -> SourceSpec:
        if (self.path is None) == (self.dataset is None):
            raise ValueError(f"source {self.name!r} needs exactly one of `path` or `dataset`")
        return self


class SubsetSpec(Config):
    """A subset of the mix (reasoning, non-reasoning …) and its quotas."""

    sources: list[str] = Field(min_length=1, description="The sources its rows come from.")
    total: int | None = Field(
        None, ge=1, description="Rows of the subset (default: the sum of domain counts)."
    )
    domains: dict[str, float] | None = Field(
        None, description="domain → rows (an integer > 1) or share of `total` (≤ 1); none: any domain."
    )

    @model_validator(mode="after")
    def _quotas(self) -> SubsetSpec:
        if self.domains:
            shares = [v for v in self.domains.values() if v <= 1]
            counts = sum(v for v in self.domains.values() if v > 1)
            if shares and self.total is None:
                raise ValueError("domain shares need the subset's `total`")
            if sum(shares) > 1 + 1e-9:
                raise ValueError(f"domain shares sum to {sum(shares)} > 1")
            if self.total is not None and counts + sum(shares) * self.total > self.total + 1e-9:
                raise ValueError(
                    f"domain quotas ask for {counts + sum(shares) * self.total:g} rows, more than total {self.total}"
                )
        elif self.total is None:
            raise ValueError("a subset needs `total` or `domains`")
        return self


class DecontamSpec(Config):
    """Drop rows whose prompt overlaps a benchmark (n-gram match)."""

    benchmarks: list[Any] = Field(description="Benchmark names or files (JSONL with a question field).")
    data_dir: str | None = Field(None, description="Where the named benchmarks' files are.")
    n_gram: int = Field(13, description="The n-gram size of a match.")


class MixRecipe(Config):
    """A mix (``r1data mix MIX.yaml``): the final SFT set from several curated sets, with quotas."""

    name: str = Field(description="The mix's name (the default output folder is outputs/NAME).")
    description: str | None = Field(None, description="Free text, shown in the card.")
    seed: int = Field(0, description="Seed of the draws under quotas and of the shuffle.")
    sources: list[SourceSpec] = Field(min_length=1, description="The curated sets.")
    subsets: dict[str, SubsetSpec] = Field(min_length=1, description="Subsets by name, with quotas.")
    shortage: Literal["error", "cap", "repeat"] = Field(
        "error", description="A quota larger than its rows: refuse, take what there is, or repeat rows."
    )
    max_repeat: float = Field(2.0, ge=1.0, description="shortage: repeat — at most this many times each row.")
    dedup: bool = True
    decontaminate: DecontamSpec | None = None
    max_shard_bytes: int = Field(256 * 2**20, ge=1024)
    card: CardSpec = Field(default_factory=CardSpec)

    @model_validator(mode="after")
    def _known_sources(self) -> MixRecipe:
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise ValueError(f"source names must be unique: {names}")
        for subset, spec in self.subsets.items():
            if not re.fullmatch(r"[A-Za-z0-9_]+", subset) or subset == "all":
                raise ValueError(f"subset name {subset!r}: letters, digits, _ (and not `all`)")
            unknown = sorted(set(spec.sources) - set(names))
            if unknown:
                raise ValueError(f"subset {subset!r} names unknown sources {unknown}")
        return self

    def fingerprint(self) -> str:
        import hashlib

        return hashlib.sha256(
            json.dumps(self.model_dump(), sort_keys=True, default=str).encode()
        ).hexdigest()[:16]


def load_mix_recipe(path: str) -> MixRecipe:
    """A mix recipe from YAML, validated whole (one line saying what is wrong), with relative source
    paths resolved from the recipe's own folder."""
    folder = os.path.dirname(os.path.abspath(path))

    def resolve(data: dict) -> dict:
        for source in data.get("sources") or []:
            if isinstance(source, dict) and isinstance(source.get("path"), str):
                source["path"] = _from(folder, source["path"])
        return data

    return load_model(path, MixRecipe, resolve)


def _from(folder: str, path: str) -> str:
    from r1data.core.paths import PACKAGE_PREFIX

    if path.startswith(PACKAGE_PREFIX) or os.path.isabs(os.path.expanduser(path)):
        return path
    return os.path.join(folder, path)
