import pytest
from pydantic import ValidationError

from r1data.pipelines.recipe import Recipe, load_recipe, resolve_path
from r1data.pipelines.registry import build_step

MINIMAL = {
    "name": "t",
    "input": {"path": "x.jsonl"},
    "stages": [{"name": "s", "steps": ["parse_traces", "format_r1"]}],
}


def test_quickstart_recipe_loads_and_its_sample_ships_in_the_package():
    recipe = load_recipe("recipes/quickstart.yaml")
    assert [s.name for s in recipe.stages] == ["verify", "select"]
    assert [st.kind for st in recipe.stages[0].steps] == [
        "parse_traces",
        "verify",
        "filter_language",
        "filter_readability",
    ]
    assert [st.kind for st in recipe.stages[1].steps] == ["select", "format_r1"]
    assert recipe.stages[1].steps[0].params == {"policy": "shortest", "k": 2, "max_pass_rate": 0.99}
    with open(resolve_path(recipe.input.path)) as f:
        assert sum(1 for _ in f) == 43


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"input": {"path": "a", "dataset": "b"}}, "exactly one of 'path' or 'dataset'"),
        ({"stages": []}, "at least 1 item"),
        (
            {"stages": [{"name": "s", "steps": ["parse_traces"]}, {"name": "s", "steps": ["format_r1"]}]},
            "stage names must be unique",
        ),
        # a last stage without format_r1 would publish prompt records as SFT rows with null messages
        ({"stages": [{"name": "s", "steps": ["parse_traces"]}]}, "no `format_r1` step"),
        ({"stages": [{"name": "s", "steps": []}]}, "needs either `steps` or `near_dedup`"),
        ({"executor": {"type": "kubernetes"}}, "Input should be 'local'"),
        ({"surprise": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_recipes_are_rejected(patch, message):
    with pytest.raises(ValidationError, match=message):
        Recipe.model_validate({**MINIMAL, **patch})


def test_unknown_steps_and_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="unknown step 'dedupe'"):
        build_step("dedupe", {})
    with pytest.raises(ValueError, match=r"unknown parameters \['polcy'\]"):
        build_step("select", {"polcy": "all"})


def test_fingerprint_changes_with_parameters():
    a = Recipe.model_validate(MINIMAL)
    b = Recipe.model_validate(
        {**MINIMAL, "stages": [{"name": "s", "steps": [{"select": {"k": 2}}, "format_r1"]}]}
    )
    assert a.fingerprint() == Recipe.model_validate(MINIMAL).fingerprint() != b.fingerprint()


def test_exclusions_param_gives_a_step_an_exclusion_writer(tmp_path):
    for kind in ("filter_language", "select", "format_r1", "dedup_completions", "decontaminate"):
        params = {"benchmarks": []} if kind == "decontaminate" else {}
        step = build_step(kind, {**params, "exclusions": str(tmp_path / "excluded")})
        assert step.exclusion_writer.output_filename.template == f"{kind}_${{rank}}.jsonl.gz"
    with pytest.raises(ValueError, match="unknown parameters"):
        build_step("select", {"exclusion_writer": str(tmp_path)})
