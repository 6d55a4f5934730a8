"""GRPO rewards by name: the curation verifiers (accuracy, format, language consistency), R1-Zero's
answer-tag format, and R1's all-scenarios pair — ``helpfulness`` scored on the final summary only and
``harmlessness`` on the whole response — by a reward model (a local sequence-classification model or
an OpenAI-compatible endpoint that grades 0-10). A reward never crashes training: a verifier timeout
scores 0, a row without reference is ``None``, a scorer that fails scores 0 (and says so in the log)."""

from __future__ import annotations

import re
from typing import Any

from r1data.core.completion import summary
from r1data.verifiers import rewards as verifier_rewards
from r1data.verifiers.reward_model import RewardModelScorer

R1_ZERO_SYSTEM = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with "
    "the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> "
    "</answer> tags, respectively."
)


def r1_zero_prompt(prompt: Any) -> str:
    """R1-Zero's template around the question: a plain instruction, then ``User: …`` and
    ``Assistant: <think>`` (the policy continues the reasoning)."""
    return f"{R1_ZERO_SYSTEM} User: {_question(prompt)}\nAssistant: <think>"


_R1_ZERO = re.compile(r"\s*<think>(?P<think>.+?)</think>\s*<answer>(?P<answer>.+?)</answer>\s*", re.S)


def r1_zero_format_reward(prompts: list, completions: list, **_: Any) -> list[float]:
    """1.0 for R1-Zero's template: ``<think>…</think>`` then ``<answer>…</answer>``, each once, each
    non-empty, nothing around them; else 0.0. (The opening ``<think>`` may come from the prompt.)"""
    out = []
    for prompt, completion in zip(prompts, completions, strict=True):
        text = verifier_rewards._text(completion)[: verifier_rewards.MAX_REWARD_CHARS]
        if isinstance(prompt, str) and prompt.rstrip().endswith("<think>"):
            text = "<think>" + text
        m = _R1_ZERO.fullmatch(text)
        ok = (
            m is not None
            and text.count("<think>") == text.count("</think>") == 1
            and text.count("<answer>") == text.count("</answer>") == 1
            and m.group("think").strip()
            and m.group("answer").strip()
        )
        out.append(1.0 if ok else 0.0)
    return out


def _question(prompt: Any) -> str:
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return str(users[-1]) if users else ""
    return str(prompt or "")


def helpfulness_reward(scorer: RewardModelScorer):
    """R1's helpfulness: the reward model sees the final summary only (not the reasoning)."""

    def helpfulness(prompts: list, completions: list, **_: Any) -> list[float]:
        texts = [verifier_rewards._text(c)[: verifier_rewards.MAX_REWARD_CHARS] for c in completions]
        summaries = [summary({"text": t}) if "</think>" in t else t for t in texts]
        return scorer.score("helpfulness", [_question(p) for p in prompts], summaries)

    helpfulness.__name__ = "helpfulness_reward"
    helpfulness.__doc__ = helpfulness_reward.__doc__
    return helpfulness


def harmlessness_reward(scorer: RewardModelScorer):
    """R1's harmlessness: the reward model sees the whole response, reasoning included."""

    def harmlessness(prompts: list, completions: list, **_: Any) -> list[float]:
        texts = [verifier_rewards._text(c)[: verifier_rewards.MAX_REWARD_CHARS] for c in completions]
        return scorer.score("harmlessness", [_question(p) for p in prompts], texts)

    harmlessness.__name__ = "harmlessness_reward"
    harmlessness.__doc__ = harmlessness_reward.__doc__
    return harmlessness


def describe_rewards(names: list[str], functions: list, weights: list[float] | None) -> list[dict]:
    """Each reward of a GRPO run for its model card: name, weight (TRL's default 1.0 each) and the
    first sentence of what it scores."""
    rows = []
    for i, (name, fn) in enumerate(zip(names, functions, strict=True)):
        doc = " ".join((fn.__doc__ or "").split("\n\n")[0].split())
        sentence = re.split(r"(?<=[.)])\s(?=[A-Z(])", doc)[0] if doc else ""
        rows.append({"name": name, "weight": 1.0 if weights is None else weights[i], "scores": sentence})
    return rows


REWARD_NAMES = ("accuracy", "format", "r1_zero_format", "language_consistency", "helpfulness", "harmlessness")


def build_rewards(names: list[str], data_args, think_opened: bool) -> list:
    """The reward functions for ``names`` (see :data:`REWARD_NAMES`)."""
    unknown = [n for n in names if n not in REWARD_NAMES]
    if unknown:
        raise ValueError(f"unknown reward(s) {unknown}; choose from {', '.join(REWARD_NAMES)}")
    scorer = None
    if {"helpfulness", "harmlessness"} & set(names):
        scorer = RewardModelScorer(
            data_args.reward_model_name_or_path, data_args.reward_endpoint, data_args.reward_endpoint_model
        )
    table = {
        "accuracy": lambda: verifier_rewards.accuracy_reward,
        "format": lambda: verifier_rewards.make_format_reward(think_opened),
        "r1_zero_format": lambda: r1_zero_format_reward,
        "language_consistency": lambda: verifier_rewards.language_consistency_reward,
        "helpfulness": lambda: helpfulness_reward(scorer),
        "harmlessness": lambda: harmlessness_reward(scorer),
    }
    return [table[n]() for n in names]
