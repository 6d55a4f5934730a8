"""N samples per prompt from an OpenAI-compatible endpoint, resumable and accounted.

* Every sample is its own request (``sample_index`` 0…N-1), so that each one is cached on its own: a run
  killed at any moment and started again sends only the requests that had not finished.
* The request cache is a SQLite file keyed by the hash of (model, messages, sampling parameters,
  sample index); a finished request is written once, in a transaction.
* A prompt whose samples all came back is written with ``completions`` (in sample order); a prompt
  with a sample that failed for good (after the client's retries) goes to the failures list with the
  reasons, and its finished samples stay cached for the next run. Each prompt is written exactly once
  per run: no duplicates.
* R1 conventions (``r1_conventions``): no system prompt, the math instruction appended to math prompts.
"""

from __future__ import annotations

import collections
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from r1data.generators.client import ChatClient, GenerationError

MATH_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."


class RequestCache:
    """(model, messages, params, sample index) → response, in SQLite (WAL; safe across threads)."""

    def __init__(self, path: str | None):
        self.path = path
        self._lock = threading.Lock()
        self._db = None
        if path:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )

    @staticmethod
    def key(model: str, messages: list, params: dict, sample_index: int) -> str:
        blob = json.dumps([model, messages, params, sample_index], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> dict | None:
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?)", (key, json.dumps(value)))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


@dataclass
class GenerationStats:
    prompts_in: int = 0
    prompts_done: int = 0
    prompts_failed: int = 0
    requests_sent: int = 0
    requests_cached: int = 0
    tokens_prompt: int = 0
    tokens_completion: int = 0
    failures_by_reason: collections.Counter = field(default_factory=collections.Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "failures_by_reason"}
        out["failures_by_reason"] = dict(self.failures_by_reason)
        out["completion_tokens_per_s"] = (
            round(self.tokens_completion / self.seconds, 1) if self.seconds else None
        )
        return out


def build_messages(record: dict[str, Any], r1_conventions: bool = True) -> list[dict[str, str]]:
    if record.get("messages"):
        messages = [dict(m) for m in record["messages"]]
    else:
        messages = [{"role": "user", "content": record["prompt"]}]
    if r1_conventions:
        messages = [m for m in messages if m["role"] != "system"]  # R1: no system prompt
        if record.get("domain", "math") == "math" and "\\boxed" not in messages[-1]["content"]:
            messages[-1] = {
                **messages[-1],
                "content": messages[-1]["content"].rstrip() + "\n" + MATH_INSTRUCTION,
            }
    return messages


def generate_records(
    records: Iterable[dict[str, Any]],
    client: ChatClient,
    n: int,
    params: dict[str, Any],
    cache: RequestCache,
    concurrency: int = 16,
    r1_conventions: bool = True,
    stats: GenerationStats | None = None,
) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Yield ``(record, failure_reasons)`` in input order; ``failure_reasons`` is empty when every
    sample of the prompt came back (then the record has ``completions``)."""
    stats = stats or GenerationStats()
    model = client.config.model
    start = time.monotonic()
    lock = threading.Lock()

    def one(messages: list, index: int) -> dict[str, Any]:
        key = RequestCache.key(model, messages, params, index)
        cached = cache.get(key)
        if cached is not None:
            with lock:
                stats.requests_cached += 1
            return cached
        sample_params = dict(params)
        if "seed" in params:
            sample_params["seed"] = params["seed"] + index  # distinct, reproducible samples
        result = client.complete(messages, sample_params)
        with lock:
            stats.requests_sent += 1
        cache.put(key, result)
        return result

    held: collections.deque[tuple[dict, list[Future]]] = collections.deque()
    window = max(1, 2 * concurrency // max(1, n) + 1)
    with ThreadPoolExecutor(concurrency) as pool:

        def finish(record: dict, futures: list[Future]):
            completions, reasons = [], []
            for index, future in enumerate(futures):
                try:
                    result = future.result()
                except GenerationError as exc:
                    reasons.append(exc.reason)
                    stats.failures_by_reason[exc.reason] += 1
                    continue
                tokens = result.get("tokens") or {}
                stats.tokens_prompt += tokens.get("prompt") or 0
                stats.tokens_completion += tokens.get("completion") or 0
                completions.append(
                    {
                        "text": result["text"],
                        "finish_reason": result["finish_reason"],
                        "tokens": tokens,
                        "model": model,
                        "sample_index": index,
                    }
                )
            if reasons:
                stats.prompts_failed += 1
            else:
                stats.prompts_done += 1
                record["completions"] = [*record.get("completions", []), *completions]
            stats.seconds = time.monotonic() - start
            return record, reasons

        for record in records:
            stats.prompts_in += 1
            messages = build_messages(record, r1_conventions)
            held.append((record, [pool.submit(one, messages, i) for i in range(n)]))
            while len(held) > window:
                yield finish(*held.popleft())
        while held:
            yield finish(*held.popleft())
