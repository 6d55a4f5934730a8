"""After the last stage: every stage complete, the shards in the Hub layout, ``stats.json`` (funnel,
provenance, row statistics, generation cost), the card and the report."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from loguru import logger

from r1data.core import counters as C
from r1data.core.funnel import build_funnel, merge_stage_stats, sum_counters
from r1data.core.versions import package_versions
from r1data.io.profile import merged_profile
from r1data.pipelines.recipe import Recipe
from r1data.verifiers.verify_step import sandbox_failure_warning

PROFILES_DIR = "_profiles"  # under work/: what each task of the last stage published (io.profile)


@dataclass
class RunResult:
    output_dir: str
    funnel: dict
    shards: list[str]
    stats_path: str
    card_path: str


def _result(output_dir: str) -> RunResult:
    stats_path = os.path.join(output_dir, "stats.json")
    with open(stats_path) as f:
        stats = json.load(f)
    return RunResult(
        output_dir, stats["funnel"], stats["shards"], stats_path, os.path.join(output_dir, "README.md")
    )


def finish_run(recipe: Recipe, output_dir: str) -> RunResult:
    """After the last stage: every stage complete, the shards in the Hub layout, stats.json, the card."""
    from r1data.data_cards.card import write_card
    from r1data.io.files import write_atomic
    from r1data.io.writers import finalize_shards

    stage_stats = {}
    for index, stage in enumerate(recipe.stages):
        logging_dir = os.path.join(output_dir, "logs", stage.name)
        done = (
            len(os.listdir(os.path.join(logging_dir, "completions")))
            if os.path.isdir(os.path.join(logging_dir, "completions"))
            else 0
        )
        if done < recipe.stage_tasks(index):
            raise RuntimeError(
                f"stage '{stage.name}' has {done}/{recipe.stage_tasks(index)} tasks done; see {logging_dir}"
            )
        stage_stats[stage.name] = merge_stage_stats(logging_dir)
        warning = sandbox_failure_warning(
            sum_counters({stage.name: stage_stats[stage.name]}), f"stage '{stage.name}'"
        )
        if warning:
            logger.warning(warning)

    data_dir = os.path.join(output_dir, "data")
    os.makedirs(data_dir, exist_ok=True)
    shards = finalize_shards(data_dir, recipe.output.split)
    profile = merged_profile(
        os.path.join(output_dir, "work", PROFILES_DIR), recipe.stage_tasks(len(recipe.stages) - 1)
    )
    if profile is None:  # written before profiles existed: read the shards back
        rows, provenance = _read_provenance(data_dir, shards)
        row_stats = row_statistics(data_dir, shards)
    else:
        rows, provenance, row_stats = profile.rows, profile.provenance_summary(), profile.row_statistics()
    funnel = build_funnel(stage_stats, recipe.stages[0].name, rows)
    stats = {
        "recipe": recipe.name,
        "fingerprint": recipe.fingerprint(),
        "funnel": funnel,
        "provenance": provenance,
        "decontamination": _decontamination_hits(stage_stats),
        "generation": _generation_accounting(stage_stats, rows),
        "rows": row_stats,
        "versions": package_versions(),
        "shards": shards,
        "stages": stage_stats,
    }
    if recipe.card.calibration:
        from r1data.core.paths import resolve_path
        from r1data.verifiers.calibration import calibrate

        spec = recipe.card.calibration
        stats["calibration"] = calibrate(resolve_path(spec["path"]), spec.get("mapping"), spec.get("label"))
    stats_path = os.path.join(output_dir, "stats.json")
    write_atomic(stats_path, json.dumps(stats, indent=2, ensure_ascii=False).encode("utf-8"))
    card_path = write_card(recipe, stats, output_dir)
    from r1data.data_cards.report import write_report

    write_report(output_dir)
    return RunResult(output_dir, funnel, shards, stats_path, card_path)


def _read_provenance(data_dir: str, shards: list[str]) -> tuple[int, dict]:
    """Kept completions (SFT rows, or the completions of published records) and the sources /
    teachers / verifiers / domains behind them, read back from the shards (outputs written before the
    writers counted them: :mod:`r1data.io.profile`)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from r1data.io.profile import PROVENANCE, RowProfile

    profile = RowProfile()
    for shard in shards:
        path = os.path.join(data_dir, shard)
        if shard.endswith(".jsonl.gz"):
            from r1data.io.readers import read_jsonl

            for record in read_jsonl(path):
                profile.add_record(record)
            continue
        for batch in pq.ParquetFile(path).iter_batches(8192, columns=list(PROVENANCE)):
            profile.rows += batch.num_rows
            for column in PROVENANCE:  # value counts in Arrow: no Python object per row
                for entry in pc.value_counts(batch.column(column)).to_pylist():
                    profile.provenance[column][str(entry["values"])] += entry["counts"]
    return profile.rows, profile.provenance_summary()


def _describe(chunks: list) -> dict[str, float] | None:
    """min / median / mean / max of Arrow integer arrays (kept as Arrow: 8 bytes a row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = pa.chunked_array(chunks, type=pa.int64()) if chunks else None
    if values is None or len(values) == values.null_count:
        return None
    bounds = pc.min_max(values).as_py()
    median = pc.quantile(values, q=0.5, interpolation="lower").to_pylist()[0]
    return {
        "min": bounds["min"],
        "median": median,
        "mean": round(pc.mean(values).as_py(), 1),
        "max": bounds["max"],
    }


def row_statistics(data_dir: str, shards: list[str]) -> dict:
    """What the published rows are like, read from the shards (Arrow compute, no Python object per
    row): how many carry a ``<think>`` block, and the lengths of completions, reasoning and summaries."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    think, lengths = 0, {"completion_tokens": [], "reasoning_chars": [], "summary_chars": []}
    for shard in shards:
        if not shard.endswith(".parquet"):
            continue
        columns = ["reasoning", "summary", "completion_tokens"]
        for batch in pq.ParquetFile(os.path.join(data_dir, shard)).iter_batches(8192, columns=columns):
            reasoning = pc.utf8_length(pc.fill_null(batch.column("reasoning"), ""))
            think += int(pc.sum(pc.greater(reasoning, 0)).as_py() or 0)
            lengths["reasoning_chars"].append(reasoning.cast(pa.int64()))
            lengths["summary_chars"].append(
                pc.utf8_length(pc.fill_null(batch.column("summary"), "")).cast(pa.int64())
            )
            lengths["completion_tokens"].append(batch.column("completion_tokens"))
    return {"with_think_block": think, **{k: _describe(v) for k, v in lengths.items()}}


def _generation_accounting(stage_stats: dict, kept_rows: int) -> dict[str, float]:
    """Tokens and requests of generation steps, and the yield-adjusted cost: completion tokens spent
    per published row (every sample generated, kept or not, divided by the rows that survived; None
    when no row survived)."""
    from r1data.generators.generate import completion_rate

    totals = C.summed(stage_stats, C.GENERATION)
    if totals:
        tokens = totals.get("tokens_completion", 0)
        totals["completion_tokens_per_kept_row"] = round(tokens / kept_rows, 1) if kept_rows else None
        # seconds are summed over tasks: a per-task throughput, not the wall clock's
        totals["completion_tokens_per_s"] = completion_rate(
            totals.get("tokens_completion_sent", 0), totals.get("seconds", 0)
        )
        totals.update(_ladder_accounting(totals, kept_rows))
    return totals


def _ladder_accounting(totals: dict, kept_rows: int) -> dict:
    """The budget ladder's figures: at each budget, the share of the samples that reached it that it
    cut (the first budget: every sample; the next: those cut at the one before), and the cost per
    published row without the tokens spent on rescues."""
    cut = {int(k): v for k, v in C.by_reason(totals, "truncated_at").items()}
    if not cut or not totals.get("samples"):
        return {}
    rates, reached = {}, totals["samples"]
    for budget in sorted(cut):
        rates[str(budget)] = round(cut[budget] / reached, 4) if reached else None
        reached = cut[budget]
    rescue = totals.get("tokens_rescue", 0)
    per_row = round((totals.get("tokens_completion", 0) - rescue) / kept_rows, 1) if kept_rows else None
    return {"cap_hit_rate": rates, "completion_tokens_per_kept_row_without_rescues": per_row}


def _decontamination_hits(stage_stats: dict) -> dict[str, int]:
    """Prompts that overlapped each benchmark (dropped, or only annotated with ``annotate_only``)."""
    return {name: int(value) for name, value in C.summed(stage_stats, C.DECONTAM_HITS).items()}
