"""What the three entry points share: parsing, resume, the tokenizer and model, and the finish."""

from __future__ import annotations

import dataclasses
import os

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


def run(build_trainer, method: str, argv: list[str] | None) -> int:
    """An entry point: build the trainer, train (resuming), finish."""
    trainer, (args, model_args, sources, notes, checkpoint) = build_trainer(argv)
    result = trainer.train(resume_from_checkpoint=checkpoint)
    finish(trainer, args, method, model_args, sources, notes, result)
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


def finish(trainer, train_args, method: str, model_args, sources, notes: list[str], result) -> None:
    """Save the weights and the tokenizer (with its chat template), write the model card, push when
    asked (off by default)."""
    from r1data.data_cards.card import write_model_card

    trainer.save_model(train_args.output_dir)
    trainer.processing_class.save_pretrained(train_args.output_dir)
    trainer.save_state()
    metrics = dict(result.metrics) if result is not None else {}
    config = {k: v for k, v in train_args.to_dict().items() if "token" not in k.lower()}
    config["model"] = dataclasses.asdict(model_args)
    write_model_card(
        train_args.output_dir, method, model_args.model_name_or_path, sources, config, notes, metrics
    )
    if train_args.push_to_hub:
        trainer.create_model_card = lambda *args, **kwargs: None  # keep r1data's card
        trainer.push_to_hub()
