"""Every training recipe parses with the entry point's own parser (each YAML key is a field of TRL's
config, TRL's ModelConfig or r1data's DataArguments) and holds values the method accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO

pytest.importorskip("trl", reason="TRL is installed by the README's set-up (make setup)")

RECIPES = sorted((REPO / "recipes" / "train").glob("*/*.yaml"))
STUDENTS = {
    "Qwen/Qwen2.5-Math-1.5B",
    "Qwen/Qwen2.5-Math-7B",
    "Qwen/Qwen2.5-14B",
    "Qwen/Qwen2.5-32B",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Llama-3.3-70B-Instruct",
}


def _config_class(path: Path):
    import trl

    method = path.stem.split("_")[0]
    return {"sft": trl.SFTConfig, "grpo": trl.GRPOConfig, "distill": trl.DistillationConfig}[method]


@pytest.mark.parametrize("path", RECIPES, ids=[f"{p.parent.name}/{p.name}" for p in RECIPES])
def test_recipe_parses_with_the_trainers_parser(path):
    from r1data.trainers import common
    from r1data.trainers.rewards import REWARD_NAMES

    # bf16 and the GPU batch sizes are for the GPU machines the recipes target; here only the parse
    data, model, args = common.parse(
        _config_class(path), ["--config", str(path), "--use_cpu", "true", "--bf16", "false"]
    )
    assert model.model_name_or_path and args.output_dir.startswith("outputs/train/")
    assert args.push_to_hub is False
    text = path.read_text()
    assert text.startswith("#") and (
        "R1" in text or "open-r1" in text
    )  # each setting says where it comes from
    if path.stem == "sft":
        assert args.max_length == 32768 and args.packing is False and data.chat_template == "auto"
        assert args.per_device_train_batch_size * args.gradient_accumulation_steps * 8 == 128
    if path.stem.startswith("grpo"):
        assert set(data.reward_names()) <= set(REWARD_NAMES) and len(args.reward_weights) == len(
            data.reward_names()
        )
        assert args.num_generations == 16 and args.max_completion_length >= 4096
    if path.stem == "distill":
        assert args.teacher_model_name_or_path


def test_there_is_a_distillation_recipe_for_each_of_the_six_r1_students_and_the_rl_recipes():
    import yaml

    sft = {yaml.safe_load(p.read_text())["model_name_or_path"] for p in RECIPES if p.stem == "sft"}
    assert sft == STUDENTS
    names = {p.stem for p in RECIPES}
    assert {"grpo_r1_zero", "grpo_r1", "distill"} <= names
    zero = yaml.safe_load((REPO / "recipes/train/qwen2.5-math-7b/grpo_r1_zero.yaml").read_text())
    assert zero["prompt_template"] == "r1_zero" and zero["reward_funcs"] == ["accuracy", "r1_zero_format"]
    r1 = yaml.safe_load((REPO / "recipes/train/qwen2.5-math-7b/grpo_r1.yaml").read_text())
    assert r1["reward_funcs"] == ["accuracy", "format", "language_consistency"]


@pytest.mark.parametrize("name", ["zero3.yaml", "fsdp.yaml"])
def test_accelerate_configs_load(name):
    from accelerate.commands.config.config_args import ClusterConfig

    config = ClusterConfig.from_yaml_file(str(REPO / "recipes" / "accelerate" / name))
    assert config.num_processes == 8 and config.mixed_precision == "bf16"


BOND_RECIPES = sorted((REPO / "recipes" / "bond").glob("*.yaml"))


@pytest.mark.parametrize("path", BOND_RECIPES, ids=[p.name for p in BOND_RECIPES])
def test_bond_recipe_steps_parse_with_the_commands_they_run(path, monkeypatch):
    """A BOND recipe's sampling/evaluation flags parse with `r1data eval`'s parser into a generation
    config, and its training fields with the SFT entry point's parser (as the rounds will run them)."""
    import trl

    from r1data.cli import make_parser
    from r1data.core.configs import config_from_args
    from r1data.generators.config import GenerationConfig
    from r1data.trainers import common
    from r1data.trainers.bond import BondRecipe, _train_argv

    monkeypatch.chdir(REPO)
    recipe = BondRecipe.load(str(path))
    assert recipe.rounds >= 2 and recipe.sample["n"] >= 4 and recipe.evaluate
    for sampling in (recipe.sample, recipe._eval_sampling()):
        args = make_parser().parse_args(["eval", "in.jsonl", *recipe.eval_argv("policy", "out", sampling)])
        config = config_from_args(GenerationConfig, args, think_prefix=not args.no_think_prefix)
        assert config.vllm_model == "policy" and config.n == sampling["n"]
        assert config.max_tokens == [sampling["max_tokens"]]  # one budget: a ladder of one rung
    argv = [
        *_train_argv(recipe.train),
        "--model_name_or_path",
        "p",
        "--dataset_name",
        "d",
        "--output_dir",
        "o",
    ]
    _, model, args = common.parse(trl.SFTConfig, [*argv, "--use_cpu", "true", "--bf16", "false"])
    assert model.model_name_or_path == "p" and args.output_dir == "o"
    assert args.learning_rate == recipe.train["learning_rate"]
