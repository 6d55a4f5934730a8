"""The quickstart's output trains with TRL as it is: SFTTrainer (loss on the assistant turn only) and
GRPOTrainer with r1data's rewards; TRL's own accuracy reward reads the rows too. Nothing renamed."""

from __future__ import annotations

import math

import pytest

from r1data.pipelines import load_recipe, run_recipe
from tests.conftest import REPO
from tests.trainers.tiny import tiny_model

pytest.importorskip("trl", reason="TRL is installed by the README's set-up (make setup)")


@pytest.fixture(scope="module")
def rows(tmp_path_factory):
    import datasets

    base = tmp_path_factory.mktemp("trl")
    result = run_recipe(load_recipe(str(REPO / "recipes/quickstart.yaml")), str(base / "qs"))
    return datasets.load_dataset(result.output_dir, split="train", cache_dir=str(base / "hf"))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return str(tiny_model(tmp_path_factory.mktemp("tiny") / "qwen2"))


def test_sft_trains_on_the_rows_with_the_loss_on_the_assistant_turn_only(rows, model_dir, tmp_path):
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    tok = AutoTokenizer.from_pretrained(model_dir)
    args = SFTConfig(
        output_dir=str(tmp_path / "sft"),
        max_steps=3,
        max_length=8192,  # byte-level tokens: no row may be cut (TRL's default 1024 would cut the summary)
        per_device_train_batch_size=4,
        learning_rate=3e-3,
        logging_steps=1,
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_strategy="no",
    )
    trainer = SFTTrainer(model=model_dir, args=args, train_dataset=rows, processing_class=tok)
    example = trainer.train_dataset[0]
    mask = [label != -100 for label in example["labels"]]
    assert 0 < sum(mask) < len(mask)  # the prompt carries no loss
    completion = tok.decode([t for t, m in zip(example["input_ids"], mask, strict=True) if m])
    assert completion.startswith("<think>\n") and rows[0]["summary"] in completion
    trainer.train()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    assert len(losses) == 3 and all(math.isfinite(x) for x in losses)


def test_grpo_gets_a_reward_for_every_row_from_r1data_and_trl(rows, model_dir, tmp_path):
    from trl import GRPOConfig, GRPOTrainer
    from trl.rewards import accuracy_reward as trl_accuracy

    from r1data.verifiers.rewards import accuracy_reward, format_reward

    batch = rows.select(range(8))
    ours = accuracy_reward(batch["prompt"], batch["completion"], **{"solution": batch["solution"]})
    assert ours == [1.0] * 8  # every published row was verified correct
    theirs = trl_accuracy(completions=batch["completion"], solution=batch["solution"])
    assert sum(r == 1.0 for r in theirs) >= 6, theirs
    assert format_reward(batch["prompt"], batch["completion"]) == [1.0] * 8
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        max_steps=1,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        logging_steps=1,
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_strategy="no",
    )
    trainer = GRPOTrainer(
        model=model_dir, reward_funcs=[accuracy_reward, format_reward], args=args, train_dataset=batch
    )
    trainer.train()
    logged = trainer.state.log_history[0]
    for name in ("accuracy_reward", "format_reward"):
        assert math.isfinite(logged[f"rewards/{name}/mean"]), logged
