"""Render the dataset card (``README.md`` with Hub YAML metadata) from the recipe and the run's stats."""

from __future__ import annotations

import os
from importlib import resources
from string import Template

import yaml

from r1data.io.writers import write_atomic
from r1data.schemas.features import SFT_SCHEMA

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


def _inline(counts: dict) -> str:
    return ", ".join(f"`{k}` ({v})" for k, v in counts.items()) or "none"


def render_card(recipe, stats: dict) -> str:
    funnel, prov = stats["funnel"], stats["provenance"]
    rows = funnel["completions"]["kept"]
    split = recipe.output.split
    metadata = {
        "license": recipe.card.license,
        "task_categories": recipe.card.task_categories,
        "language": recipe.card.language,
        "tags": recipe.card.tags,
        "size_categories": [size_category(rows)],
        "pretty_name": recipe.card.pretty_name or recipe.name,
        "configs": [{"config_name": "default", "data_files": [{"split": split, "path": f"data/{split}-*"}]}],
    }
    quarantined = funnel["records"]["quarantined_by_reason"]
    quarantine_section = (
        "Quarantined input records by reason: " + _inline(quarantined) + "."
        if quarantined
        else "No input record was quarantined."
    )
    generation = stats.get("generation") or {}
    if generation:
        quarantine_section += (
            f"\n\nGeneration: {int(generation.get('requests_sent', 0))} requests sent "
            f"({int(generation.get('requests_cached', 0))} answered from the request cache), "
            f"{int(generation.get('tokens_prompt', 0))} prompt and {int(generation.get('tokens_completion', 0))} "
            f"completion tokens; {generation['completion_tokens_per_kept_row']} completion tokens per published row."
        )
        if generation.get("completion_tokens_per_s"):
            quarantine_section += (
                f" Throughput: {generation['completion_tokens_per_s']} completion tokens/s per task."
            )
        failures = {
            k.removeprefix("request_failures_"): int(v)
            for k, v in generation.items()
            if k.startswith("request_failures_")
        }
        if failures:
            quarantine_section += " Requests that failed for good, by reason: " + _inline(failures) + "."
    hits = stats.get("decontamination") or {}
    if hits:
        quarantine_section += (
            "\n\nBenchmark decontamination (n-gram overlap), prompts that matched: " + _inline(hits) + "."
        )
    template = Template(resources.files("r1data.data_cards").joinpath("templates/card.md").read_text())
    return template.substitute(
        metadata=yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True).strip(),
        title=recipe.card.pretty_name or recipe.name,
        description=recipe.card.description or recipe.description or "",
        r1data_version=stats["versions"].get("r1data", "?"),
        recipe=recipe.name,
        fingerprint=stats["fingerprint"],
        rows=rows,
        n_shards=len(stats["shards"]),
        split=split,
        domains=_inline(prov["domain"]),
        sources=_inline(prov["source"]),
        teachers=_inline(prov["teacher"]),
        stages=" → ".join(
            f"`{name}` ({', '.join(steps)})"
            for name, steps in ((s.name, [st.kind for st in s.steps]) for s in recipe.stages)
        ),
        verifiers=_inline(prov["verifier"]),
        versions=", ".join(f"{k} {v}" for k, v in stats["versions"].items()),
        records_in=funnel["records"]["in"],
        records_quarantined=funnel["records"]["quarantined"],
        completions_in=funnel["completions"]["in"],
        completions_dropped=funnel["completions"]["dropped"],
        drop_table="\n".join(
            f"| `{r}` | {n} |" for r, n in funnel["completions"]["dropped_by_reason"].items()
        )
        or "| (none) | 0 |",
        quarantine_section=quarantine_section,
        fields="\n".join(f"- `{f.name}`: {f.type}" for f in SFT_SCHEMA),
    )


def write_card(recipe, stats: dict, output_dir: str) -> str:
    path = os.path.join(output_dir, "README.md")
    write_atomic(path, render_card(recipe, stats).encode("utf-8"))
    return path
