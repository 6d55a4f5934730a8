"""The trained model's card: which data (with its r1data fingerprint and funnel), which recipe, which
package versions; Hub metadata that huggingface_hub validates."""

from __future__ import annotations

import json
import os

from r1data.core.versions import package_versions

TRAINING = ("r1data", "trl", "transformers", "torch", "datasets", "accelerate")


def write_model_card(
    output_dir: str, method: str, model_name: str, sources, config: dict, notes: list[str], metrics: dict
) -> str:
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
            lines.append("  - funnel: `" + json.dumps(funnel, sort_keys=True)[:2000] + "`")
    if notes:
        lines += ["", "## What r1data changed before training", ""] + [f"- {n}" for n in notes]
    lines += ["", "## Results", "", "```json", json.dumps(metrics, indent=2, default=str)[:4000], "```"]
    lines += ["", "## Configuration", "", "```json", json.dumps(config, indent=2, default=str)[:20000], "```"]
    lines += ["", "## Versions", "", "```json", json.dumps(package_versions(TRAINING), indent=2), "```", ""]
    card = ModelCard(f"---\n{data.to_yaml()}\n---\n\n" + "\n".join(lines))
    path = os.path.join(output_dir, "README.md")
    card.save(path)
    return path
