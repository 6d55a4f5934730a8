"""Typed records that flow through the pipeline, validated where data enters (readers).

Inside a stage a record is a datatrove ``Document``: ``text`` holds the prompt, ``id`` the record id,
and ``metadata`` the rest of the record as plain JSON-able dicts (cheap to pickle between processes).
These pydantic models are the contract for what may enter; unknown extra fields are kept.

>>> rec = PromptRecord.model_validate({"id": "p1", "prompt": "1+1?", "reference": {"answer": 2}})
>>> rec.reference.answer, rec.domain
('2', 'math')
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

Domain = Literal[
    "math", "code", "science", "logic", "general", "writing", "qa", "translation", "self_cognition"
]
Label = Literal["pass", "fail", "unknown"]


class _Open(BaseModel):
    """Base for records: unknown fields are preserved, types of known fields are enforced."""

    model_config = ConfigDict(extra="allow", strict=False, validate_assignment=False)


class Verdict(_Open):
    label: Label
    reason: str
    verifier: str
    version: str | None = None
    ms: float | None = None


class TokenCounts(_Open):
    prompt: int | None = None
    completion: int | None = None


class Completion(_Open):
    text: str = Field(description="Raw completion text as the model produced it.")
    finish_reason: str | None = Field(None, description="'stop', 'length', ... when known.")
    model: str | None = Field(None, description="Teacher model that produced the completion.")
    reasoning: str | None = Field(None, description="Chain of thought, split from text by parse_traces.")
    summary: str | None = Field(None, description="Answer for the reader, after the chain of thought.")
    tokens: TokenCounts | None = None
    verdict: Verdict | None = None
    correct: bool | None = None


class Reference(_Open):
    answer: str | None = Field(None, description="Reference final answer (math, qa).")
    tests: dict[str, Any] | None = Field(None, description="Test cases (code).")

    @field_validator("answer", mode="before")
    @classmethod
    def _number_to_str(cls, value: Any) -> Any:
        # Benchmarks ship answers as ints and floats ("27.0"); the verifier compares strings.
        if isinstance(value, bool):
            raise ValueError("answer must be a string or a number, not a boolean")
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        if isinstance(value, int):
            return str(value)
        return value


class Message(_Open):
    role: Literal["system", "user", "assistant", "tool"]
    content: str


class PromptRecord(_Open):
    id: str = Field(min_length=1)
    domain: Domain = "math"
    prompt: str | None = None
    messages: list[Message] | None = None
    reference: Reference | None = None
    source: str | None = None
    language: str | None = None
    completions: list[Completion] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _sft_row(cls, value: Any) -> Any:
        """An SFT row is a record with its completion: TRL's prompt-completion rows (r1data's own output
        among them: ``prompt`` and ``completion`` as conversations) and conversations whose last turn is
        the assistant's (``messages``). The prompt is the conversation before that turn, the turn is the
        record's one completion (its model: the row's ``teacher``), and ``solution`` is its reference
        answer — so an output folder or any SFT set is read back without a mapping."""
        if not isinstance(value, dict):
            return value
        value = dict(value)
        if isinstance(value.get("prompt"), list):
            conversation = value.pop("prompt")
            answer = value.get("completion")
            if not value.get("completions") and _assistant_turn(answer):
                value["messages"] = conversation
                value["completions"] = [_completion_of(answer[-1], value)]
            elif not value.get("messages"):
                value["messages"] = [*conversation, *(answer if isinstance(answer, list) else [])]
        elif not value.get("completions") and not _has_text(
            value.get("prompt") if isinstance(value.get("prompt"), str) else None
        ):
            messages = value.get("messages")
            if isinstance(messages, list) and len(messages) > 1 and _assistant_turn(messages):
                value["messages"] = messages[:-1]
                value["completions"] = [_completion_of(messages[-1], value)]
        if (
            value.get("completions")
            and not value.get("reference")
            and value.get("solution") not in (None, "")
        ):
            value["reference"] = {"answer": value["solution"]}
        return value

    @field_validator("id", mode="before")
    @classmethod
    def _int_id(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @model_validator(mode="after")
    def _has_prompt(self) -> PromptRecord:
        if not _has_text(self.prompt) and not any(_has_text(m.content) for m in self.messages or ()):
            raise ValueError("a record needs a non-empty 'prompt' or 'messages'")
        return self


def _assistant_turn(conversation: Any) -> bool:
    return (
        isinstance(conversation, list)
        and bool(conversation)
        and isinstance(conversation[-1], dict)
        and conversation[-1].get("role") == "assistant"
        and isinstance(conversation[-1].get("content"), str)
    )


def _completion_of(turn: dict, row: dict) -> dict:
    completion = {"text": turn["content"], "rollout": "sft"}
    if isinstance(row.get("teacher"), str):
        completion["model"] = row["teacher"]
    return completion


def _has_text(value: str | None) -> bool:
    return bool(value and not value.isspace())


def prompt_text(record: dict[str, Any]) -> str:
    """The user-visible prompt of a record dict: ``prompt``, else the last user message, else the last
    message ("" when there is none). The one definition used by readers, verifiers, filters and formats.

    >>> prompt_text({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]})
    'hi'
    """
    if _has_text(record.get("prompt")):
        return record["prompt"]
    messages = record.get("messages") or []
    users = [m.get("content", "") for m in messages if m.get("role") == "user"]
    if users:
        return users[-1]
    return messages[-1].get("content", "") if messages else ""
