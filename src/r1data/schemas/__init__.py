from r1data.schemas.features import SFT_SCHEMA, sft_features
from r1data.schemas.records import (
    SCHEMA_VERSION,
    Completion,
    Message,
    PromptRecord,
    Reference,
    TokenCounts,
    Verdict,
    prompt_text,
)
from r1data.schemas.validation import QUARANTINE_REASONS, RecordError, validate_record

__all__ = [
    "QUARANTINE_REASONS",
    "SCHEMA_VERSION",
    "SFT_SCHEMA",
    "Completion",
    "Message",
    "PromptRecord",
    "RecordError",
    "Reference",
    "TokenCounts",
    "Verdict",
    "prompt_text",
    "sft_features",
    "validate_record",
]
