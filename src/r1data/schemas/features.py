"""Schema of the published SFT rows: one pyarrow schema, from which the Hub ``Features`` follow."""

from __future__ import annotations

import pyarrow as pa

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])

SFT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("prompt_id", pa.string()),
        ("source", pa.string()),
        ("domain", pa.string()),
        ("messages", pa.list_(MESSAGE)),
        ("prompt", pa.string()),
        ("reasoning", pa.string()),
        ("summary", pa.string()),
        ("reference_answer", pa.string()),
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


def sft_features():
    """The ``datasets.Features`` equivalent of :data:`SFT_SCHEMA` (imported lazily)."""
    from datasets import Features

    return Features.from_arrow_schema(SFT_SCHEMA)
