"""``r1data train grpo``: R1-Zero / R1 reasoning RL — GRPO on rule rewards (accuracy, format,
language consistency by default; R1-Zero's answer-tag format and the all-scenarios helpfulness and
harmlessness by name), prompts from the rows' user turn, references from their ``solution`` column."""

from __future__ import annotations

from loguru import logger

from r1data.trainers import common


def build_trainer(argv: list[str] | None = None):
    """Everything up to the training itself: (trainer, what to finish with). Tests use it to look at
    the tokenised rows before training."""
    from transformers import set_seed
    from trl import GRPOConfig, GRPOTrainer

    from r1data.trainers.chat import generation_opens_think
    from r1data.trainers.checks import check_completion_budget
    from r1data.trainers.rewards import build_rewards, describe_rewards

    data_args, model_args, args = common.parse(GRPOConfig, argv)
    set_seed(args.seed)
    names = data_args.reward_names()
    logger.info(f"r1data train grpo: {model_args.model_name_or_path}, rewards {names} → {args.output_dir}")
    checkpoint = common.last_checkpoint(args)

    rows, sources = common.load_rows(data_args, args, "prompt")
    share = check_completion_budget(rows, args.max_completion_length, data_args.allow_truncation)
    keep = [c for c in ("prompt", "solution", "tests", "language") if c in rows.column_names]
    rows = common.prompts(rows.select_columns(keep), data_args)

    tokenizer, added, notes = common.load_tokenizer(model_args, data_args)
    if share:
        notes.append(
            f"{share:.0%} of the reference completions exceed max_completion_length {args.max_completion_length}"
        )
    model, context_notes = common.load_model(
        model_args, data_args, common.generation_length(args), added, tokenizer
    )
    notes += context_notes
    rewards = build_rewards(names, data_args, think_opened=generation_opens_think(tokenizer))
    if args.reward_weights is not None and len(args.reward_weights) != len(rewards):
        raise ValueError(f"{len(args.reward_weights)} reward weights for {len(rewards)} rewards ({names})")

    trainer = GRPOTrainer(
        model=model, reward_funcs=rewards, args=args, train_dataset=rows, processing_class=tokenizer
    )
    described = describe_rewards(names, rewards, args.reward_weights)
    return trainer, common.Built(args, model_args, data_args, sources, notes, checkpoint, described)


def main(argv: list[str] | None = None) -> int:
    return common.run(build_trainer, "grpo", argv)
