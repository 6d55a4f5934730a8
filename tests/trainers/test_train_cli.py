"""``r1data train sft|grpo|distill`` on the folder ``r1data run recipes/quickstart.yaml`` wrote, as it
is, with tiny Qwen2/Llama models built here (nothing downloaded)."""

from __future__ import annotations

import json
import math
import os

import pytest

from r1data.cli import main as cli
from r1data.pipelines import load_recipe, run_recipe
from tests.conftest import REPO
from tests.trainers.tiny import byte_tokenizer, tiny_model

pytest.importorskip("trl", reason="TRL is installed by the README's set-up (make setup)")

COMMON = ["--use_cpu", "true", "--bf16", "false", "--report_to", "none", "--logging_steps", "1"]


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    out = tmp_path_factory.mktemp("train") / "qs"
    run_recipe(load_recipe(str(REPO / "recipes/quickstart.yaml")), str(out))
    return str(out)


@pytest.fixture(scope="module")
def qwen(tmp_path_factory):
    return str(tiny_model(tmp_path_factory.mktemp("tiny") / "qwen2"))


@pytest.fixture(scope="module")
def sft_run(quickstart, qwen, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("sft") / "out")
    argv = ["train", "sft", "--model_name_or_path", qwen, "--dataset_name", quickstart, "--output_dir", out]
    argv += ["--max_steps", "20", "--per_device_train_batch_size", "4", "--learning_rate", "3e-3"]
    argv += ["--max_length", "4096", "--save_steps", "10", *COMMON]
    assert cli(argv) == 0
    return out


def _losses(out):
    with open(os.path.join(out, "trainer_state.json")) as f:
        state = json.load(f)
    return state, [e["loss"] for e in state["log_history"] if "loss" in e]


def test_sft_writes_weights_tokenizer_state_and_card_and_the_loss_falls(sft_run, quickstart):
    names = os.listdir(sft_run)
    assert any(n.endswith(".safetensors") for n in names)
    assert "tokenizer.json" in names and ("chat_template.jinja" in names or "tokenizer_config.json" in names)
    state, losses = _losses(sft_run)
    assert state["global_step"] == 20 and len(losses) == 20 and all(math.isfinite(x) for x in losses)
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.5, losses
    with open(os.path.join(sft_run, "README.md")) as f:
        card = f.read()
    with open(os.path.join(quickstart, "stats.json")) as f:
        fingerprint = json.load(f)["fingerprint"]
    assert quickstart in card and fingerprint in card and "r1data train sft" in card
    from huggingface_hub import ModelCard

    assert "r1data" in ModelCard.load(os.path.join(sft_run, "README.md")).data.tags
    # the card a reader can use: the funnel as a table, r1data's own arguments, what this run set
    # before the ~170 TRL defaults (which come last, folded)
    assert "| completions |" in card or "| records |" in card
    ours = card[card.index("## r1data arguments") : card.index("## Model arguments set")]
    assert f'| `dataset_name` | `"{quickstart}"` |' in ours and '| `chat_template` | `"auto"` |' in ours
    chosen = card[card.index("## Training arguments set for this run") : card.index("<details>")]
    assert "| `max_steps` | `20` |" in chosen and "| `learning_rate` | `0.003` |" in chosen
    assert "adam_beta1" not in chosen and '"adam_beta1": 0.9' in card[card.index("<details>") :]


def test_sft_puts_the_loss_on_the_assistant_turn_with_its_think_block(quickstart, qwen, tmp_path):
    from r1data.trainers import sft

    argv = ["--model_name_or_path", qwen, "--dataset_name", quickstart, "--output_dir", str(tmp_path / "o")]
    trainer, _ = sft.build_trainer([*argv, "--max_length", "4096", *COMMON])
    tok = trainer.processing_class
    row = trainer.train_dataset[0]
    mask = [label != -100 for label in row["labels"]]  # TRL keeps labels only on assistant tokens
    trained = tok.decode([t for t, m in zip(row["input_ids"], mask, strict=True) if m])
    untrained = tok.decode([t for t, m in zip(row["input_ids"], mask, strict=True) if not m])
    assert trained.startswith("<think>\n") and "</think>" in trained and trained.endswith("<|im_end|>")
    assert "user" in untrained and "<think>" not in untrained  # the prompt carries no loss


def test_saved_weights_reload_identically_and_a_relaunch_resumes_the_step_count(sft_run, quickstart, qwen):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    saved = load_file(os.path.join(sft_run, "model.safetensors"))
    reloaded = AutoModelForCausalLM.from_pretrained(sft_run).state_dict()
    for name, tensor in saved.items():
        assert torch.equal(tensor, reloaded[name]), name
    # relaunched with more steps: continues from checkpoint-20, not from step 0
    argv = [
        "train",
        "sft",
        "--model_name_or_path",
        qwen,
        "--dataset_name",
        quickstart,
        "--output_dir",
        sft_run,
    ]
    assert (
        cli(
            [
                *argv,
                "--max_steps",
                "23",
                "--per_device_train_batch_size",
                "4",
                "--max_length",
                "4096",
                *COMMON,
            ]
        )
        == 0
    )
    state, losses = _losses(sft_run)
    assert state["global_step"] == 23 and len(losses) == 23


DEEPSEEK_LIKE = (
    "{% for m in messages %}{% if m['role'] == 'assistant' %}{% set c = m['content'] %}"
    "{% if '</think>' in c %}{% set c = c.split('</think>')[-1] %}{% endif %}"
    "<|im_start|>assistant\n{% generation %}{{ c }}<|im_end|>{% endgeneration %}\n"
    "{% else %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endif %}{% endfor %}"
)
NO_MARKERS = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


@pytest.mark.parametrize(
    ("template", "reason"), [(DEEPSEEK_LIKE, "strips the reasoning"), (NO_MARKERS, "generation")]
)
def test_an_unfit_chat_template_is_refused_or_replaced_with_the_reason(template, reason):
    from r1data.trainers.chat import prepare_chat_template, template_problems

    tok = byte_tokenizer()
    tok.chat_template = template
    assert any(reason in p for p in template_problems(tok))
    with pytest.raises(ValueError, match=reason):
        prepare_chat_template(tok, "keep")
    added, notes = prepare_chat_template(tok, "auto")
    assert added == 0 and reason in notes[0] and template_problems(tok) == []
    text = tok.apply_chat_template(
        [{"role": "user", "content": "q"}, {"role": "assistant", "content": "<think>\nR\n</think>\n\nS"}],
        tokenize=False,
    )
    assert "<think>\nR\n</think>" in text


def test_a_wrong_eos_is_set_to_the_templates_end_of_turn():
    from r1data.trainers.chat import prepare_chat_template

    tok = byte_tokenizer()
    tok.eos_token = "<|endoftext|>"  # a base model's EOS, while the template ends turns with <|im_end|>
    _, notes = prepare_chat_template(tok, "auto")
    assert tok.eos_token == "<|im_end|>" and "EOS set to" in notes[-1]


def test_max_length_beyond_the_models_positions_is_refused_unless_extended(qwen):
    from transformers import AutoConfig

    from r1data.trainers.checks import fit_context

    config = AutoConfig.from_pretrained(qwen)
    with pytest.raises(ValueError, match="--extend_context 32768"):
        fit_context(config, 32768, None)
    notes = fit_context(config, 32768, 32768)
    assert config.max_position_embeddings == 32768 and "rope_theta 300000" in notes[0]


def test_rows_longer_than_max_length_are_dropped_and_counted(quickstart, qwen, tmp_path):
    from r1data.trainers import sft

    argv = ["--model_name_or_path", qwen, "--dataset_name", quickstart, "--output_dir", str(tmp_path / "o")]
    trainer, built = sft.build_trainer([*argv, "--max_length", "700", *COMMON])
    dropped = int(next(n for n in built.notes if "longer than max_length" in n).split()[0])
    assert 0 < dropped < 60 and len(trainer.train_dataset) == 60 - dropped
    assert all(len(ids) <= 700 for ids in trainer.train_dataset["input_ids"])
    with pytest.raises(ValueError, match="every row is longer"):
        sft.build_trainer([*argv, "--max_length", "20", *COMMON])


def test_grpo_with_the_r1_rewards_logs_each_reward_and_changes_the_weights(sft_run, quickstart, tmp_path):
    import torch
    from safetensors.torch import load_file

    out = str(tmp_path / "grpo")
    argv = [
        "train",
        "grpo",
        "--model_name_or_path",
        sft_run,
        "--dataset_name",
        quickstart,
        "--output_dir",
        out,
    ]
    argv += ["--max_steps", "3", "--per_device_train_batch_size", "4", "--num_generations", "4"]
    argv += ["--max_completion_length", "24", "--learning_rate", "1e-2", *COMMON]
    argv += ["--reward_weights", "1.0", "0.5", "0.25"]
    assert cli(argv) == 2  # 24 tokens cut nearly every reference completion: refused, with the reason
    assert cli([*argv, "--allow_truncation", "true"]) == 0
    with open(os.path.join(out, "trainer_state.json")) as f:
        logs = [e for e in json.load(f)["log_history"] if "reward" in e]
    assert len(logs) == 3
    for name in ("accuracy_reward", "format_reward", "language_consistency_reward"):
        assert all(math.isfinite(e[f"rewards/{name}/mean"]) for e in logs)
    assert any(e["reward_std"] > 0 for e in logs)  # a reward with spread: something to learn from
    before, after = (
        load_file(os.path.join(sft_run, "model.safetensors")),
        load_file(os.path.join(out, "model.safetensors")),
    )
    assert any(not torch.equal(before[k], after[k]) for k in before)
    with open(os.path.join(out, "README.md")) as f:
        card = f.read()
    rewards = card[card.index("## Rewards") :].split("\n## ")[0]
    assert "| `accuracy` | 1 | 1.0 when the verifier passes" in rewards
    assert "| `format` | 0.5 | 1.0 for the R1 shape" in rewards
    assert "| `language_consistency` | 0.25 | R1's language-consistency reward" in rewards


def test_on_policy_distillation_runs_with_a_finite_loss(sft_run, quickstart, tmp_path):
    llama = str(tiny_model(tmp_path / "llama", arch="llama", seed=1))
    out = str(tmp_path / "distill")
    argv = ["train", "distill", "--model_name_or_path", llama, "--teacher_model_name_or_path", sft_run]
    argv += ["--dataset_name", quickstart, "--output_dir", out, "--max_steps", "2"]
    argv += ["--per_device_train_batch_size", "2", "--max_completion_length", "16", *COMMON]
    assert cli(argv) == 0
    _, losses = _losses(out)
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    assert (
        cli(
            [
                "train",
                "distill",
                "--model_name_or_path",
                llama,
                "--dataset_name",
                quickstart,
                "--output_dir",
                out,
            ]
        )
        == 2
    )


def test_r1_zero_answer_tag_format_reward():
    from r1data.trainers.rewards import r1_zero_format_reward

    completions = [
        "<think>17 + 25 = 42</think> <answer>42</answer>",
        "<think>17 + 25 = 42</think>\n<answer>42</answer> extra",
        "<think></think><answer>42</answer>",
        "<think>a</think><answer>42</answer><answer>43</answer>",
        "<answer>42</answer>",
        "17 + 25 = 42</think><answer>42</answer>",
    ]
    prompts = ["q"] * 5 + ["Assistant: <think>"]
    assert r1_zero_format_reward(prompts, completions) == [1.0, 0.0, 0.0, 0.0, 0.0, 1.0]


def test_helpfulness_sees_the_summary_and_harmlessness_the_whole_response(tmp_path):
    from r1data.trainers.args import DataArguments
    from r1data.trainers.rewards import build_rewards
    from tests.doubles.fake_chat_server import FakeChatServer

    completion = "<think>\nSECRET-REASONING\n</think>\n\nThe answer is 42."
    with FakeChatServer(reply=lambda prompt: (200, "Score: 7")) as server:  # a FAKE grader, named so
        args = DataArguments(reward_endpoint=server.url, reward_endpoint_model="grader")
        helpful, harmless = build_rewards(["helpfulness", "harmlessness"], args, think_opened=False)
        assert helpful(["Compute 17 + 25."], [completion]) == [0.7]
        assert harmless(["Compute 17 + 25."], [completion]) == [0.7]
        shown = [entry["prompt"] for entry in server.log]
    assert "SECRET-REASONING" not in shown[0] and "The answer is 42." in shown[0]
    assert "SECRET-REASONING" in shown[1] and "Compute 17 + 25." in shown[1]


def test_a_local_reward_model_scores_in_the_unit_interval(tmp_path):
    import torch
    from transformers import Qwen2Config, Qwen2ForSequenceClassification

    from r1data.trainers.args import DataArguments
    from r1data.trainers.rewards import build_rewards

    torch.manual_seed(0)
    tok = byte_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, head_dim=32, num_labels=1, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    Qwen2ForSequenceClassification(config).save_pretrained(tmp_path / "rm")
    tok.save_pretrained(tmp_path / "rm")
    (helpful,) = build_rewards(
        ["helpfulness"], DataArguments(reward_model_name_or_path=str(tmp_path / "rm")), False
    )
    scores = helpful(["q", "q"], ["<think>a</think> Yes, 42.", "<think>a</think> No idea."])
    assert all(0.0 < s < 1.0 for s in scores) and scores[0] != scores[1]
    assert helpful(["q", "q"], ["<think>a</think> Yes, 42.", "<think>a</think> No idea."]) == scores


def test_unknown_reward_and_missing_reward_model_are_refused():
    from r1data.trainers.args import DataArguments
    from r1data.trainers.rewards import build_rewards

    with pytest.raises(ValueError, match="unknown reward"):
        build_rewards(["accuracy", "vibes"], DataArguments(), False)
    with pytest.raises(ValueError, match="reward model"):
        build_rewards(["harmlessness"], DataArguments(), False)
    assert DataArguments(reward_funcs=["accuracy,format", "language_consistency"]).reward_names() == [
        "accuracy",
        "format",
        "language_consistency",
    ]
