"""``r1data train distill``: on-policy distillation — the student samples, the teacher's token
distribution teaches it (TRL's DistillationTrainer, generalised JSD), prompts from the rows."""

from __future__ import annotations

from loguru import logger

from r1data.trainers import common


def build_trainer(argv: list[str] | None = None):
    """Everything up to the training itself: (trainer, what to finish with). Tests use it to look at
    the tokenised rows before training."""
    from transformers import AutoModelForCausalLM, set_seed
    from trl import DistillationConfig, DistillationTrainer

    data_args, model_args, args = common.parse(DistillationConfig, argv)
    if not args.teacher_model_name_or_path:
        raise ValueError("--teacher_model_name_or_path is required")
    set_seed(args.seed)
    logger.info(
        f"r1data train distill: {args.teacher_model_name_or_path} → {model_args.model_name_or_path} → {args.output_dir}"
    )
    checkpoint = common.last_checkpoint(args)

    rows, sources = common.load_rows(data_args, args, "prompt")
    rows = common.prompts(rows.select_columns(["prompt"]), data_args)

    tokenizer, added, notes = common.load_tokenizer(model_args, data_args)
    model, context_notes = common.load_model(
        model_args, data_args, common.generation_length(args), added, tokenizer
    )
    notes += context_notes
    teacher = AutoModelForCausalLM.from_pretrained(args.teacher_model_name_or_path)
    if added:
        teacher.resize_token_embeddings(len(tokenizer))

    trainer = DistillationTrainer(
        model=model, teacher_model=teacher, args=args, train_dataset=rows, processing_class=tokenizer
    )
    return trainer, common.Built(args, model_args, data_args, sources, notes, checkpoint)


def main(argv: list[str] | None = None) -> int:
    return common.run(build_trainer, "distill", argv)
