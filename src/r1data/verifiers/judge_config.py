"""Where and how to ask an LLM judge: a typed config, importable without the judge's dependencies.
The ``judge:`` mapping of a recipe's ``verify`` step, the ``judge_quality`` step's judge fields and the
``--judge-*`` flags of ``r1data verify`` are its fields."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from r1data.core.configs import Config, option


class JudgeConfig(Config):
    """Where and how to ask the judge."""

    endpoint: str | None = option(
        None,
        "OpenAI-compatible base URL (…/v1) of an LLM judge for what rules cannot decide",
        flag="--judge-endpoint",
    )
    model: str | None = option(None, "model name to ask at the judge endpoint", flag="--judge-model")
    api_key_env: str = option(
        "R1DATA_JUDGE_API_KEY", "environment variable holding the judge's API key", flag="--judge-api-key-env"
    )
    timeout_s: float = option(
        60.0,
        "seconds per judge request; a completion waits at most timeout × (retries + 1) plus back-off",
        flag="--judge-timeout",
        gt=0,
    )
    retries: int = option(
        3, "retries per judge request on timeouts, resets, 429 and 5xx", flag="--judge-retries", ge=0
    )
    backoff_s: float = option(1.0, "first retry back-off in seconds", flag="--judge-backoff", ge=0)
    concurrency: int = option(8, "judge requests in flight", flag="--judge-concurrency", ge=1)
    max_tokens: int = option(256, "longest judge reply, in tokens", flag="--judge-max-tokens", ge=1)
    on: tuple[Literal["unknown", "fail", "pass"], ...] = option(
        ("unknown",), "rule labels the judge re-decides (CLI: --judge-on-fail adds fail)", flag=None
    )

    @field_validator("endpoint")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"judge endpoint must be an http(s) URL, got {value!r}")
        return value

    @model_validator(mode="after")
    def _where(self) -> JudgeConfig:
        if not self.endpoint or not self.model:
            raise ValueError(
                "a judge needs an endpoint and a model (--judge-endpoint and --judge-model go together)"
            )
        return self

    def client_config(self):
        """The chat client's settings for this judge."""
        from r1data.llm.client import EndpointConfig

        return EndpointConfig(
            [self.endpoint],
            self.model,
            api_key_env=self.api_key_env,
            timeout_s=self.timeout_s,
            retries=self.retries,
            backoff_s=self.backoff_s,
        )
