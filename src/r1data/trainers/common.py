"""What the three entry points share: parsing, resume, the tokenizer and model, and the finish."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from loguru import logger

from r1data.trainers.args import DataArguments


def parse(config_cls, argv: list[str] | None):
    """TRL's parser over (r1data data arguments, TRL's ModelConfig, the method's TRL config)."""
    from trl import ModelConfig, TrlParser

    parser = TrlParser((DataArguments, ModelConfig, config_cls))
    data_args, model_args, train_args = parser.parse_args_and_config(args=argv)
    if not model_args.model_name_or_path:
        raise ValueError("--model_name_or_path is required")
    return data_args, model_args, train_args


def load_rows(data_args, train_args, column: str):
    """The training rows (``data.load_training_rows``) and their sources; refused without ``column``."""
    from r1data.trainers.data import load_training_rows

    rows, sources = load_training_rows(
        data_args.dataset_name, data_args.dataset_split, data_args.max_train_rows, train_args.seed
    )
    if column not in rows.column_names:
        raise ValueError(f"the training rows have no `{column}` column (columns: {rows.column_names})")
    return rows, sources


def prompts(rows, data_args):
    """GRPO and distillation prompts: the rows' user turn as is (``chat``), or in R1-Zero's plain
    template (``r1_zero``)."""
    if data_args.prompt_template == "r1_zero":
        from r1data.trainers.rewards import r1_zero_prompt

        return rows.map(lambda row: {"prompt": r1_zero_prompt(row["prompt"])})
    return rows


def generation_length(train_args) -> int:
    """The positions a sampled completion needs: its budget plus room for the prompt."""
    return (train_args.max_completion_length or 0) + 512


@dataclasses.dataclass
class Built:
    """What ``build_trainer`` hands to the training and the finish: the three parsed argument sets,
    the data sources, notes of what r1data changed, the checkpoint to resume from, and (GRPO) the
    rewards as the model card lists them."""

    args: Any
    model_args: Any
    data_args: DataArguments
    sources: list
    notes: list[str]
    checkpoint: str | None
    rewards: list[dict] | None = None


def run(build_trainer, method: str, argv: list[str] | None) -> int:
    """An entry point: build the trainer, train (resuming), finish."""
    trainer, built = build_trainer(argv)
    result = trainer.train(resume_from_checkpoint=built.checkpoint)
    finish(trainer, method, built, result)
    return 0


def last_checkpoint(train_args) -> str | None:
    """The checkpoint to resume from: ``--resume_from_checkpoint`` if given, else the newest
    ``checkpoint-N`` in ``output_dir`` (a relaunched run continues its step count)."""
    from transformers.trainer_utils import get_last_checkpoint

    if train_args.resume_from_checkpoint:
        return train_args.resume_from_checkpoint
    if os.path.isdir(train_args.output_dir):
        found = get_last_checkpoint(train_args.output_dir)
        if found:
            logger.info(f"resuming from {found}")
        return found
    return None


def load_tokenizer(model_args, data_args):
    from transformers import AutoTokenizer

    from r1data.trainers.chat import prepare_chat_template

    tokenizer = AutoTokenizer.from_pretrained(
        model_args.model_name_or_path, revision=model_args.model_revision
    )
    added, notes = prepare_chat_template(tokenizer, data_args.chat_template)
    return tokenizer, added, notes


def load_model(
    model_args, data_args, max_length: int | None, added_tokens: int, tokenizer, kind: str = "causal"
):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from r1data.trainers.checks import fit_context

    config = AutoConfig.from_pretrained(model_args.model_name_or_path, revision=model_args.model_revision)
    notes = fit_context(config, max_length, data_args.extend_context)
    dtype = model_args.dtype if model_args.dtype in (None, "auto") else getattr(torch, model_args.dtype)
    model = AutoModelForCausalLM.from_pretrained(
        model_args.model_name_or_path,
        config=config,
        revision=model_args.model_revision,
        dtype=dtype,
        attn_implementation=model_args.attn_implementation,
    )
    if added_tokens:
        model.resize_token_embeddings(len(tokenizer))
    model.config.eos_token_id = tokenizer.eos_token_id
    if model.generation_config is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, notes


def split_defaults(obj) -> tuple[dict, dict]:
    """A dataclass of arguments as (fields set away from their defaults, fields left at them), values
    as JSON would show them; fields naming a token are left out (a secret never reaches a card). What
    the classes fill in themselves from an empty default (``debug: []``, ``accelerator_config``) counts
    as a default."""
    import enum

    values = obj.to_dict() if hasattr(obj, "to_dict") else dataclasses.asdict(obj)
    changed, default = {}, {}
    for f in dataclasses.fields(obj):
        if f.name not in values or "token" in f.name.lower():
            continue
        if f.default is not dataclasses.MISSING:
            initial = f.default
        elif f.default_factory is not dataclasses.MISSING:
            initial = f.default_factory()
        else:
            initial = dataclasses.MISSING
        if isinstance(initial, enum.Enum):
            initial = initial.value
        value = values[f.name]
        filled = initial in (None, "", [], {}) and (value in (None, "", [], {}) or isinstance(value, dict))
        (default if value == initial or filled else changed)[f.name] = value
    return changed, default


def finish(trainer, method: str, built: Built, result) -> None:
    """Save the weights and the tokenizer (with its chat template), write the model card, push when
    asked (off by default)."""
    from r1data.data_cards.card import write_model_card

    train_args = built.args
    trainer.save_model(train_args.output_dir)
    trainer.processing_class.save_pretrained(train_args.output_dir)
    trainer.save_state()
    metrics = dict(result.metrics) if result is not None else {}
    write_model_card(
        train_args.output_dir,
        method,
        built.model_args.model_name_or_path,
        built.sources,
        arguments={
            "r1data": split_defaults(built.data_args),
            "model": split_defaults(built.model_args),
            "training": split_defaults(train_args),
        },
        notes=built.notes,
        metrics=metrics,
        rewards=built.rewards,
    )
    if train_args.push_to_hub:
        trainer.create_model_card = lambda *args, **kwargs: None  # keep r1data's card
        trainer.push_to_hub()
