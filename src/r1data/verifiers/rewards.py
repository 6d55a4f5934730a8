"""TRL-style reward functions ``(prompts, completions, **columns) -> list[float | None]`` built on the
same verifiers as the data pipeline (one implementation of "is this answer right").

``None`` means "not applicable" (no reference in that row), as TRL's GRPOTrainer expects. Completions
may be strings or conversations (lists of ``{"role", "content"}``; the last message is graded).

>>> format_reward(["q"], ["<think>\\nr\\n</think>\\n\\nThe answer is 4."])
[1.0]
"""

from __future__ import annotations

import atexit
from typing import Any

from r1data.schemas.records import prompt_text
from r1data.verifiers.format_verifier import check_format
from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.registry import verifier_pool, verifier_spec
from r1data.verifiers.stream import iter_verified

_POOLS: dict[str, BoundedPool] = {}


def _pool(domain: str) -> BoundedPool:
    """One long-lived pool per domain for the whole training run (workers start on first use). A
    reward wants math answers simplified: a policy rewarded for "17 + 25" learns to copy the question
    back (curation and eval count such an expression right, as math-verify does)."""
    if domain not in _POOLS:
        options = {"require_simplified": True} if domain == "math" else {}
        pool = verifier_pool(verifier_spec(domain, **options))
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
    never rewarded), None when the row has no reference or one the verifier cannot read ("Answer is
    forty two.": TRL leaves such rows out of the reward instead of pulling every sample to 0). Math rows use the ``solution`` column (the
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
            verdict = record["completions"][0]["verdict"]
            if verdict["label"] == "unknown" and verdict["reason"] in (
                "no_reference",
                "reference_unparsable",
            ):
                continue  # the row's reference is unusable: left out (None), not a 0 for every sample
            rewards[i] = 1.0 if verdict["label"] == "pass" else 0.0
    return rewards


def language_consistency_reward(
    prompts: list, completions: list, language: list | None = None, **_: Any
) -> list[float]:
    """R1's language-consistency reward: the share of target-language words in the chain of thought
    (the text before ``</think>``, the whole completion without one), in [0, 1]. The target is the
    row's ``language`` column when given, else the prompt's detected language. A chain of thought with
    no words at all (empty, or symbols and numbers only) or one that only repeats a word or a phrase
    scores 0: it is consistent with nothing."""
    from r1data.core.completion import cot as chain_of_thought
    from r1data.verifiers.language import detect_language, language_consistency

    languages = language or [None] * len(completions)
    rewards = []
    for prompt, completion, target in zip(prompts, completions, languages, strict=True):
        text = _text(completion)[:MAX_REWARD_CHARS]
        cot = chain_of_thought({"text": text})
        result = language_consistency(cot, target or detect_language(_prompt_text(prompt)[:MAX_REWARD_CHARS]))
        rewards.append(0.0 if not result["words"] or _meaningless(cot) else result["consistency"])
    return rewards


def _meaningless(cot: str) -> bool:
    """A chain of thought that says nothing: one word or phrase repeated (few distinct words among
    many, or text that compresses to almost nothing)."""
    import re
    import zlib

    data = cot[:20_000].encode("utf-8", "replace")
    if len(data) >= 1000:
        return len(zlib.compress(data, 6)) < 0.08 * len(data)
    words = re.findall(r"\w+", cot.lower())
    return len(words) >= 12 and len(set(words)) < 0.2 * len(words)


MAX_REWARD_CHARS = 200_000  # a longer completion is scored on its first 200K characters


def template_opens_think(prompt: Any) -> bool | None:
    """Whether the text the policy continues already opened the ``<think>`` block: True/False for a
    rendered (string) prompt; None for a conversation (the chat template decides; see
    :func:`make_format_reward`)."""
    if isinstance(prompt, str):
        return prompt.rstrip().endswith("<think>")
    return None


def format_reward(
    prompts: list, completions: list, think_opened: bool | None = False, **_: Any
) -> list[float]:
    """1.0 for the R1 shape (one ``<think>`` block, closed, non-empty, then a summary that is more than
    the boxed answer, no leaked special tokens), else 0.0. Who opens the block is decided from the
    prompt: a string prompt that ends with ``<think>`` opened it (the completion must not open
    another); otherwise the completion must open it itself. For conversational prompts,
    ``think_opened`` says what the chat template does (:func:`make_format_reward` binds it)."""
    out = []
    for prompt, completion in zip(prompts, completions, strict=True):
        opened = template_opens_think(prompt)
        verdict = check_format(
            _text(completion)[:MAX_REWARD_CHARS], think_opened if opened is None else opened
        )
        out.append(1.0 if verdict["label"] == "pass" else 0.0)
    return out


def make_format_reward(think_opened: bool):
    """:func:`format_reward` for a chat template whose generation prompt does (True) or does not
    (False) end with ``<think>``."""

    def format_reward_for_template(prompts: list, completions: list, **kwargs: Any) -> list[float]:
        return format_reward(prompts, completions, think_opened=think_opened, **kwargs)

    format_reward_for_template.__name__ = "format_reward"
    format_reward_for_template.__doc__ = format_reward.__doc__
    return format_reward_for_template
