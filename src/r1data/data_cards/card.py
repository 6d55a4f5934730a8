"""Render the dataset card (``README.md`` with Hub YAML metadata) from the recipe and the run's stats."""

from __future__ import annotations

import json
import os
from importlib import resources
from string import Template

import yaml
from loguru import logger

from r1data.core import counters as C
from r1data.core.versions import package_versions
from r1data.io.files import write_atomic
from r1data.schemas.features import FIELD_DESCRIPTIONS, SFT_SCHEMA

_SIZE_CATEGORIES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
]


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` bucket.

    >>> size_category(999), size_category(1000), size_category(250_000)
    ('n<1K', '1K<n<10K', '100K<n<1M')
    """
    for bound, name in _SIZE_CATEGORIES:
        if rows < bound:
            return name
    return "n>10M"


def reason_table(counts: dict, unit: str) -> str:
    """A Markdown table of counts by reason (the data, mix and model cards' drop tables).

    >>> print(reason_table({"fail_not_equivalent": 3}, "completions"))
    | reason | completions |
    |---|---:|
    | `fail_not_equivalent` | 3 |
    """
    rows = [f"| `{r}` | {n:,} |" for r, n in counts.items()] or ["| (none) | 0 |"]
    return "\n".join([f"| reason | {unit} |", "|---|---:|", *rows])


def funnel_table(funnel: dict) -> str:
    """A run's funnel as a Markdown table: records in, quarantined, completions in, kept, dropped,
    then the dropped completions by reason."""
    rec, comp = funnel.get("records") or {}, funnel.get("completions") or {}
    counts = [
        ("input records", rec.get("in")),
        ("quarantined (bad input)", rec.get("quarantined")),
        ("input completions", comp.get("in")),
        ("kept completions (rows)", comp.get("kept")),
        ("dropped completions", comp.get("dropped")),
    ]
    lines = ["| | count |", "|---|---:|", *(f"| {k} | {v:,} |" for k, v in counts if v is not None)]
    return "\n".join(lines) + "\n\n" + reason_table(comp.get("dropped_by_reason") or {}, "completions")


QUOTA_COLUMNS = (
    "quota",
    "requested",
    "available",
    "achieved",
    "repeated",
    "source acceptance",
    "tokens per row",
)


def quota_cells(q: dict) -> list[str]:
    """One mix quota as readable cells, in :data:`QUOTA_COLUMNS` order (card, report and console)."""
    acc = ", ".join(f"{k} {v:.1%}" for k, v in (q.get("acceptance") or {}).items()) or "–"
    tokens = q.get("tokens_per_row")
    return [
        q["name"], f"{q['requested']:,}", f"{q['available']:,}", f"{q['achieved']:,}", f"{q['repeated']:,}",
        acc, f"{tokens:,.1f}" if tokens is not None else "–",
    ]  # fmt: skip


def _inline(counts: dict) -> str:
    return ", ".join(f"`{k}` ({v})" for k, v in counts.items()) or "none"


def _link(model: str) -> str:
    """A Hub link for ``org/name`` model ids; other names (local paths, API models) as they are."""
    if model.count("/") == 1 and not model.startswith((".", "/")) and " " not in model:
        return f"[`{model}`](https://huggingface.co/{model})"
    return f"`{model}`"


def _step_text(step) -> str:
    params = ", ".join(f"{k}: {v}" for k, v in step.params.items() if k != "exclusions")
    return f"`{step.kind}`" + (f" ({params})" if params else "")


def _stage_text(stage) -> str:
    if stage.near_dedup is not None:
        nd = stage.near_dedup
        how = f"MinHash near-duplicate prompts, {nd.n_grams}-grams, {nd.num_buckets}×{nd.hashes_per_bucket} hashes"
        return f"**{stage.name}**: {how}" + (" (annotated only)" if nd.annotate_only else "")
    return f"**{stage.name}**: " + " → ".join(_step_text(s) for s in stage.steps)


def _dataset_info(recipe, stats: dict, output_dir: str | None) -> dict:
    """The card's ``dataset_info`` (features, split sizes), as ``datasets`` writes it."""
    import datasets

    from r1data.schemas.features import sft_features

    rows = stats["funnel"]["completions"]["kept"]
    size = num_bytes = 0
    if output_dir and not recipe.output.records:
        import pyarrow.parquet as pq

        for shard in stats["shards"]:
            path = os.path.join(output_dir, "data", shard)
            size += os.path.getsize(path)
            meta = pq.ParquetFile(path).metadata
            num_bytes += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    split = recipe.output.split
    info = datasets.DatasetInfo(
        features=None if recipe.output.records else sft_features(),
        splits=[{"name": split, "num_bytes": num_bytes, "num_examples": rows}],
        download_size=size,
        dataset_size=num_bytes,
    )
    return info._to_yaml_dict()


def _example(output_dir: str | None, stats: dict) -> str:
    if not output_dir or not stats["shards"] or not stats["shards"][0].endswith(".parquet"):
        return "{}"
    import json

    import pyarrow.parquet as pq

    table = pq.ParquetFile(os.path.join(output_dir, "data", stats["shards"][0])).read_row_group(0)
    row = table.slice(0, 1).to_pylist()[0]

    def short(value):
        if isinstance(value, str) and len(value) > 300:
            return value[:300] + "…"
        if isinstance(value, list):
            return [short(v) for v in value]
        if isinstance(value, dict):
            return {k: short(v) for k, v in value.items()}
        return value

    return json.dumps(short(row), indent=2, ensure_ascii=False)


def _verification_text(recipe, prov: dict) -> str:
    verify_steps = [
        st for stage in recipe.stages for st in stage.steps if st.kind in ("verify", "judge_quality")
    ]
    if not verify_steps:
        return (
            "Verification: **none** — no step of this recipe verified the completions; the rows are "
            "as the sources gave them."
        )
    decided = {k: v for k, v in prov["verifier"].items() if k != "None"}
    text = f"Verification: {', '.join(_step_text(s) for s in verify_steps)}; rows by verifier: {_inline(decided)}."
    if any(st.kind == "select" for stage in recipe.stages for st in stage.steps):
        text += " A completion is kept only when its verdict is `pass`; `unknown` (timeouts, unusable references) is never kept."
    return text


def _calibration_text(cal: dict | None) -> str:
    if not cal:
        return ""
    if cal["agreement"] is None:
        return f"\n\nOn the labelled calibration set `{cal['path']}` the verifiers decided none of {cal['pairs']} pairs."
    return (
        f"\n\nMeasured on the labelled calibration set `{os.path.basename(cal['path'])}` ({cal['pairs']} "
        f"completion/label pairs): the verifiers agree with the labels on **{cal['agreement']:.1%}** of the "
        f"{cal['pairs'] - cal['undecided'] - cal.get('unlabelled', 0) - cal.get('no_rule_verifier', 0)} they decided ({cal['false_accepts']} false accepts, "
        f"{cal['false_rejects']} false rejects; {cal['undecided']} left undecided, "
        f"{cal.get('unlabelled', 0)} unlabelled, {cal.get('no_rule_verifier', 0)} without a rule verifier)."
    )


def _human_calibration_text(cal: dict | None) -> str:
    """The card's paragraph of a person-labelled calibration (``r1data calibrate``)."""
    if not cal:
        return ""

    def pct(m: dict | None) -> str:
        if not m:
            return "n/a"
        return f"{m['rate']:.1%} (95 % CI {m['ci95'][0]:.1%}–{m['ci95'][1]:.1%})"

    return "\n\n" + (
        f"Checked by hand (`r1data calibrate`): {cal['labelled']} verdicts drawn by stratum (verifier, label, "
        f"reason, domain) from the {cal['completions']} verified completions and labelled by a person. "
        f"Agreement with the labels {pct(cal['agreement'])}; false accepts (incorrect among `pass`) "
        f"{pct(cal['false_accept_rate'])}; false rejects (correct among `fail`/`unknown`) "
        f"{pct(cal['false_reject_rate'])} — estimates weighted by the strata's sizes."
    )


def render_card(recipe, stats: dict, output_dir: str | None = None) -> str:
    funnel, prov = stats["funnel"], stats["provenance"]
    rows = funnel["completions"]["kept"]
    split = recipe.output.split
    row_stats = stats.get("rows") or {}
    if recipe.card.license is None:
        logger.warning(
            "card.license is not set: the card says `unknown`; set the license of your data in the recipe "
            "before publishing"
        )
    metadata = {
        "license": recipe.card.license or "unknown",
        "task_categories": recipe.card.task_categories,
        "language": recipe.card.language,
        "tags": recipe.card.tags,
        "size_categories": [size_category(rows)],
        "pretty_name": recipe.card.pretty_name or recipe.name,
        "configs": [{"config_name": "default", "data_files": [{"split": split, "path": f"data/{split}-*"}]}],
        "dataset_info": _dataset_info(recipe, stats, output_dir),
    }
    sources = list(recipe.card.source_datasets)
    if (
        recipe.input.dataset
        and not os.path.isdir(recipe.input.dataset)
        and recipe.input.dataset not in sources
    ):
        sources.append(recipe.input.dataset)
    if sources:
        metadata["source_datasets"] = sources
    quarantined = funnel["records"]["quarantined_by_reason"]
    quarantine_section = (
        "Quarantined input records by reason: " + _inline(quarantined) + "."
        if quarantined
        else "No input record was quarantined."
    )
    hits = stats.get("decontamination") or {}
    if hits:
        quarantine_section += (
            "\n\nBenchmark decontamination (n-gram overlap), prompts that matched: " + _inline(hits) + "."
        )
    if recipe.output.records:
        what_rows = f"each of the {rows} completions is kept inside its prompt record (JSONL), as the last stage left it."
    else:
        think = row_stats.get("with_think_block", 0)
        what_rows = (
            f"each row is one kept completion. {think} of the {rows} rows carry a chain of thought, "
            "written in DeepSeek-R1's readable format (`<think>\\n{reasoning}\\n</think>\\n\\n{summary}`); "
            f"{rows - think} are the answer alone."
        )
    length_lines = "\n".join(
        f"- {label}: min {d['min']}, median {d['median']}, mean {d['mean']}, max {d['max']}"
        for label, d in (
            ("completion tokens", row_stats.get("completion_tokens")),
            ("reasoning characters", row_stats.get("reasoning_chars")),
            ("summary characters", row_stats.get("summary_chars")),
        )
        if d
    )
    limitations = [
        "Verifiers decide correctness by rules (math answers compared symbolically, code run against "
        "tests in a sandbox) and, where a recipe names one, an LLM judge; a verdict is as good as the "
        "reference it was checked against.",
        "Rows are as long as the teacher wrote them; pass `max_length` to your trainer and check how many "
        "rows exceed it.",
    ]
    if recipe.card.limitations:
        limitations.append(recipe.card.limitations)
    template = Template(resources.files("r1data.data_cards").joinpath("templates/card.md").read_text())
    return template.substitute(
        metadata=yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True).strip(),
        title=recipe.card.pretty_name or recipe.name,
        description=recipe.card.description or recipe.description or "",
        r1data_version=stats["versions"].get("r1data", "?"),
        recipe=recipe.name,
        fingerprint=stats["fingerprint"],
        what_rows=what_rows,
        load_name=os.path.basename(output_dir) if output_dir else recipe.name,
        rows=rows,
        n_shards=len(stats["shards"]),
        split=split,
        domains=_inline(prov["domain"]),
        sources=_inline(prov["source"]),
        teachers=", ".join(f"{_link(t)} ({n})" for t, n in prov["teacher"].items()) or "none",
        length_lines=length_lines,
        example=_example(output_dir, stats),
        fields="\n".join(
            f"| `{f.name}` | {f.type} | {FIELD_DESCRIPTIONS.get(f.name, '')} |" for f in SFT_SCHEMA
        ),
        stages="; ".join(_stage_text(stage) for stage in recipe.stages),
        verification=_verification_text(recipe, prov)
        + _calibration_text(stats.get("calibration"))
        + _human_calibration_text(stats.get("human_calibration")),
        generation=_generation_text(stats.get("generation") or {}, recipe),
        versions=", ".join(f"{k} {v}" for k, v in stats["versions"].items()),
        records_in=funnel["records"]["in"],
        records_quarantined=funnel["records"]["quarantined"],
        completions_in=funnel["completions"]["in"],
        completions_dropped=funnel["completions"]["dropped"],
        drop_table=reason_table(funnel["completions"]["dropped_by_reason"], "completions"),
        quarantine_section=quarantine_section,
        limitations="\n".join(f"- {item}" for item in limitations),
        citation=f"```bibtex\n{recipe.card.citation.strip()}\n```"
        if recipe.card.citation
        else "No citation was given in the recipe (`card.citation`).",
    )


def _generation_text(generation: dict, recipe) -> str:
    if not generation:
        return "Generation: none in this recipe (the completions came with the input)."
    settings = [_step_text(st) for stage in recipe.stages for st in stage.steps if st.kind == "generate"]
    text = (
        f"Generation: {'; '.join(settings)}. {int(generation.get('requests_sent', 0))} requests sent "
        f"({int(generation.get('requests_cached', 0))} answered from the request cache), "
        f"{int(generation.get('tokens_prompt', 0))} prompt and {int(generation.get('tokens_completion', 0))} "
        "completion tokens; "
        + (
            f"{generation['completion_tokens_per_kept_row']} completion tokens per published row."
            if generation.get("completion_tokens_per_kept_row") is not None
            else "no row was published, so there is no cost per row."
        )
    )
    if generation.get("completion_tokens_per_s"):
        text += f" Throughput: {generation['completion_tokens_per_s']} completion tokens/s per task."
    failures = C.by_reason(generation, "request_failures")
    if failures:
        text += " Requests that failed for good, by reason: " + _inline(failures) + "."
    return text + _ladder_text(generation)


def _ladder_text(generation: dict) -> str:
    """The budget ladder's accounting: cuts per budget, rescues by mode, their tokens, forced closes."""
    cut = {int(k): int(v) for k, v in C.by_reason(generation, "truncated_at").items() if v}
    if not cut:
        return ""
    rates = generation.get("cap_hit_rate") or {}
    text = " Budget ladder: samples cut at " + ", ".join(
        f"{b} tokens: {n}"
        + (f" ({rates[str(b)]:.0%} of those that reached it)" if rates.get(str(b)) is not None else "")
        for b, n in sorted(cut.items())
    )
    rescued = {k: int(v) for k, v in C.by_reason(generation, "rescued").items() if v}
    if rescued:
        text += "; rescued by " + ", ".join(f"{mode} {n}" for mode, n in sorted(rescued.items()))
        text += f"; {int(generation.get('tokens_rescue', 0))} completion tokens spent on rescues"
        if generation.get("completion_tokens_per_kept_row_without_rescues") is not None:
            text += (
                f" ({generation['completion_tokens_per_kept_row_without_rescues']} completion tokens per "
                "published row without them)"
            )
    text += "."
    forced = int(generation.get("forced_close_rows", 0))
    if generation.get("forced_close"):
        text += f" {forced} of the published rows had their reasoning closed by force (`forced_close`)."
    return text


def write_card(recipe, stats: dict, output_dir: str) -> str:
    path = os.path.join(output_dir, "README.md")
    write_atomic(path, render_card(recipe, stats, output_dir).encode("utf-8"))
    return path


def render_mix_card(recipe, stats: dict) -> str:
    """A mix's card: its configs, quotas, sources and funnel (:mod:`r1data.mix`)."""
    from huggingface_hub import DatasetCardData

    card = recipe.card
    configs = [
        {
            "config_name": "all",
            "data_files": [{"split": "train", "path": [f"data/{s}/train-*" for s in recipe.subsets]}],
            "default": True,
        }
    ]
    configs += [
        {"config_name": s, "data_files": [{"split": "train", "path": f"data/{s}/train-*"}]}
        for s in recipe.subsets
    ]
    meta = DatasetCardData(
        license=card.license or "unknown",
        task_categories=card.task_categories,
        language=card.language,
        tags=[*card.tags, "r1data", "mix"],
        pretty_name=card.pretty_name or recipe.name,
        size_categories=[size_category(stats["funnel"]["rows"])],
        configs=configs,
    )
    funnel = stats["funnel"]
    lines = [
        "---", meta.to_yaml(), "---", "", f"# {card.pretty_name or recipe.name}", "",
        card.description or recipe.description or "An SFT mix of r1data-curated sets.", "",
        f"Mixed with `r1data mix` (fingerprint `{stats['fingerprint']}`, seed {recipe.seed}, shortage policy "
        f"`{recipe.shortage}`): {funnel['rows']:,} rows in the configs "
        + ", ".join(f"`{s}`" for s in recipe.subsets) + " and `all` (every subset).", "",
        "```python", "import datasets", "", 'ds = datasets.load_dataset("<this repo>", "all", split="train")', "```", "",
        "## Quotas", "", "| " + " | ".join(QUOTA_COLUMNS) + " |", "|---|---:|---:|---:|---:|---|---:|",
    ]  # fmt: skip
    lines += ["| " + " | ".join(quota_cells(q)) + " |" for q in stats["quotas"]]
    lines += [f"\n> **Shortage**: {w}." for w in stats.get("warnings") or []]
    lines += ["", "## Sources", ""]
    for name, s in stats["sources"].items():
        where = s["path"] or s["dataset"]
        lines.append(
            f"- `{name}`: `{where}`"
            + (f" (r1data fingerprint `{s['fingerprint']}`)" if s["fingerprint"] else "")
        )
    lines += ["", "## Funnel", "", f"Source rows in: {funnel['completions']['in']:,}; kept {funnel['completions']['kept']:,}; "
              f"dropped {funnel['completions']['dropped']:,}" + (f"; {funnel['repeated']:,} rows repeat kept ones" if funnel["repeated"] else "") + ".", "",
              reason_table(funnel["completions"]["dropped_by_reason"], "rows")]  # fmt: skip
    if recipe.decontaminate:
        lines += [
            "",
            "Decontaminated against: "
            + ", ".join(f"`{b}`" for b in recipe.decontaminate.benchmarks)
            + f" ({recipe.decontaminate.n_gram}-gram overlap).",
        ]
    lines += [
        "",
        "The folder that produced this card also holds `report.html` (`r1data report DIR`); it is not part of the dataset.",
        "",
    ]
    return "\n".join(lines)


# -- the trained model's card ---------------------------------------------------------------------
TRAINING = ("r1data", "trl", "transformers", "torch", "datasets", "accelerate")


def _arguments_table(values: dict) -> str:
    cell = lambda v: "`" + json.dumps(v, default=str).replace("|", "\\|")[:200] + "`"  # noqa: E731
    return "\n".join(
        ["| argument | value |", "|---|---|", *(f"| `{k}` | {cell(v)} |" for k, v in values.items())]
    )


def write_model_card(
    output_dir: str,
    method: str,
    model_name: str,
    sources,
    arguments: dict[str, tuple[dict, dict]],
    notes: list[str],
    metrics: dict,
    rewards: list[dict] | None = None,
) -> str:
    """A trained model's card: the data (each source's funnel as a table), the rewards (GRPO) with
    their weights, r1data's own arguments, then the model and training arguments set for this run;
    the fields left at their defaults last, folded. ``arguments`` maps ``r1data``/``model``/``training``
    to (set, default) as :func:`r1data.trainers.common.split_defaults` splits them."""
    from huggingface_hub import ModelCard, ModelCardData

    datasets = [s.name for s in sources if not s.folder]
    data = ModelCardData(
        base_model=model_name if not os.path.isdir(model_name) else None,
        datasets=datasets or None,
        library_name="transformers",
        tags=["r1data", "trl", method],
        license="other",
    )
    lines = [f"# {os.path.basename(os.path.abspath(output_dir))}", ""]
    lines += [f"Trained with `r1data train {method}` (TRL) from `{model_name}`.", "", "## Training data", ""]
    for s in sources:
        lines.append(f"- `{s.name}` (weight {s.weight:g}){' — an r1data output folder' if s.folder else ''}")
        if s.stats:
            funnel = s.stats.get("funnel", {})
            kept = funnel.get("completions", {}).get("kept")
            lines.append(
                f"  - r1data fingerprint `{s.stats.get('fingerprint')}`, recipe `{s.stats.get('recipe')}`, {kept} rows kept"
            )
            lines += ["", funnel_table(funnel), ""]
    if rewards:
        lines += ["", "## Rewards", "", "| reward | weight | scores |", "|---|---:|---|"]
        lines += [f"| `{r['name']}` | {r['weight']:g} | {r['scores'].replace('``', '`')} |" for r in rewards]
    if notes:
        lines += ["", "## What r1data changed before training", ""] + [f"- {n}" for n in notes]
    lines += ["", "## Results", "", "```json", json.dumps(metrics, indent=2, default=str)[:4000], "```"]
    r1data_args = {**arguments["r1data"][0], **arguments["r1data"][1]}
    lines += ["", "## r1data arguments", "", _arguments_table(r1data_args)]
    for group in ("model", "training"):
        lines += [
            "",
            f"## {group.capitalize()} arguments set for this run",
            "",
            _arguments_table(arguments[group][0]),
        ]
    defaults = {**arguments["model"][1], **arguments["training"][1]}
    lines += [
        "",
        f"<details><summary>Arguments left at TRL's defaults ({len(defaults)})</summary>",
        "",
    ]
    lines += ["```json", json.dumps(defaults, indent=2, default=str)[:20000], "```", "", "</details>"]
    lines += ["", "## Versions", "", "```json", json.dumps(package_versions(TRAINING), indent=2), "```", ""]
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines))
    path = os.path.join(output_dir, "README.md")
    card.save(path)
    return path
