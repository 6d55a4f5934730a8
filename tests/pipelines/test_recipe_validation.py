"""A recipe is validated whole when it is loaded: every step's parameters against its typed config
(types, ranges, choices, unknown fields, nested configs), before any stage runs — one line naming the
stage, the step, the field, the value and what is expected; exit 2; no output folder made."""

from __future__ import annotations

import subprocess
import sys

import pytest

from r1data.core.recipes import RecipeError
from r1data.pipelines.recipe import load_recipe

BASE = "name: v\ninput: {path: package://r1data/sample/math_sample.jsonl}\nstages:\n"


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (
            "  - {name: pick, steps: [{select: {policy: shortest, k: two}}, format_r1]}",
            "stage 'pick', step 'select', field 'k': 'two' is not an int (expected: int ≥ 1)",
        ),
        (
            "  - {name: check, steps: [{verify: {timeout_s: ten}}]}\n  - {name: out, steps: [format_r1]}",
            "stage 'check', step 'verify', field 'timeout_s': 'ten' is not a float (expected: float > 0 or null)",
        ),
        (
            "  - {name: pick, steps: [{select: {k: 0}}, format_r1]}",
            "stage 'pick', step 'select', field 'k': 0 is not valid: Input should be greater than or equal to 1 (expected: int ≥ 1)",
        ),
        (
            "  - {name: pick, steps: [{select: {policy: best}}, format_r1]}",
            "stage 'pick', step 'select', field 'policy': 'best' is not valid: unknown selection policy 'best'",
        ),
        (
            "  - {name: pick, steps: [{select: {polcy: all}}, format_r1]}",
            "stage 'pick', step 'select': unknown parameters ['polcy'] (known: policy, k,",
        ),
        (
            "  - {name: f, steps: [{filter_language: {min_consistency: 1.5}}, format_r1]}",
            "stage 'f', step 'filter_language', field 'min_consistency': 1.5 is not valid",
        ),
        (
            "  - {name: f, steps: [{filter_readability: {checks: [long_paragraph, vibes]}}, format_r1]}",
            "stage 'f', step 'filter_readability', field 'checks'[1]: 'vibes' is not valid",
        ),
        (
            "  - {name: j, steps: [{verify: {domain: qa, judge: {endpoint: 'http://x/v1', model: m, timeout: 3}}}]}\n"
            "  - {name: out, steps: [format_r1]}",
            "stage 'j', step 'verify', field 'judge': unknown parameter 'timeout'",
        ),
        (
            "  - {name: j, steps: [{verify: {domain: qa}}]}\n  - {name: out, steps: [format_r1]}",
            "stage 'j', step 'verify': no rule checker for domain 'qa'",
        ),
        (
            "  - {name: g, steps: [{generate: {endpoints: ['http://x/v1'], model: m, n: many}}, format_r1]}",
            "stage 'g', step 'generate', field 'n': 'many' is not an int (expected: int ≥ 1)",
        ),
        (
            "  - {name: pick, steps: [{select: {exclusions: 3}}, format_r1]}",
            "stage 'pick', step 'select', field 'exclusions': 3 is not a folder path",
        ),
    ],
)
def test_a_wrong_step_parameter_is_one_line_when_the_recipe_loads(tmp_path, stage, expected):
    path = tmp_path / "r.yaml"
    path.write_text(BASE + stage + "\n")
    with pytest.raises(RecipeError) as info:
        load_recipe(str(path))
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and expected in message, message


def test_the_cli_refuses_before_running_and_leaves_no_folder(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(BASE + "  - {name: verify, steps: [{verify: {workers: 1}}]}\n"
                    "  - {name: pick, steps: [{select: {k: two}}, format_r1]}\n")  # fmt: skip
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "r1data.cli", "run", str(path), "--output", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"r1data run: error: {path}: stage 'pick', step 'select', field 'k': 'two' is not an int (expected: int ≥ 1)"
    ]
    assert not out.exists()  # the first stage never ran


def test_valid_parameters_reach_the_card_typed(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        BASE + "  - {name: pick, steps: [{select: {policy: shortest, k: 2, max_pass_rate: 1}}, format_r1]}\n"
    )
    recipe = load_recipe(str(path))
    params = recipe.stages[0].steps[0].params
    assert params == {"policy": "shortest", "k": 2, "max_pass_rate": 1.0}
    assert isinstance(params["max_pass_rate"], float)
