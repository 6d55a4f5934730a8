"""TRL-style reward functions ``(prompts, completions, **columns) -> list[float | None]`` built on the
same verifiers as the data pipeline (one implementation of "is this answer right").

``None`` means "not applicable" (no reference in that row), as TRL's GRPOTrainer expects. Completions
may be strings or conversations (lists of ``{"role", "content"}``; the last message is graded).

>>> format_reward(["q"], ["<think>\\nr\\n</think>\\n\\nA: 4"])
[1.0]
"""

from __future__ import annotations

import atexit
from typing import Any

from r1data.schemas.records import prompt_text
from r1data.verifiers.format_checker import check_format
from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.registry import CHECKERS, checker_pool
from r1data.verifiers.runner import iter_verified

_POOLS: dict[str, BoundedPool] = {}


def _pool(domain: str) -> BoundedPool:
    """One long-lived pool per domain for the whole training run (workers start on first use)."""
    if domain not in _POOLS:
        pool = checker_pool(CHECKERS[domain])
        pool.__enter__()
        _POOLS[domain] = pool
        atexit.register(pool.close)
    return _POOLS[domain]


def _text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"a completion must be a string or a list of messages, got {type(completion).__name__}")


def _prompt_text(prompt: Any) -> str:
    """TRL passes a prompt as a string or as a conversation."""
    return prompt_text({"messages": prompt}) if isinstance(prompt, list) else str(prompt or "")


def accuracy_reward(
    prompts: list,
    completions: list,
    solution: list | None = None,
    tests: list | None = None,
    answer: list | None = None,
    **_: Any,
) -> list[float | None]:
    """1.0 when the verifier passes the completion, 0.0 when it fails or cannot decide (a timeout is
    never rewarded), None when the row has no reference. Math rows use the ``solution`` column (the
    reference answer, as r1data's rows and TRL's convention name it; ``answer`` is accepted too), code
    rows the ``tests`` column (the ``reference.tests`` shape of ``r1data verify``)."""
    n = len(completions)
    answers, tests = solution or answer or [None] * n, tests or [None] * n
    rewards: list[float | None] = [None] * n
    by_domain: dict[str, list[tuple[int, dict]]] = {"math": [], "code": []}
    for i, (prompt, completion, ans, test) in enumerate(
        zip(prompts, completions, answers, tests, strict=True)
    ):
        if test:
            domain, reference = "code", {"tests": test}
        elif ans is not None and str(ans).strip():
            domain, reference = "math", {"answer": str(ans)}
        else:
            continue
        record = {
            "id": str(i),
            "domain": domain,
            "prompt": _prompt_text(prompt),
            "reference": reference,
            "completions": [{"text": _text(completion)}],
        }
        by_domain[domain].append((i, record))
    for domain, rows in by_domain.items():
        if not rows:
            continue
        done = iter_verified(_pool(domain), (record for _, record in rows), domain)
        for (i, _), record in zip(rows, done, strict=True):
            rewards[i] = 1.0 if record["completions"][0]["verdict"]["label"] == "pass" else 0.0
    return rewards


def language_consistency_reward(
    prompts: list, completions: list, language: list | None = None, **_: Any
) -> list[float]:
    """R1's language-consistency reward: the share of target-language words in the chain of thought
    (the text before ``</think>``, the whole completion without one), in [0, 1]. The target is the
    row's ``language`` column when given, else the prompt's detected language."""
    from r1data.core.traces import split_trace
    from r1data.verifiers.language import detect_language, language_consistency

    languages = language or [None] * len(completions)
    rewards = []
    for prompt, completion, target in zip(prompts, completions, languages, strict=True):
        text = _text(completion)
        trace = split_trace(text)
        cot = trace.reasoning if trace.format != "plain" else text
        rewards.append(
            language_consistency(cot, target or detect_language(_prompt_text(prompt)))["consistency"]
        )
    return rewards


def format_reward(prompts: list, completions: list, **_: Any) -> list[float]:
    """1.0 for the R1 shape (one leading ``<think>`` block, closed, non-empty, then a summary, no leaked
    special tokens), else 0.0."""
    return [1.0 if check_format(_text(c))["label"] == "pass" else 0.0 for c in completions]
