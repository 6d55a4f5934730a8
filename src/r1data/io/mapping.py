"""Column mapping: load foreign layouts (benchmarks, other projects' outputs) without code.

A mapping sends *target* paths of our record to *specs* read from the source row::

    mapping:
      id: idx                                   # a column (dotted paths reach nested fields)
      prompt: question
      reference.answer: {column: answer, regex: '####\\s*(.+?)\\s*$'}   # first group of a regex
      completions: {column: code, each: text}   # list of strings -> [{"text": s}, ...]
      completions[].model: {const: Qwen2.5-Math-7B-Instruct}           # set in every element
      source: {const: gsm8k}

A spec is a column path, or a dict with exactly one of ``column``/``const`` plus optional ``regex``,
``each`` and ``default``. Anything that cannot be mapped raises :class:`MappingError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


class _Missing:
    """Sentinel for "no value". A class, not ``object()``: executors deep-copy and pickle steps, and a
    copied ``object()`` sentinel is no longer identical to the module's (every spec would look set)."""

    def __repr__(self) -> str:
        return "<missing>"

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return "_MISSING"


_MISSING = _Missing()


class MappingError(ValueError):
    pass


@dataclass(frozen=True)
class _Spec:
    column: str | None
    const: Any
    regex: re.Pattern | None
    each: str | None
    default: Any

    @classmethod
    def parse(cls, target: str, spec: Any) -> _Spec:
        if isinstance(spec, str):
            return cls(spec, _MISSING, None, None, _MISSING)
        if not isinstance(spec, dict):
            raise MappingError(f"mapping for {target!r} must be a column name or a dict, got {spec!r}")
        unknown = set(spec) - {"column", "const", "regex", "each", "default"}
        if unknown:
            raise MappingError(f"mapping for {target!r} has unknown keys {sorted(unknown)}")
        if ("column" in spec) == ("const" in spec):
            raise MappingError(f"mapping for {target!r} needs exactly one of 'column' or 'const'")
        regex = re.compile(spec["regex"], re.S) if "regex" in spec else None
        if regex is not None and regex.groups < 1:
            raise MappingError(f"regex for {target!r} needs a capture group")
        return cls(
            spec.get("column"),
            spec.get("const", _MISSING),
            regex,
            spec.get("each"),
            spec.get("default", _MISSING),
        )


def _get(row: dict, path: str) -> Any:
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _set(record: dict, path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = record.get(head[:-2])
        if not isinstance(items, list):
            raise MappingError(f"{head[:-2]!r} must be mapped to a list before {path!r}")
        for item in items:
            if not isinstance(item, dict):
                raise MappingError(f"elements of {head[:-2]!r} are not objects")
            _set(item, rest, value)
        return
    if not rest:
        record[head] = value
        return
    _set(record.setdefault(head, {}), rest, value)


class ColumnMapping:
    """Apply a mapping to one source row. Targets are applied in order (lists before their ``[]``)."""

    def __init__(self, mapping: dict[str, Any], keep_unmapped: bool = False):
        self.specs = [(target, _Spec.parse(target, spec)) for target, spec in mapping.items()]
        self.keep_unmapped = keep_unmapped

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = dict(row) if self.keep_unmapped else {}
        for target, spec in self.specs:
            if spec.const is not _MISSING:
                value = spec.const
            else:
                value = _get(row, spec.column)
                if value is _MISSING or value is None:
                    if spec.default is _MISSING:
                        raise MappingError(f"column {spec.column!r} (for {target!r}) is missing")
                    value = spec.default
            if spec.regex is not None and value is not None:
                match = spec.regex.search(str(value))
                if not match:
                    raise MappingError(f"regex for {target!r} does not match column {spec.column!r}")
                value = match.group(1)
            if spec.each is not None:
                if not isinstance(value, list):
                    raise MappingError(f"column {spec.column!r} (for {target!r}) is not a list")
                value = [{spec.each: v} for v in value]
            _set(record, target, value)
        return record
