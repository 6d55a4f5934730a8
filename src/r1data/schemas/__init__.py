from r1data.schemas.features import SFT_SCHEMA, sft_features
from r1data.schemas.records import (
    SCHEMA_VERSION,
    Completion,
    Message,
    PromptRecord,
    Reference,
    TokenCounts,
    Verdict,
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
    "sft_features",
    "validate_record",
]
