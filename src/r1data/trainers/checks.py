"""The pitfalls users of open-r1 and TRL hit most, checked before training starts."""

from __future__ import annotations

from loguru import logger


def fit_context(model_config, max_length: int | None, extend_to: int | None) -> list[str]:
    """Refuse a ``max_length`` beyond the model's positions, unless ``extend_to`` (rope_theta 300000
    and that many positions, as open-r1 did for Qwen2.5-Math-7B) covers it. Changes ``model_config``."""
    notes = []
    positions = getattr(model_config, "max_position_embeddings", None)
    if extend_to:
        model_config.max_position_embeddings = extend_to
        if hasattr(model_config, "rope_theta"):
            model_config.rope_theta = 300_000.0
        rope = getattr(model_config, "rope_parameters", None)
        if isinstance(rope, dict):
            rope["rope_theta"] = 300_000.0
        notes.append(f"context extended from {positions} to {extend_to} positions (rope_theta 300000)")
        logger.warning(notes[-1])
        positions = extend_to
    if max_length and positions and max_length > positions:
        raise ValueError(
            f"max_length {max_length} is beyond the model's {positions} positions: rows would be trained "
            f"on positions it never learned; lower --max_length or pass --extend_context {max_length}"
        )
    return notes


def token_length(tokenizer, messages: list[dict]) -> int:
    ids = tokenizer.apply_chat_template(messages, tokenize=True)
    if isinstance(ids, dict) or hasattr(ids, "keys"):
        ids = ids["input_ids"]
    return len(ids)


def drop_long_rows(rows, tokenizer, max_length: int | None, column: str = "messages"):
    """Rows whose conversation is longer than ``max_length`` tokens are dropped and counted (never cut:
    a cut row teaches a chain of thought without its answer)."""
    if not max_length:
        return rows, 0
    kept = rows.filter(lambda row: token_length(tokenizer, row[column]) <= max_length, desc="length check")
    dropped = len(rows) - len(kept)
    if dropped:
        logger.warning(
            f"{dropped} of {len(rows)} rows are longer than max_length {max_length} tokens: dropped"
        )
    if not len(kept):
        raise ValueError(f"every row is longer than max_length {max_length} tokens")
    return kept, dropped


def check_assistant_masks(train_dataset, sample: int = 16) -> None:
    """After TRL tokenised the rows: the loss must fall on some tokens of each row."""
    key = next(
        (k for k in ("assistant_masks", "completion_mask", "labels") if k in train_dataset.column_names), None
    )
    if key is None:
        return
    for i in range(min(sample, len(train_dataset))):
        values = train_dataset[i][key]
        trained = [v != -100 for v in values] if key == "labels" else values  # -100: no loss on it
        if not any(trained):
            raise ValueError(
                f"row {i} has no assistant token to train on ({key} is all zero): the chat template "
                "does not mark the assistant turn; pass --chat_template auto"
            )


def check_completion_budget(rows, max_completion_length: int, allow: bool) -> float:
    """GRPO: the share of the rows' reference completions longer than ``max_completion_length`` (from
    their ``completion_tokens`` column). Most of them truncated means accuracy rewards of 0 everywhere
    (TRL's default of 256 does this on reasoning tasks): refused unless ``allow``."""
    if "completion_tokens" not in rows.column_names or not len(rows):
        return 0.0
    lengths = [n for n in rows["completion_tokens"] if n is not None]
    if not lengths:
        return 0.0
    share = sum(n > max_completion_length for n in lengths) / len(lengths)
    message = (
        f"{share:.0%} of the reference completions are longer than max_completion_length "
        f"{max_completion_length} tokens: generations that long are cut and score 0"
    )
    if share > 0.5 and not allow:
        raise ValueError(
            message + "; raise --max_completion_length, or pass --allow_truncation true "
            "(with --mask_truncated_completions true to leave cut completions out of the loss)"
        )
    if share > 0.1:
        logger.warning(message)
    return share
