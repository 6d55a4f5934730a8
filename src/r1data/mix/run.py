"""Filling a mix's quotas: read every source with polars, drop duplicates across sources and
contaminated prompts, shuffle each domain's rows (seeded) into its quota, write one Hub config per
subset plus ``all``, with stats, the card and the report (see :mod:`r1data.mix.recipe`)."""

from __future__ import annotations

import json
import math
import os

from r1data.core import reasons
from r1data.data_cards.card import render_mix_card
from r1data.mix.recipe import MixRecipe, SourceSpec, SubsetSpec


class ShortageError(ValueError):
    pass


def _quota_counts(spec: SubsetSpec) -> dict[str | None, int]:
    """Requested rows per domain (None: any domain). Shares of the total are rounded by largest
    remainder so that they add up to it."""
    if not spec.domains:
        return {None: spec.total}
    counts = {d: int(v) for d, v in spec.domains.items() if v > 1}
    shares = {d: v for d, v in spec.domains.items() if v <= 1}
    if shares:
        budget = spec.total - sum(counts.values()) if sum(shares.values()) >= 1 - 1e-9 else None
        raw = {d: v * spec.total for d, v in shares.items()}
        floor = {d: math.floor(x) for d, x in raw.items()}
        if budget is not None:
            for d in sorted(raw, key=lambda d: -(raw[d] - floor[d]))[: max(0, budget - sum(floor.values()))]:
                floor[d] += 1
        counts.update(floor)
    return counts


def _read_source(source: SourceSpec):
    import glob

    import polars as pl

    from r1data.schemas.features import SFT_SCHEMA

    stats = None
    if source.path is not None:
        files = sorted(glob.glob(os.path.join(source.path, "data", f"{source.split}-*.parquet")))
        if not files:
            raise FileNotFoundError(
                f"source {source.name}: no data/{source.split}-*.parquet in {source.path}"
            )
        frame = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
        if os.path.exists(os.path.join(source.path, "stats.json")):
            with open(os.path.join(source.path, "stats.json")) as f:
                stats = json.load(f)
    else:
        import datasets

        frame = pl.from_arrow(datasets.load_dataset(source.dataset, split=source.split).data.table)
    missing = [n for n in ("problem", "messages", "domain") if n not in frame.columns]
    if missing:
        raise ValueError(f"source {source.name}: not SFT rows (missing columns {missing})")
    for field in SFT_SCHEMA:
        if field.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None).alias(field.name))
    return frame.select([f.name for f in SFT_SCHEMA]), stats


def _norm(text: str | None) -> str:
    from r1data.filters.textnorm import normalize

    return normalize(text or "")


def run_mix(recipe: MixRecipe, output_dir: str) -> dict:
    """Write the mix into ``output_dir``, holding its lock (one writer per folder)."""
    from r1data.io.locks import FolderLock

    output_dir = os.path.abspath(output_dir)
    for source in recipe.sources:  # before anything is written: a refused mix leaves no folder
        if source.path is not None and not os.path.isdir(source.path):
            raise FileNotFoundError(
                f"source {source.name}: no such folder {source.path} (relative paths are read from the "
                "mix recipe's folder)"
            )
    with FolderLock(output_dir, f"r1data mix {recipe.name}"):
        return _run_mix(recipe, output_dir)


def _run_mix(recipe: MixRecipe, output_dir: str) -> dict:
    import polars as pl

    dropped: dict[str, int] = {}

    def drop(reason: str, n: int) -> None:
        if n:
            reasons.check("drop", reason)
            dropped[reason] = dropped.get(reason, 0) + int(n)

    frames, source_stats, rows_in = [], {}, 0
    seen_prompts: set[str] = set()
    for order, source in enumerate(recipe.sources):
        frame, stats = _read_source(source)
        source_stats[source.name] = stats
        rows_in += frame.height
        frame = frame.with_columns(
            pl.lit(source.name).alias("_source"),
            pl.lit(order).alias("_order"),
            pl.col("problem").map_elements(_norm, return_dtype=pl.String).alias("_prompt"),
            # a row is its whole conversation (prompt and answer): sources without `completion` too
            pl.col("messages").map_elements(lambda c: json.dumps(c.to_list() if hasattr(c, "to_list") else c, default=str), return_dtype=pl.String).alias("_completion"),
        )  # fmt: skip
        no_prompt = frame["problem"].is_null() | (frame["_prompt"] == "")
        drop("no_prompt", int(no_prompt.sum()))
        frame = frame.filter(~no_prompt)
        if recipe.dedup:
            earlier = (
                frame["_prompt"].is_in(list(seen_prompts))
                if seen_prompts
                else pl.Series([False] * frame.height)
            )
            drop("duplicate_prompt_across_sources", int(earlier.sum()))
            frame = frame.filter(~earlier)
            seen_prompts |= set(frame["_prompt"].to_list())
        frames.append(frame)
    rows = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
    if recipe.dedup and rows.height:
        before = rows.height
        rows = rows.unique(subset=["_prompt", "_completion"], keep="first", maintain_order=True)
        drop("duplicate_row", before - rows.height)
    if recipe.decontaminate and rows.height:
        from r1data.filters.decontamination import BenchmarkIndex, resolve

        d = recipe.decontaminate
        index = BenchmarkIndex(resolve(d.benchmarks, d.data_dir), d.n_gram)
        hits = {p: sorted(index.hits(p)) for p in set(rows["problem"].to_list())}
        first_hit = rows["problem"].map_elements(lambda p: (hits.get(p) or [""])[0], return_dtype=pl.String)
        for bench, n in first_hit.value_counts().iter_rows():
            if bench:
                drop(f"contaminated_{bench}", n)
        rows = rows.filter(first_hit == "")

    quotas, parts = [], {}
    rows = rows.with_row_index("_row")
    taken_rows: set[int] = set()
    for subset, spec in recipe.subsets.items():
        pool = rows.filter(pl.col("_source").is_in(spec.sources))
        chosen = []
        for domain, requested in _quota_counts(spec).items():
            candidates = pool if domain is None else pool.filter(pl.col("domain") == domain)
            candidates = candidates.filter(~pl.col("_row").is_in(list(taken_rows)))
            available = candidates.height
            shuffled = (
                candidates.sample(fraction=1.0, shuffle=True, seed=recipe.seed) if available else candidates
            )
            if available >= requested:
                pick, repeats = shuffled.head(requested), 0
            elif recipe.shortage == "error":
                raise ShortageError(
                    f"subset {subset}, domain {domain or 'any'}: {requested} rows requested, {available} available "
                    "(shortage: cap takes what there is, repeat reuses rows up to max_repeat)"
                )
            elif recipe.shortage == "cap" or not available:
                pick, repeats = shuffled, 0
            else:
                want = min(requested, math.floor(available * recipe.max_repeat))
                reps = [shuffled] * (want // available) + [shuffled.head(want % available)]
                pick, repeats = pl.concat(reps), want - available
            taken_rows |= set(pick["_row"].to_list())
            chosen.append(pick)
            quotas.append(
                _quota_entry(subset, domain, requested, available, pick, repeats, spec, source_stats)
            )
        parts[subset] = pl.concat(chosen) if chosen else pool.head(0)
    used = taken_rows
    unused = rows.filter(~pl.col("_row").is_in(list(used)))  # each source row once, even when repeated
    in_subset_sources = {s for spec in recipe.subsets.values() for s in spec.sources}
    quota_domains = {(sub, d) for sub, spec in recipe.subsets.items() for d in (spec.domains or {None: 0})}
    for r in unused.select("_source", "domain").iter_rows():
        fits = any(
            r[0] in recipe.subsets[sub].sources and (d is None or d == r[1]) for sub, d in quota_domains
        )
        drop("over_quota" if fits and r[0] in in_subset_sources else "outside_quotas", 1)
    return _write(recipe, output_dir, parts, quotas, rows_in, len(used), dropped, source_stats)


def shortage_warnings(quotas: list[dict], policy: str) -> list[str]:
    """One sentence per quota the mix could not fill from distinct rows (under ``cap``, or ``repeat``
    beyond ``max_repeat``), for stderr, stats.json, the card and the report."""
    out = []
    for q in quotas:
        if q["achieved"] < q["requested"]:
            out.append(
                f"quota {q['name']}: {q['achieved']:,} of {q['requested']:,} rows requested "
                f"({q['available']:,} available, shortage: {policy})"
            )
    return out


def _quota_entry(subset, domain, requested, available, pick, repeats, spec, source_stats) -> dict:
    acceptance, tokens = {}, {}
    for name in spec.sources:
        stats = source_stats.get(name) or {}
        comp = (stats.get("funnel") or {}).get("completions") or {}
        if comp.get("in"):
            acceptance[name] = round(comp.get("kept", 0) / comp["in"], 4)
        gen = stats.get("generation") or {}
        if gen.get("completion_tokens_per_kept_row") is not None:
            tokens[name] = gen["completion_tokens_per_kept_row"]
    mean_tokens = pick["completion_tokens"].drop_nulls().mean() if pick.height else None
    return {
        "name": f"{subset}/{domain or 'any'}",
        "subset": subset,
        "domain": domain,
        "requested": int(requested),
        "available": int(available),
        "achieved": int(pick.height),
        "repeated": int(repeats),
        "met": pick.height >= requested,
        "acceptance": acceptance or None,
        "tokens_per_row": round(mean_tokens, 1) if mean_tokens is not None else None,
        "generated_tokens_per_kept_row": tokens or None,
    }


def _write(recipe, output_dir, parts, quotas, rows_in, kept, dropped, source_stats) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from r1data.io.files import write_atomic
    from r1data.schemas.features import SFT_SCHEMA

    data = os.path.join(output_dir, "data")
    if os.path.isdir(data):  # a rerun: no shard or subset of an earlier mix may stay
        import shutil

        shutil.rmtree(data)
    shards: dict[str, list[str]] = {}
    total_rows = 0
    for subset, frame in parts.items():
        folder = os.path.join(data, subset)
        os.makedirs(folder, exist_ok=True)
        table = pa.Table.from_pylist(frame.select([f.name for f in SFT_SCHEMA]).to_dicts(), schema=SFT_SCHEMA)
        total_rows += table.num_rows
        per_row = max(1, table.nbytes // max(1, table.num_rows))
        rows_per_shard = max(1, recipe.max_shard_bytes // per_row)
        n = max(1, math.ceil(table.num_rows / rows_per_shard))
        shards[subset] = []
        for i in range(n):
            name = f"train-{i:05d}-of-{n:05d}.parquet"
            pq.write_table(
                table.slice(i * rows_per_shard, rows_per_shard),
                os.path.join(folder, name),
                compression="zstd",
            )
            shards[subset].append(f"{subset}/{name}")
    repeated = sum(q["repeated"] for q in quotas)
    warnings = shortage_warnings(quotas, recipe.shortage)
    funnel = {
        "records": {"in": rows_in, "ok": rows_in, "quarantined": 0, "quarantined_by_reason": {}},
        "completions": {"in": rows_in, "kept": kept, "dropped": sum(dropped.values()),
                        "dropped_by_reason": dict(sorted(dropped.items(), key=lambda kv: -kv[1]))},
        "rows": total_rows, "repeated": repeated,
    }  # fmt: skip
    from r1data.core.versions import package_versions

    stats = {
        "mix": recipe.name,
        "fingerprint": recipe.fingerprint(),
        "funnel": funnel,
        "quotas": quotas,
        "warnings": warnings,
        "sources": {
            s.name: {
                "path": s.path,
                "dataset": s.dataset,
                "fingerprint": (source_stats.get(s.name) or {}).get("fingerprint"),
            }
            for s in recipe.sources
        },
        "shards": shards,
        "versions": package_versions(),
    }
    write_atomic(os.path.join(output_dir, "stats.json"), json.dumps(stats, indent=2).encode())
    write_atomic(os.path.join(output_dir, "mix_recipe.json"), recipe.model_dump_json(indent=2).encode())
    write_atomic(os.path.join(output_dir, "README.md"), render_mix_card(recipe, stats).encode())
    from r1data.data_cards.report import write_report

    write_report(output_dir)
    return stats
