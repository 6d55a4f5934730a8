"""Chat templates fit to train R1 rows: the assistant turn keeps its ``<think>`` block, is marked for
the loss (``{% generation %}``), and ends with the token generation stops at."""

from __future__ import annotations

import re

from loguru import logger

from r1data.core.paths import load_template

_REASONING, _SUMMARY = "r1data-probe-reasoning", "r1data-probe-summary"
_PROBE = [
    {"role": "user", "content": "r1data-probe-question"},
    {"role": "assistant", "content": f"<think>\n{_REASONING}\n</think>\n\n{_SUMMARY}"},
]
_GENERATION = re.compile(r"\{%-?\s*generation\s*-?%\}")
CHATML_TOKENS = ["<|im_start|>", "<|im_end|>"]


def template_problems(tokenizer) -> list[str]:
    """Why a tokenizer's chat template cannot train R1 rows (empty: it can)."""
    if not tokenizer.chat_template:
        return ["the tokenizer has no chat template"]
    try:
        text = tokenizer.apply_chat_template(_PROBE, tokenize=False)
    except Exception as exc:  # a template that raises on a plain conversation
        return [f"the chat template fails on a plain conversation ({type(exc).__name__}: {exc})"]
    problems = []
    if _REASONING not in text:
        problems.append(
            "it strips the reasoning (<think>…</think>) from assistant turns (as DeepSeek-R1-Distill's "
            "template does): the student would never see a chain of thought"
        )
    if not _GENERATION.search(tokenizer.chat_template):
        problems.append(
            "it has no {% generation %} markers, so the loss cannot be put on the assistant tokens only"
        )
    return problems


def end_of_turn(tokenizer) -> str | None:
    """The token the template closes an assistant turn with (what generation must stop at)."""
    text = tokenizer.apply_chat_template(_PROBE, tokenize=False)
    after = text.split(_SUMMARY, 1)[1] if _SUMMARY in text else ""
    special = sorted(tokenizer.all_special_tokens, key=len, reverse=True)
    stripped = after.lstrip(" ")
    return next((t for t in special if stripped.startswith(t)), None)


def prepare_chat_template(tokenizer, mode: str = "auto") -> tuple[int, list[str]]:
    """Make ``tokenizer`` fit to train R1 rows. ``mode``: ``auto`` (replace an unfit template with
    r1data's ChatML training template), ``keep`` (refuse an unfit one), or a template file. Sets the
    EOS token to the template's end-of-turn token when they differ. Returns the number of tokens
    added (the model's embeddings must grow by as many) and what was changed, for the model card."""
    notes, added = [], 0
    if mode not in ("auto", "keep"):
        with open(mode, encoding="utf-8") as f:
            tokenizer.chat_template = f.read()
        notes.append(f"chat template from {mode}")
    problems = template_problems(tokenizer)
    if problems and mode != "auto":
        raise ValueError("the chat template cannot train R1 rows: " + "; ".join(problems))
    if problems:
        missing = [t for t in CHATML_TOKENS if t not in tokenizer.get_vocab()]
        if missing:
            added = tokenizer.add_special_tokens({"additional_special_tokens": missing})
        tokenizer.chat_template = load_template("chatml_think.jinja", "r1data.trainers")
        notes.append(
            "replaced the model's chat template with r1data's ChatML training template: "
            + "; ".join(problems)
        )
        logger.warning(notes[-1])
    eot = end_of_turn(tokenizer)
    if eot is None:
        raise ValueError(
            "the chat template ends assistant turns with no special token: a model trained on it never "
            "learns to stop (set --chat_template to a template whose assistant turn ends with EOS)"
        )
    if tokenizer.eos_token != eot:
        notes.append(
            f"EOS set to {eot!r}, the token the template ends assistant turns with (was {tokenizer.eos_token!r})"
        )
        logger.warning(notes[-1])
        tokenizer.eos_token = eot
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return added, notes


def generation_opens_think(tokenizer) -> bool:
    """Whether the template's generation prompt already opens the ``<think>`` block (then the
    completion must not open it again: the format reward is told so)."""
    text = tokenizer.apply_chat_template(_PROBE[:1], tokenize=False, add_generation_prompt=True)
    return text.rstrip().endswith("<think>")
