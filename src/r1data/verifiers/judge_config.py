"""Where and how to ask an LLM judge: a plain dataclass, importable without the judge's dependencies.
The ``judge:`` mapping of a recipe's ``verify`` step and the ``--judge-*`` flags of ``r1data verify``
are its fields."""

from __future__ import annotations

from dataclasses import dataclass, field


def _f(default, help: str, flag: str | None = ""):
    return field(default=default, metadata={"help": help, "flag": flag})


@dataclass
class JudgeConfig:
    """Where and how to ask the judge."""

    endpoint: str = _f(
        None,
        "OpenAI-compatible base URL (…/v1) of an LLM judge for what rules cannot decide",
        "--judge-endpoint",
    )
    model: str = _f(None, "model name to ask at the judge endpoint", "--judge-model")
    api_key_env: str = _f(
        "R1DATA_JUDGE_API_KEY", "environment variable holding the judge's API key", "--judge-api-key-env"
    )
    timeout_s: float = _f(
        60.0,
        "seconds per judge request; a completion waits at most timeout × (retries + 1) plus back-off",
        "--judge-timeout",
    )
    retries: int = _f(3, "retries per judge request on timeouts, resets, 429 and 5xx", "--judge-retries")
    backoff_s: float = _f(1.0, "first retry back-off in seconds", "--judge-backoff")
    concurrency: int = _f(8, "judge requests in flight", "--judge-concurrency")
    max_tokens: int = _f(256, "longest judge reply, in tokens", "--judge-max-tokens")
    on: tuple[str, ...] = _f(
        ("unknown",), "rule labels the judge re-decides (CLI: --judge-on-fail adds fail)", None
    )

    def __post_init__(self):
        if not self.endpoint or not self.model:
            raise ValueError(
                "a judge needs an endpoint and a model (--judge-endpoint and --judge-model go together)"
            )
        if not self.endpoint.startswith(("http://", "https://")):
            raise ValueError(f"judge endpoint must be an http(s) URL, got {self.endpoint!r}")
        self.on = tuple(self.on)
        if not set(self.on) <= {"unknown", "fail", "pass"}:
            raise ValueError(f"judge 'on' labels must be among unknown/fail/pass, got {self.on}")

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
