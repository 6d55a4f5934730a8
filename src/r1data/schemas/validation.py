"""Turn an input object into a validated record dict, or a quarantine reason.

Reasons are a small fixed vocabulary so they can be counted; the detail goes to the quarantine file.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from r1data.core import reasons
from r1data.schemas.records import PromptRecord

QUARANTINE_REASONS = tuple(reasons.QUARANTINE)


class RecordError(ValueError):
    """A record that cannot enter the pipeline; ``reason`` is one of ``QUARANTINE_REASONS``."""

    def __init__(self, reason: str, detail: str):
        assert reason in QUARANTINE_REASONS, reason
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _reason_of(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing_field"
    if kind.endswith("_type") or kind in {"model_type", "list_type", "dict_type", "string_type"}:
        return "wrong_type"
    return "invalid_value"


def validate_record(obj: Any) -> dict[str, Any]:
    """Validate one prompt record and return it as a plain dict (unset optional fields omitted).

    >>> validate_record({"id": 3, "prompt": "x"})["id"]
    '3'
    >>> validate_record({"id": "a"})
    Traceback (most recent call last):
    ...
    r1data.schemas.validation.RecordError: invalid_value: : Value error, a record needs a non-empty 'prompt' or 'messages'
    """
    if not isinstance(obj, dict):
        raise RecordError("not_an_object", f"expected a JSON object, got {type(obj).__name__}")
    try:
        record = PromptRecord.model_validate(obj)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RecordError(_reason_of(first), f"{where}: {first['msg']}") from None
    return record.model_dump(exclude_unset=True)
