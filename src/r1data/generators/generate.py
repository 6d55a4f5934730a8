"""N samples per prompt from an OpenAI-compatible endpoint, resumable and accounted.

* Every sample is its own request (``sample_index`` 0…N-1), so that each one is cached on its own: a run
  killed at any moment and started again sends only the requests that had not finished.
* The request cache is a SQLite file keyed by the hash of (model, messages, sampling parameters,
  sample index); a finished request is written once, in a transaction.
* A prompt whose samples all came back is written with ``completions`` (in sample order); a prompt
  with a sample that failed for good (after the client's retries) goes to the failures list with the
  reasons, and its finished samples stay cached for the next run. Each prompt is written exactly once
  per run: no duplicates.
* What is asked and where the answers go is the rollout's business (:mod:`.rollouts`): plain N
  samples with R1 conventions, few-shot long CoT, reflect-and-verify, reformat, refine, router.
* Two backends behind one loop: OpenAI-compatible endpoints (:class:`.client.ChatClient`) and the vLLM
  offline engine (:class:`.engine.VLLMEngine`).
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

from r1data.generators.rollouts import Request, Rollout
from r1data.llm.client import ChatClient, GenerationError
from r1data.llm.ladder import Ladder, Step


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
    completions_added: int = 0
    requests_sent: int = 0
    requests_cached: int = 0
    tokens_prompt: int = 0
    tokens_completion: int = 0
    tokens_completion_sent: int = 0  # of requests answered in this run (not from the cache): the rate's
    failures_by_reason: collections.Counter = field(default_factory=collections.Counter)
    seconds: float = 0.0
    # the budget ladder: samples cut at each budget, samples a step up rescued (by mode), the
    # completion tokens spent on steps up, samples whose reasoning was closed
    truncated_by_budget: collections.Counter = field(default_factory=collections.Counter)
    rescued_by_mode: collections.Counter = field(default_factory=collections.Counter)
    tokens_rescue: int = 0
    forced_close: int = 0
    samples: int = 0

    def count(self, completion: dict[str, Any]) -> None:
        """Add a finished sample's ladder to the accounting."""
        self.samples += 1
        steps = completion.get("ladder") or []
        for entry in steps or [{"budget": None, "finish_reason": completion.get("finish_reason")}]:
            if entry["finish_reason"] == "length" and entry["budget"] is not None:
                self.truncated_by_budget[entry["budget"]] += 1
        if len(steps) > 1:
            self.tokens_rescue += sum(e["completion_tokens"] or 0 for e in steps[1:])
            if completion.get("finish_reason") != "length":
                self.rescued_by_mode[steps[-1]["mode"]] += 1
        self.forced_close += bool(completion.get("forced_close"))

    def as_dict(self) -> dict[str, Any]:
        counters = ("failures_by_reason", "truncated_by_budget", "rescued_by_mode")
        out = {k: v for k, v in self.__dict__.items() if k not in counters}
        for name in counters:
            out[name] = dict(getattr(self, name))
        out["completion_tokens_per_s"] = completion_rate(self.tokens_completion_sent, self.seconds)
        return out


def completion_rate(tokens_sent: float, seconds: float) -> float:
    """Completion tokens per second generated in this run (cached answers cost no time and do not
    count): always a number, 0.0 when nothing was sent."""
    return round(tokens_sent / seconds, 1) if tokens_sent and seconds > 0 else 0.0


def _completion(result: dict[str, Any], sample_index: int, model: str) -> dict[str, Any]:
    out = {
        "text": result["text"],
        "finish_reason": result["finish_reason"],
        "tokens": result.get("tokens") or {},
        "model": model,
        "sample_index": sample_index,
    }
    for key in ("ladder", "forced_close"):  # how a cut sample went up the budget ladder
        if key in result:
            out[key] = result[key]
    return out


def _endpoint_call(client: ChatClient, request: Request, params: dict[str, Any]) -> dict[str, Any]:
    """One chat request; a response prefix goes as a final assistant message that the server continues
    (vLLM/SGLang ``continue_final_message``) and is put back in front of the text."""
    if not request.prefix:
        result = client.complete(request.messages, params)
        result.pop("reasoning_parsed", None)
        return result
    messages = [*request.messages, {"role": "assistant", "content": request.prefix}]
    body = {**params, "continue_final_message": True, "add_generation_prompt": False}
    result = client.complete(messages, body)
    if result.pop("reasoning_parsed", False):
        if request.prefix.strip() == "<think>":
            return result  # a server with a reasoning parser returned the block whole: nothing to put back
        if request.prefix.rfind("<think>") > request.prefix.rfind("</think>"):
            # a continued reasoning block, given back as reasoning_content: it is already open
            result["text"] = result["text"].removeprefix("<think>\n")
    return {**result, "text": request.prefix + result["text"]}


def generate_records(
    records: Iterable[dict[str, Any]],
    backend: Any,
    rollout: Rollout | int,
    params: dict[str, Any],
    cache: RequestCache,
    concurrency: int = 16,
    stats: GenerationStats | None = None,
    ladder: Ladder | None = None,
) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Yield ``(record, failure_reasons)`` in input order; ``failure_reasons`` is empty when every
    request of the record came back (then the rollout has put the responses into the record).

    ``backend`` is a :class:`ChatClient` (requests run ``concurrency`` at a time, the window slides
    so that the servers stay busy) or a batched engine such as :class:`~.engine.VLLMEngine`
    (``concurrency`` records per ``generate`` call, the samples of a prompt as one request with ``n``).
    An int ``rollout`` means ``n`` plain samples with R1 conventions. ``ladder``: what a sample cut by
    its budget gets (:mod:`r1data.llm.ladder`; default: nothing)."""
    if isinstance(rollout, int):
        rollout = Rollout(rollout)
    stats = stats or GenerationStats()
    model = backend.model
    start = time.monotonic()

    def finish(record: dict, outcomes: list[dict | GenerationError]):
        completions, reasons = [], []
        for sample_index, outcome in enumerate(outcomes):
            if isinstance(outcome, GenerationError):
                reasons.append(outcome.reason)
                stats.failures_by_reason[outcome.reason] += 1
                continue
            tokens = outcome.get("tokens") or {}
            stats.tokens_prompt += tokens.get("prompt") or 0
            stats.tokens_completion += tokens.get("spent", tokens.get("completion")) or 0
            stats.count(outcome)
            completions.append(_completion(outcome, sample_index, model))
        if reasons:
            stats.prompts_failed += 1
        else:
            stats.prompts_done += 1
            stats.completions_added += rollout.finish(record, completions)
        stats.seconds = time.monotonic() - start
        return record, reasons

    def keyed(record: dict) -> list[tuple[Request, str]]:
        stats.prompts_in += 1
        return [(r, _key(model, r, params)) for r in rollout.requests(record)]

    climb = _Climb(ladder or Ladder([params.get("max_tokens") or 0]), model, params)
    if getattr(backend, "batched", False):
        yield from _batched(records, backend, params, cache, max(1, concurrency), stats, keyed, finish, climb)
    else:
        yield from _threaded(
            records, backend, params, cache, max(1, concurrency), stats, keyed, finish, climb
        )


def _key(model: str, request: Request, params: dict[str, Any]) -> str:
    messages = request.messages + ([{"prefix": request.prefix}] if request.prefix else [])
    return RequestCache.key(model, messages, params, request.sample_index)


@dataclass
class _Climb:
    """The follow-up requests of cut samples, for both backends."""

    ladder: Ladder
    model: str
    params: dict[str, Any]

    def follow_up(self, request: Request, result: dict[str, Any]) -> tuple[Request, Step, str] | None:
        """The next request of a cut sample, with its step and cache key (None: it stays as it is)."""
        step = self.ladder.next_step(
            request.prefix, _sample_params(self.params, request.sample_index), result
        )
        if step is None:
            return None
        follow = Request(request.messages, request.sample_index, step.prefix)
        # the step's own parameters (seed included) key the cache: a resumed run asks nothing twice
        return follow, step, _key(self.model, follow, {**step.params, "ladder_step": step.mode})


def _sample_params(params: dict[str, Any], sample_index: int) -> dict[str, Any]:
    if "seed" not in params:
        return params
    return {**params, "seed": params["seed"] + sample_index}  # distinct, reproducible samples


def _threaded(records, client, params, cache, concurrency, stats, keyed, finish, climb):
    lock = threading.Lock()

    def fetch(request: Request, request_params: dict[str, Any], key: str) -> dict[str, Any]:
        cached = cache.get(key)
        if cached is not None:
            with lock:
                stats.requests_cached += 1
            return cached
        result = _endpoint_call(client, request, request_params)
        with lock:
            stats.requests_sent += 1
            stats.tokens_completion_sent += (result.get("tokens") or {}).get("completion") or 0
        cache.put(key, result)
        return result

    def one(request: Request, key: str) -> dict[str, Any]:
        result = fetch(request, _sample_params(params, request.sample_index), key)
        while (up := climb.follow_up(request, result)) is not None:
            follow, step, follow_key = up
            result = climb.ladder.merge(result, fetch(follow, step.params, follow_key), step)
        return result

    def outcomes(futures: list[Future]) -> list[dict | GenerationError]:
        out: list[dict | GenerationError] = []
        for future in futures:
            try:
                out.append(future.result())
            except GenerationError as exc:
                out.append(exc)
        return out

    held: collections.deque[tuple[dict, list[Future]]] = collections.deque()
    with ThreadPoolExecutor(concurrency) as pool:
        window = concurrency
        for record in records:
            requests = keyed(record)
            held.append((record, [pool.submit(one, r, k) for r, k in requests]))
            window = max(1, 2 * concurrency // max(1, len(requests)) + 1)
            while len(held) > window:
                record, futures = held.popleft()
                yield finish(record, outcomes(futures))
        while held:
            record, futures = held.popleft()
            yield finish(record, outcomes(futures))


def _batched(records, engine, params, cache, batch_records, stats, keyed, finish, climb):
    """Chunks of records → one engine call each; the uncached samples of one conversation go as one
    request with ``n`` (seeded from the first missing sample when a seed is set)."""
    from r1data.llm.engine import EngineRequest

    def run(chunk: list[tuple[dict, list[tuple[Request, str]]]]):
        groups: dict[str, list[tuple[int, int, Request, str]]] = {}
        results: list[list[dict | GenerationError | None]] = []
        for i, (_, requests) in enumerate(chunk):
            row: list[dict | GenerationError | None] = []
            for j, (request, key) in enumerate(requests):
                cached = cache.get(key)
                row.append(cached)
                if cached is not None:
                    stats.requests_cached += 1
                    continue
                conversation = json.dumps([request.messages, request.prefix], sort_keys=True)
                groups.setdefault(conversation, []).append((i, j, request, key))
            results.append(row)
        batch = [
            EngineRequest(members[0][2].messages, members[0][2].prefix, len(members),
                          _sample_params(params, members[0][2].sample_index))
            for members in groups.values()
        ]  # fmt: skip
        for members, outcome in zip(groups.values(), engine.generate(batch), strict=True):
            for index, (i, j, _, key) in enumerate(members):
                if isinstance(outcome, GenerationError):
                    results[i][j] = outcome
                    continue
                stats.requests_sent += 1
                stats.tokens_completion_sent += (outcome[index].get("tokens") or {}).get("completion") or 0
                cache.put(key, outcome[index])
                results[i][j] = outcome[index]
        climb_batch(chunk, results)
        for (record, _), row in zip(chunk, results, strict=True):
            yield finish(record, row)

    def climb_batch(chunk, results) -> None:
        """Take every cut sample of the chunk one step up, all at once, until none goes further."""
        while True:
            pending = []
            for (_, requests), row in zip(chunk, results, strict=True):
                for j, (request, _) in enumerate(requests):
                    if isinstance(row[j], dict) and (up := climb.follow_up(request, row[j])) is not None:
                        pending.append((row, j, *up))
            if not pending:
                return
            asked = [
                (row, j, follow, step, key) for row, j, follow, step, key in pending if cache.get(key) is None
            ]
            for row, j, _, step, key in pending:
                if cache.get(key) is not None:
                    stats.requests_cached += 1
                    row[j] = climb.ladder.merge(row[j], cache.get(key), step)
            batch = [
                EngineRequest(follow.messages, follow.prefix, 1, step.params)
                for _, _, follow, step, _ in asked
            ]
            for (row, j, _, step, key), outcome in zip(asked, engine.generate(batch), strict=True):
                if isinstance(outcome, GenerationError):
                    row[j] = outcome
                    continue
                stats.requests_sent += 1
                stats.tokens_completion_sent += (outcome[0].get("tokens") or {}).get("completion") or 0
                cache.put(key, outcome[0])
                row[j] = climb.ladder.merge(row[j], outcome[0], step)

    chunk: list[tuple[dict, list[tuple[Request, str]]]] = []
    for record in records:
        chunk.append((record, keyed(record)))
        if len(chunk) >= batch_records:
            yield from run(chunk)
            chunk = []
    if chunk:
        yield from run(chunk)
