"""Schema of the published SFT rows: one pyarrow schema, from which the Hub ``Features`` follow."""

from __future__ import annotations

import pyarrow as pa

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])

# TRL reads the columns by name: ``prompt`` + ``completion`` (conversational lists) are its
# prompt-completion format, which SFTTrainer trains with the loss on the completion only and
# GRPOTrainer samples from (``prompt``); ``messages`` is the whole conversation for other tools;
# ``solution`` is the reference answer, the column TRL's and r1data's accuracy rewards read. No other
# column uses a name TRL gives a meaning to (the prompt's text is ``problem``).
SFT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("prompt", pa.list_(MESSAGE)),
        ("completion", pa.list_(MESSAGE)),
        ("messages", pa.list_(MESSAGE)),
        ("problem", pa.string()),
        ("solution", pa.string()),
        ("reasoning", pa.string()),
        ("summary", pa.string()),
        ("prompt_id", pa.string()),
        ("source", pa.string()),
        ("domain", pa.string()),
        ("teacher", pa.string()),
        ("finish_reason", pa.string()),
        ("verdict_label", pa.string()),
        ("verdict_reason", pa.string()),
        ("verifier", pa.string()),
        ("sample_index", pa.int32()),
        ("n_samples", pa.int32()),
        ("n_correct", pa.int32()),
        ("pass_rate", pa.float32()),
        ("completion_tokens", pa.int64()),
    ]
)

FIELD_DESCRIPTIONS = {
    "id": "row id: `<prompt_id>/<sample_index>`",
    "prompt": "the conversation up to the answer (TRL prompt-completion format; GRPO samples from it)",
    "completion": "the assistant turn: `<think>\\n{reasoning}\\n</think>\\n\\n{summary}` (or the summary alone)",
    "messages": "`prompt` + `completion` as one conversation",
    "problem": "the prompt's text",
    "solution": "the reference answer the completion was verified against (accuracy rewards read it)",
    "reasoning": "the chain of thought",
    "summary": "the answer shown to the reader",
    "prompt_id": "id of the prompt record",
    "source": "where the prompt came from",
    "domain": "math, code, science, logic, general, writing, qa, translation or self_cognition",
    "teacher": "the model that wrote the completion",
    "finish_reason": "why generation stopped (`stop`, `length`, …)",
    "verdict_label": "`pass` (a kept completion was verified) or what decided it",
    "verdict_reason": "why the verifier decided so",
    "verifier": "`<verifier>@<version>`",
    "sample_index": "the completion's position among the prompt's samples",
    "n_samples": "samples verified for the prompt",
    "n_correct": "of them, correct",
    "pass_rate": "n_correct / n_samples",
    "completion_tokens": "length of the completion in tokens, when known",
}


def sft_features():
    """The ``datasets.Features`` equivalent of :data:`SFT_SCHEMA` (imported lazily)."""
    from datasets import Features

    return Features.from_arrow_schema(SFT_SCHEMA)
