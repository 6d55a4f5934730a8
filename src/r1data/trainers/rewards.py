"""GRPO rewards by name: the curation verifiers (accuracy, format, language consistency), R1-Zero's
answer-tag format, and R1's all-scenarios pair — ``helpfulness`` scored on the final summary only and
``harmlessness`` on the whole response — by a reward model (a local sequence-classification model or
an OpenAI-compatible endpoint that grades 0-10). A reward never crashes training: a verifier timeout
scores 0, a row without reference is ``None``, a scorer that fails scores 0 (and says so in the log)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from loguru import logger

from r1data.core.paths import fill_template, load_template
from r1data.core.traces import split_trace
from r1data.verifiers import rewards as verifier_rewards

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


class RewardModelScorer:
    """Scores (question, response) pairs in [0, 1]: a local sequence-classification model (sigmoid of
    its first logit) or an OpenAI-compatible endpoint asked for "Score: N" out of 10 with the
    package's ``reward_judge.txt`` prompt (a path replaces it)."""

    ASPECTS: ClassVar[dict[str, str]] = {
        "helpfulness": "Helpfulness: does the answer address the question, correctly, clearly and usefully?",
        "harmlessness": (
            "Harmlessness: is the response free of content that is dangerous, hateful, deceptive, or that "
            "helps cause harm, including in its reasoning?"
        ),
    }

    def __init__(
        self,
        model_name_or_path: str | None = None,
        endpoint: str | None = None,
        endpoint_model: str | None = None,
        template: str = "reward_judge.txt",
        batch_size: int = 8,
    ):
        if not (model_name_or_path or endpoint):
            raise ValueError(
                "helpfulness/harmlessness need a reward model: --reward_model_name_or_path (a local "
                "sequence-classification model) or --reward_endpoint with --reward_endpoint_model"
            )
        self.model_name_or_path, self.endpoint, self.endpoint_model = (
            model_name_or_path,
            endpoint,
            endpoint_model,
        )
        self.template = load_template(template, "r1data.trainers")
        self.batch_size = batch_size
        self._model = self._tokenizer = self._client = None

    def _local(self, questions: list[str], responses: list[str]) -> list[float]:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        if self._model is None:
            self._tokenizer = AutoTokenizer.from_pretrained(self.model_name_or_path)
            self._model = AutoModelForSequenceClassification.from_pretrained(self.model_name_or_path).eval()
        tok, scores = self._tokenizer, []
        for i in range(0, len(questions), self.batch_size):
            texts = []
            for q, r in zip(
                questions[i : i + self.batch_size], responses[i : i + self.batch_size], strict=True
            ):
                conv = [{"role": "user", "content": q}, {"role": "assistant", "content": r}]
                texts.append(
                    tok.apply_chat_template(conv, tokenize=False) if tok.chat_template else f"{q}\n\n{r}"
                )
            batch = tok(texts, return_tensors="pt", padding=True, truncation=True, max_length=4096)
            with torch.no_grad():
                logits = self._model(**batch).logits
            scores += torch.sigmoid(logits[:, 0].float()).tolist()
        return scores

    def _remote(self, aspect: str, questions: list[str], responses: list[str]) -> list[float]:
        from r1data.llm.client import ChatClient, EndpointConfig, GenerationError

        if self._client is None:
            self._client = ChatClient(
                EndpointConfig(urls=[self.endpoint], model=self.endpoint_model or "default", retries=2)
            )
        scores = []
        for q, r in zip(questions, responses, strict=True):
            prompt = fill_template(
                self.template, aspect=aspect, criteria=self.ASPECTS[aspect], question=q, response=r
            )
            try:
                text = self._client.complete([{"role": "user", "content": prompt}], {"temperature": 0.0})[
                    "text"
                ]
            except GenerationError as exc:
                logger.warning(f"{aspect} reward: the endpoint failed ({exc}); scoring 0")
                scores.append(0.0)
                continue
            m = re.search(r"score\s*[:=]\s*(\d+(?:\.\d+)?)", text, re.I)
            scores.append(min(1.0, max(0.0, float(m.group(1)) / 10)) if m else 0.0)
        return scores

    def score(self, aspect: str, questions: list[str], responses: list[str]) -> list[float]:
        try:
            if self.model_name_or_path:
                return self._local(questions, responses)
            return self._remote(aspect, questions, responses)
        except Exception as exc:  # a reward never crashes training
            logger.warning(f"{aspect} reward failed ({type(exc).__name__}: {exc}); scoring 0")
            return [0.0] * len(questions)


def _question(prompt: Any) -> str:
    if isinstance(prompt, list):
        users = [m.get("content", "") for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        return str(users[-1]) if users else ""
    return str(prompt or "")


def helpfulness_reward(scorer: RewardModelScorer):
    """R1's helpfulness: the reward model sees the final summary only (not the reasoning)."""

    def helpfulness(prompts: list, completions: list, **_: Any) -> list[float]:
        texts = [verifier_rewards._text(c)[: verifier_rewards.MAX_REWARD_CHARS] for c in completions]
        summaries = [split_trace(t).summary if "</think>" in t else t for t in texts]
        return scorer.score("helpfulness", [_question(p) for p in prompts], summaries)

    helpfulness.__name__ = "helpfulness_reward"
    return helpfulness


def harmlessness_reward(scorer: RewardModelScorer):
    """R1's harmlessness: the reward model sees the whole response, reasoning included."""

    def harmlessness(prompts: list, completions: list, **_: Any) -> list[float]:
        texts = [verifier_rewards._text(c)[: verifier_rewards.MAX_REWARD_CHARS] for c in completions]
        return scorer.score("harmlessness", [_question(p) for p in prompts], texts)

    harmlessness.__name__ = "harmlessness_reward"
    return harmlessness


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
