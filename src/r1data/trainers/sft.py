"""``r1data train sft``: R1's distillation — plain SFT of a student on curated rows (``messages``, the
loss on the assistant turn only, the ``<think>`` block kept)."""

from __future__ import annotations

from loguru import logger

from r1data.trainers import common


def build_trainer(argv: list[str] | None = None):
    """Everything up to the training itself: (trainer, what to finish with). Tests use it to look at
    the tokenised rows before training."""
    from transformers import set_seed
    from trl import SFTConfig, SFTTrainer

    from r1data.trainers.checks import check_assistant_masks, drop_long_rows

    data_args, model_args, args = common.parse(SFTConfig, argv)
    set_seed(args.seed)
    logger.info(
        f"r1data train sft: {model_args.model_name_or_path} on {data_args.dataset_name} → {args.output_dir}"
    )
    checkpoint = common.last_checkpoint(args)

    rows, sources = common.load_rows(data_args, args, "messages")
    rows = rows.select_columns(["messages"])  # a `prompt` column would make TRL read prompt-completion rows

    tokenizer, added, notes = common.load_tokenizer(model_args, data_args)
    rows, dropped = drop_long_rows(rows, tokenizer, args.max_length)
    if dropped:
        notes.append(
            f"{dropped} rows longer than max_length {args.max_length} tokens were dropped (never cut)"
        )
    model, context_notes = common.load_model(model_args, data_args, args.max_length, added, tokenizer)
    notes += context_notes

    args.assistant_only_loss = True
    trainer = SFTTrainer(model=model, args=args, train_dataset=rows, processing_class=tokenizer)
    check_assistant_masks(trainer.train_dataset)

    return trainer, common.Built(args, model_args, data_args, sources, notes, checkpoint)


def main(argv: list[str] | None = None) -> int:
    return common.run(build_trainer, "sft", argv)
