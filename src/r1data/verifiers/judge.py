"""LLM judge for answers rules cannot decide, over any OpenAI-compatible chat-completions endpoint.

The judge sees the question, the reference and the *final answer* (the summary's last ``\\boxed{}``,
else the summary's end), never the chain of thought, each in a tagged data block that the answer
cannot close (:mod:`.judge_reply`), and must reply with exactly one
``{"verdict": "correct"|"incorrect", "reason": "…"}``. No such object is ``unknown``/``judge_unparsable``,
several are ``unknown``/``judge_conflict`` (a verdict the answer itself wrote and the judge quotes
does not count); HTTP failures after retries give ``unknown``/``judge_error``.

The API key is read from an environment variable (``api_key_env``) at request time; it is sent only in
the ``Authorization`` header and never appears in verdicts, logs or exceptions.

Cascade (:func:`iter_judged`): rules first; the judge only re-decides completions whose rule verdict
label is in ``on`` (``("unknown",)`` by default; add ``"fail"`` to audit the rules). The judged
verdict records ``verifier: "judge"``, ``version: <model>`` and the rule verdict it replaced.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from loguru import logger

from r1data.core.completion import final_answer, summary
from r1data.core.paths import fill_template, load_template
from r1data.schemas.records import prompt_text
from r1data.verifiers.base import correct_of, verdict
from r1data.verifiers.judge_config import JudgeConfig
from r1data.verifiers.judge_reply import MAX_REPLY_CHARS, as_data, the_one


def answer_shown(completion: dict[str, Any]) -> str:
    """What the judge is shown of a completion: its final answer (core's reading), else the end of its
    summary (free-form answers state no box)."""
    return final_answer(completion) or summary(completion)[-2000:]


class JudgeClient:
    def __init__(self, config: JudgeConfig):
        from r1data.llm.client import ChatClient

        self.config = config
        self.template = load_template("judge.txt", "r1data.verifiers")
        self.client = ChatClient(config.client_config())

    def _request(self, messages: list[dict[str, str]]) -> str:
        reply = self.client.complete(messages, {"temperature": 0.0, "max_tokens": self.config.max_tokens})
        return reply["text"][:MAX_REPLY_CHARS]

    def judge(self, question: str, reference: str, answer: str) -> dict[str, Any]:
        data = {"question": as_data(question), "reference": as_data(reference), "answer": as_data(answer)}
        prompt = fill_template(self.template, **data)
        from r1data.llm.client import GenerationError

        try:
            reply = self._request([{"role": "user", "content": prompt}])
        except GenerationError as exc:
            return self._v("unknown", "judge_error", detail=exc.reason)
        parsed, problem = the_one(reply, "verdict", [question, reference, answer, *data.values()])
        label = (
            {"correct": "pass", "incorrect": "fail"}.get(str(parsed["verdict"]).strip().lower())
            if parsed
            else None
        )
        if label:
            return self._v(
                label,
                "judge_" + ("correct" if label == "pass" else "incorrect"),
                explanation=str(parsed.get("reason", ""))[:500],
            )
        return self._v("unknown", problem or "judge_unparsable")

    def _v(self, label: str, reason: str, **extra: Any) -> dict[str, Any]:
        return verdict(label, reason, "judge", self.config.model, **extra)


def _reference_text(record: dict[str, Any]) -> str | None:
    ref = record.get("reference") or {}
    return ref.get("answer") if ref.get("answer") else None


def judge_in_window(
    records: Iterable[dict[str, Any]],
    jobs: Callable[[dict[str, Any]], list[tuple[dict[str, Any], Callable[[], Any]]]],
    concurrency: int,
    window: int,
) -> Iterator[tuple[dict[str, Any], list[tuple[dict[str, Any], Any]]]]:
    """Run each record's ``jobs(record) -> [(completion, call), …]`` on ``concurrency`` threads, up to
    ``window`` records ahead; yield ``(record, [(completion, result), …])`` in input order."""
    held: collections.deque[tuple[dict, list[tuple[dict, Future]]]] = collections.deque()
    with ThreadPoolExecutor(concurrency) as pool:

        def drain(limit: int):
            while len(held) > limit:
                record, futures = held.popleft()
                yield record, [(completion, future.result()) for completion, future in futures]

        for record in records:
            held.append((record, [(completion, pool.submit(call)) for completion, call in jobs(record)]))
            yield from drain(window)
        yield from drain(0)


def iter_judged(
    client: JudgeClient, records: Iterable[dict[str, Any]], window: int = 64
) -> Iterator[dict[str, Any]]:
    """Re-decide, with the judge, completions whose verdict label is in ``client.config.on``; yields
    records in order. Requests run ``concurrency`` at a time over a window of records."""
    on = set(client.config.on)

    def jobs(record: dict[str, Any]) -> list[tuple[dict[str, Any], Callable[[], Any]]]:
        reference = _reference_text(record)
        if reference is None:
            return []
        question = prompt_text(record)
        return [
            (completion, functools.partial(client.judge, question, reference, answer_shown(completion)))
            for completion in record.get("completions") or []
            if (completion.get("verdict") or {"label": "unknown"}).get("label") in on
        ]

    for record, results in judge_in_window(records, jobs, client.config.concurrency, window):
        for completion, judged in results:
            judged["rule_verdict"] = completion.get("verdict")
            completion["verdict"] = judged
            completion["correct"] = correct_of(judged)
        yield record
    logger.debug("judge cascade finished")
