"""A small client for OpenAI-compatible chat-completions endpoints (vLLM serve, SGLang, hosted APIs),
shared by generation and the LLM judge.

Why not datatrove's ``InferenceRunner``: its endpoint mode (datatrove 0.10.1) retries with a hard-coded
5·2^attempt s back-off over 6 attempts and treats any other error as fatal for the document, which
neither matches a per-request timeout/back-off policy nor lets a fault-injection test finish quickly;
it also needs httpx/aiofiles/aiosqlite. Requests here are blocking ``urllib`` calls run by a thread
pool (generation is I/O bound), with:

* retries with exponential back-off (and jitter) on 408/409/429/5xx, timeouts, connection resets and
  malformed responses; other 4xx fail at once;
* a per-request timeout; the API key read from an environment variable at request time, sent only in
  the ``Authorization`` header, never logged or returned;
* several endpoints behind one client, ``round_robin`` or ``least_busy``.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

MAX_RESPONSE_BYTES = 64 * 2**20


class GenerationError(RuntimeError):
    """A request that failed for good; ``reason`` is short and countable (``http_500``, ``timeout`` …)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class EndpointConfig:
    urls: list[str]
    model: str
    api_key_env: str | None = "R1DATA_API_KEY"
    timeout_s: float = 600.0
    retries: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    routing: str = "round_robin"
    extra_headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.urls, str):
            self.urls = [self.urls]
        if not self.urls or not all(u.startswith(("http://", "https://")) for u in self.urls):
            raise ValueError(f"endpoints must be http(s) URLs, got {self.urls!r}")
        if self.routing not in ("round_robin", "least_busy"):
            raise ValueError("routing must be round_robin or least_busy")


_RETRYABLE_HTTP = {408, 409, 429}


class MalformedReply(ValueError):
    """A 200 answer that is not a completion (its content is neither text nor text parts …)."""


def _text(content: Any, what: str) -> str:
    """A message field as text: a string, or OpenAI's list of content parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(p, dict) for p in content):
        texts = [p.get("text") for p in content if p.get("type", "text") == "text"]
        if all(isinstance(t, str) for t in texts):
            return "".join(texts)
    raise MalformedReply(f"{what} is {type(content).__name__}, not text")


def read_reply(payload: dict[str, Any]) -> dict[str, Any]:
    """One chat-completions answer as a completion: ``text``, ``finish_reason``, ``tokens``.

    A reasoning model served with a reasoning parser (vLLM's ``--reasoning-parser deepseek_r1``, SGLang,
    hosted R1 APIs) returns its chain of thought apart, in ``reasoning_content`` (or ``reasoning``), and
    only the answer in ``content``: the text is put back together in R1's form,
    ``<think>\\nREASONING\\n</think>\\n\\nANSWER`` (the block left open when the answer is missing and the
    reply was cut). ``content`` may be a string or a list of text parts (joined); a reply with neither
    content nor reasoning, or with content of another type, is malformed. A missing ``finish_reason`` is
    recorded as ``unknown`` (never ``stop``: that would hide a cut reply).

    >>> read_reply({"choices": [{"message": {"reasoning_content": "2+2=4", "content": "4"},
    ...             "finish_reason": "stop"}]})["text"]
    '<think>\\n2+2=4\\n</think>\\n\\n4'
    """
    choice = payload["choices"][0]
    message = choice["message"]
    if not isinstance(message, dict):
        raise MalformedReply("message is not an object")
    reasoning = message.get("reasoning_content")
    if reasoning is None:
        reasoning = message.get("reasoning")
    content = message.get("content")
    if content is None and reasoning is None:
        raise MalformedReply("the reply has no content")
    finish = choice.get("finish_reason")
    finish = finish if isinstance(finish, str) and finish else "unknown"
    text = _text(content, "content") if content is not None else ""
    if reasoning is not None:
        reasoning = _text(reasoning, "reasoning_content").strip("\n")
        cut_in_reasoning = not text and finish == "length"
        text = f"<think>\n{reasoning}" + ("" if cut_in_reasoning else f"\n</think>\n\n{text.lstrip()}")
    usage = payload.get("usage") or {}
    reply = {
        "text": text,
        "finish_reason": finish,
        "tokens": {"prompt": usage.get("prompt_tokens"), "completion": usage.get("completion_tokens")},
    }
    if reasoning is not None:
        reply["reasoning_parsed"] = True  # the text already opens its reasoning block
    return reply


class ChatClient:
    """``complete(messages, params) -> {"text", "finish_reason", "tokens": {"prompt", "completion"}}``."""

    def __init__(self, config: EndpointConfig):
        self.config = config
        self._cycle = itertools.cycle(range(len(config.urls)))
        self._busy = [0] * len(config.urls)
        self._lock = threading.Lock()
        self.attempts_by_reason: dict[str, int] = {}

    @property
    def model(self) -> str:
        return self.config.model

    def _pick(self) -> int:
        with self._lock:
            if self.config.routing == "least_busy":
                index = min(range(len(self._busy)), key=self._busy.__getitem__)
            else:
                index = next(self._cycle)
            self._busy[index] += 1
            return index

    def _release(self, index: int) -> None:
        with self._lock:
            self._busy[index] -= 1

    def _count(self, reason: str) -> None:
        with self._lock:
            self.attempts_by_reason[reason] = self.attempts_by_reason.get(reason, 0) + 1

    def _post(self, url: str, body: bytes) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", **self.config.extra_headers}
        key = os.environ.get(self.config.api_key_env) if self.config.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        request = urllib.request.Request(
            url.rstrip("/") + "/chat/completions", data=body, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.config.timeout_s) as response:
            return json.loads(response.read(MAX_RESPONSE_BYTES))

    def complete(
        self, messages: list[dict[str, str]], params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body = json.dumps({"model": self.config.model, "messages": messages, **(params or {})}).encode()
        reason = "no_attempt"
        for attempt in range(self.config.retries + 1):
            if attempt:
                delay = min(self.config.max_backoff_s, self.config.backoff_s * 2 ** (attempt - 1))
                time.sleep(delay * (0.5 + random.random() / 2))
            index = self._pick()
            try:
                return read_reply(self._post(self.config.urls[index], body))
            except urllib.error.HTTPError as exc:
                reason = f"http_{exc.code}"
                self._count(reason)
                if exc.code not in _RETRYABLE_HTTP and exc.code < 500:
                    break
            except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as exc:
                inner = getattr(exc, "reason", exc)
                reason = (
                    "timeout"
                    if isinstance(inner, TimeoutError) or "timed out" in str(inner)
                    else "connection_error"
                )
                self._count(reason)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError, MalformedReply):
                reason = "malformed_response"
                self._count(reason)
            finally:
                self._release(index)
        raise GenerationError(reason)
