"""Cards that are true and complete: every statement derived from what ran, Hub metadata that
huggingface_hub and datasets read back (dataset_info, configs, license, source datasets)."""

from __future__ import annotations

from pathlib import Path

import pytest

from r1data.pipelines import load_recipe, run_recipe
from r1data.pipelines.recipe import Recipe
from tests.conftest import REPO, record, shared_file, write_jsonl


def _card(result):
    from huggingface_hub import DatasetCard

    return DatasetCard.load(Path(result.card_path))


def test_quickstart_card_metadata_validates_and_describes_the_rows(tmp_path):
    from datasets.info import DatasetInfosDict

    result = run_recipe(load_recipe(str(REPO / "recipes/quickstart.yaml")), str(tmp_path / "qs"))
    card = _card(result)
    infos = DatasetInfosDict.from_dataset_card_data(card.data)
    info = infos["default"]
    assert info.splits["train"].num_examples == result.funnel["completions"]["kept"] == 60
    assert {"prompt", "completion", "messages", "solution", "problem"} <= set(info.features)
    assert info.download_size == sum(
        p.stat().st_size for p in Path(result.output_dir, "data").glob("*.parquet")
    )
    assert card.data.license == "apache-2.0" and card.data.configs[0]["config_name"] == "default"
    text = card.text
    assert "60 of the 60 rows carry a chain of thought" in text
    assert "## Example row" in text and '"solution": "' in text
    assert "| `solution` | string | the reference answer" in text
    assert "completion tokens: min" in text and "## Citation" in text and "## Limitations" in text
    assert "Generation: none in this recipe" in text


def test_the_example_recipe_card_claims_no_think_block(tmp_path):
    shared_file("model_outputs/qwen25math7b_instruct_math_8samples.jsonl")
    import os

    cwd = os.getcwd()
    os.chdir(REPO)  # the recipe names ../shared/data relative to the repository
    try:
        result = run_recipe(load_recipe("recipes/examples/qwen25math_curation.yaml"), str(tmp_path / "ex"))
    finally:
        os.chdir(cwd)
    text = _card(result).text
    rows = result.funnel["completions"]["kept"]
    assert f"0 of the {rows} rows carry a chain of thought" in text and f"{rows} are the answer alone" in text
    assert "MinHash near-duplicate prompts, 5-grams, 14×8 hashes" in text  # not "`near_dedup` ()"
    assert "[`Qwen/" not in text or "https://huggingface.co/" in text


def test_no_verification_claim_without_a_verify_step_and_license_citation_sources(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [record("a"), record("b")])
    recipe = Recipe.model_validate(
        {
            "name": "plain",
            "input": {"path": str(src)},
            "stages": [{"name": "s", "steps": ["parse_traces", "format_r1"]}],
            "card": {
                "source_datasets": ["openai/gsm8k"],
                "citation": "@misc{x, title={X}}",
                "license": "mit",
            },
        }
    )
    card = _card(run_recipe(recipe, str(tmp_path / "out")))
    assert (
        "Verification: **none**" in card.text and "is kept only when its verdict is `pass`" not in card.text
    )
    assert card.data.source_datasets == ["openai/gsm8k"] and card.data.license == "mit"
    assert "@misc{x, title={X}}" in card.text
    unlicensed = recipe.model_copy(update={"card": recipe.card.model_copy(update={"license": None})})
    assert _card(run_recipe(unlicensed, str(tmp_path / "out2"))).data.license == "unknown"


def test_the_card_reports_the_verifiers_agreement_on_a_labelled_calibration_set(tmp_path):
    """`card: {calibration: …}`: the run's verifiers score a labelled set (Qwen2.5-Math's 800 graded
    samples, through a mapping) and the card says how often they agree with the labels."""
    import json as _json

    from r1data.verifiers.calibration import calibrate

    source = REPO.parent / "shared" / "data" / "model_outputs" / "qwen25math7b_instruct_math_8samples.jsonl"
    if not source.exists():
        pytest.skip("../shared/data is absent")
    mapping = {
        "id": "idx",
        "prompt": "question",
        "reference.answer": "gt",
        "completions": {"column": "code", "each": "text"},
    }
    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    data["card"]["calibration"] = {"path": str(source), "mapping": mapping, "label": "score"}
    out = tmp_path / "cal"
    run_recipe(Recipe.model_validate(data), str(out))
    cal = _json.loads((out / "stats.json").read_text())["calibration"]
    labels = [
        bool(s)
        for line in source.read_text().splitlines()
        if line.strip()
        for s in _json.loads(line)["score"]
    ]
    assert cal["pairs"] == len(labels) == 800 and cal["agreement"] >= 0.99
    assert cal["false_accepts"] + cal["false_rejects"] == round(
        (1 - cal["agreement"]) * (800 - cal["undecided"])
    )
    card = (out / "README.md").read_text()
    assert f"agree with the labels on **{cal['agreement']:.1%}**" in card
    # one label per completion, or a clear error
    bad = tmp_path / "bad.jsonl"
    row = _json.loads(source.read_text().splitlines()[0])
    row["score"] = row["score"][:3]
    bad.write_text(_json.dumps(row) + "\n")
    with pytest.raises(ValueError, match="3 labels for 8 completions"):
        calibrate(str(bad), mapping, "score")


def test_calibration_reads_labels_as_words_and_counts_what_it_cannot_verify(tmp_path):
    import json as _json

    from r1data.verifiers.calibration import calibrate

    rows = [
        {"id": "m", "domain": "math", "prompt": "1+1?", "reference": {"answer": "2"},
         "completions": [{"text": "<think>x</think> $\\\\boxed{2}$", "label": "true"},
                         {"text": "<think>x</think> $\\\\boxed{3}$", "label": "false"},
                         {"text": "<think>x</think> $\\\\boxed{2}$", "label": None}]},
        {"id": "s", "domain": "science", "prompt": "Why is the sky blue?", "reference": {"answer": "Rayleigh"},
         "completions": [{"text": "Rayleigh scattering.", "label": True}]},
    ]  # fmt: skip
    path = tmp_path / "cal.jsonl"
    path.write_text("".join(_json.dumps(r) + "\n" for r in rows))
    cal = calibrate(str(path))
    assert cal["agreement"] == 1.0 and (cal["false_accepts"], cal["false_rejects"]) == (0, 0)
    assert (cal["pairs"], cal["unlabelled"], cal["no_rule_verifier"]) == (4, 1, 1)
    rows[0]["completions"][0]["label"] = "maybe"
    path.write_text("".join(_json.dumps(r) + "\n" for r in rows))
    with pytest.raises(ValueError, match="'maybe' is not true/false"):
        calibrate(str(path))
