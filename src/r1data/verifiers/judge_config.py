"""Where and how to ask an LLM judge: a plain dataclass, importable without the judge's dependencies
(the CLI reads its defaults to build its flags)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class JudgeConfig:
    """Where and how to ask the judge."""

    endpoint: str  # base URL, e.g. http://127.0.0.1:8000/v1
    model: str
    api_key_env: str = "R1DATA_JUDGE_API_KEY"
    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 1.0
    concurrency: int = 8
    max_tokens: int = 256
    on: tuple[str, ...] = ("unknown",)

    def __post_init__(self):
        if not self.endpoint.startswith(("http://", "https://")):
            raise ValueError(f"judge endpoint must be an http(s) URL, got {self.endpoint!r}")
        if not set(self.on) <= {"unknown", "fail", "pass"}:
            raise ValueError(f"judge 'on' labels must be among unknown/fail/pass, got {self.on}")
