"""Rejection sampling: keep correct completions per prompt under a policy, record the pass rate.

Policies order the correct completions, then keep the first ``k``:

* ``all``: every correct completion (``k`` ignored), in sampling order;
* ``first``: sampling order; ``shortest``: fewest completion tokens (characters when tokens are
  unknown), ties by sampling order; ``random``: a shuffle seeded by ``seed`` and the prompt id, so a
  rerun keeps the same completions;
* ``majority`` (self-consistency, for prompts without a reference): the completions whose final answer
  agrees with the majority answer (grouped by equivalence, ties to the earliest group, as
  ``r1data eval``'s cons@k) count as correct, in sampling order; the vote is recorded in
  ``selection.majority = {answer, share, votes}``, and a prompt whose majority holds less than
  ``min_agreement`` of the votes is dropped (``majority_below_min_agreement``; ``no_final_answer``
  when no sample gave one). Disagreeing completions are dropped as ``not_majority``;
* ``best_of_n``: the ``k`` completions a reward model scores highest, verified or not (Best-of-N as
  LLaMA-2/3 built SFT data); ``best_correct``: the ``k`` highest-scored among the verified-correct.
  ``scorer: {model: PATH}`` (a local sequence-classification model) or ``{endpoint: URL, model:
  NAME}`` (an OpenAI-compatible grader, 0-10); each completion's ``score`` is recorded.

``max_per_prompt`` caps every policy. The pass rate is the verify step's count (``samples``: every
sample it saw, whatever filters removed afterwards; without a verify step, the completions present). With ``require_r1_format`` (default) only correct completions that
can become R1 rows (closed, non-empty reasoning and summary) are candidates, so a policy never picks a
completion that ``format_r1`` would then drop; the others are dropped here with that reason. ``min_pass_rate``/``max_pass_rate`` drop prompts whose pass rate
(pass / samples, unknown counted as not passing) lies outside the window: too hard or too easy.

Drop reasons: per completion ``<label>_<reason>`` of its verdict (``fail_not_equivalent``,
``unknown_timeout``, ``unverified``…), ``no_reasoning``/``no_summary``/``unclosed_reasoning`` and
``not_selected``; per prompt ``no_correct``,
``pass_rate_below_min``, ``pass_rate_above_max``, ``no_completions``, and for ``majority``
``no_final_answer`` / ``majority_below_min_agreement``.
"""

from __future__ import annotations

import hashlib
import random
from typing import Literal

from pydantic import field_validator, model_validator

from r1data.core.completion import r1_problem
from r1data.core.configs import Config, option
from r1data.core.step import R1Step

Policy = Literal["all", "first", "shortest", "random", "majority", "best_of_n", "best_correct"]
POLICIES = ("all", "first", "shortest", "random", "majority", "best_of_n", "best_correct")


def _length(c: dict) -> int:
    tokens = (c.get("tokens") or {}).get("completion")
    return tokens if tokens is not None else len(c.get("text", ""))


class ScorerSpec(Config):
    """A reward model for ``best_of_n``/``best_correct``: a local sequence-classification model
    (``model: PATH``) or an OpenAI-compatible grader asked for 0-10 (``endpoint`` + ``model``)."""

    model: str = option(..., "a local model path, or the grader's model name at `endpoint`")
    endpoint: str | None = option(None, "an OpenAI-compatible base URL (…/v1) of a grader")


class SelectConfig(Config):
    policy: Policy = option(
        "all", "how the correct completions of a prompt are ordered before the first k are kept"
    )
    k: int = option(1, "completions kept per prompt (all, majority: every agreeing one)", ge=1)
    seed: int = option(0, "random: the shuffle's seed (with the prompt id)")
    max_per_prompt: int | None = option(None, "a cap on every policy", ge=1)
    min_pass_rate: float = option(0.0, "drop prompts whose pass rate is below (too hard)", ge=0, le=1)
    max_pass_rate: float = option(1.0, "drop prompts whose pass rate is above (too easy)", ge=0, le=1)
    require_r1_format: bool = option(True, "only completions that can become R1 rows are candidates")
    min_agreement: float = option(
        0.5, "majority: drop a prompt whose majority holds less of the votes", ge=0, le=1
    )
    scorer: ScorerSpec | None = option(
        None, "best_of_n/best_correct: the reward model ({model} or {endpoint, model})"
    )

    @field_validator("policy", mode="before")
    @classmethod
    def _known_policy(cls, value):
        if value not in POLICIES:
            raise ValueError(f"unknown selection policy {value!r}: use {', '.join(POLICIES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SelectConfig:
        if self.policy in ("best_of_n", "best_correct") and not self.scorer:
            raise ValueError(
                f"policy {self.policy} needs a scorer: {{model: PATH}} (a sequence-classification reward "
                "model) or {endpoint: URL, model: NAME} (an OpenAI-compatible grader)"
            )
        if self.min_pass_rate > self.max_pass_rate:
            raise ValueError("need min_pass_rate <= max_pass_rate")
        return self


class Select(R1Step):
    name = "🎯 select"
    Config = SelectConfig

    def __init__(self, *args, **params):
        super().__init__(*args, **params)
        self._scorer = None

    @staticmethod
    def _vote(completions: list[dict]) -> tuple[dict | None, list[bool]]:
        """The majority answer of the completions and which of them agree with it (None, no answer)."""
        from r1data.core.completion import final_answer
        from r1data.verifiers.math_verifier import same_answer
        from r1data.verifiers.votes import majority

        answers = [final_answer(c) for c in completions]
        winner, share = majority(answers, same_answer)
        if winner is None:
            return None, []
        agrees = [a is not None and same_answer(answers[winner], a) for a in answers]
        votes = sum(a is not None for a in answers)
        return {"answer": answers[winner], "share": share, "votes": votes}, agrees

    def _score(self, record: dict, completions: list[dict]) -> None:
        """Each completion's reward-model score, recorded as ``score`` (computed once)."""
        from r1data.schemas.records import prompt_text
        from r1data.verifiers.reward_model import RewardModelScorer

        todo = [c for c in completions if c.get("score") is None]
        if not todo:
            return
        if self._scorer is None:
            spec = self.config.scorer
            local = spec.model if not spec.endpoint else None
            self._scorer = RewardModelScorer(local, spec.endpoint, spec.model)
        question = prompt_text(record)
        for c, score in zip(
            todo,
            self._scorer.score("quality", [question] * len(todo), [c.get("text", "") for c in todo]),
            strict=True,
        ):
            c["score"] = score

    def choose(self, prompt_id: str, correct: list[dict]) -> list[dict]:
        if self.config.policy in ("best_of_n", "best_correct"):
            correct = sorted(correct, key=lambda c: -c["score"])  # stable: ties keep sampling order
        elif self.config.policy == "shortest":
            correct = sorted(correct, key=_length)  # stable: ties keep sampling order
        elif self.config.policy == "random":
            digest = hashlib.sha256(f"{self.config.seed}:{prompt_id}".encode()).digest()
            correct = correct[:]
            random.Random(int.from_bytes(digest[:8], "big")).shuffle(correct)
        keep = len(correct) if self.config.policy in ("all", "majority") else self.config.k
        if self.config.max_per_prompt is not None:
            keep = min(keep, self.config.max_per_prompt)
        return correct[:keep]

    def process(self, data):
        for doc in data:
            record = doc.metadata
            completions = record.get("completions") or []
            if not completions:
                self.drop_record(doc, "no_completions")
                continue
            for i, c in enumerate(completions):
                c.setdefault("sample_index", i)
            # which completions are candidates, and why the others go
            vote, candidate, miss = None, [c.get("correct") is True for c in completions], None
            if self.config.policy == "majority":
                vote, candidate = self._vote(completions)
                if vote is None:
                    self.drop_record(doc, "no_final_answer")
                    continue
                for c, agrees in zip(completions, candidate, strict=True):
                    c["correct"] = agrees
                miss = "not_majority"
            elif self.config.policy in ("best_of_n", "best_correct"):
                self._score(record, completions)
                if self.config.policy == "best_of_n":  # the best by score, verified or not
                    candidate = [True] * len(completions)
            correct, wrong = [], {}
            for c, ok in zip(completions, candidate, strict=True):
                if ok:
                    correct.append(c)
                else:
                    v = c.get("verdict")
                    reason = miss or (f"{v['label']}_{v['reason']}" if v else "unverified")
                    wrong.setdefault(reason, []).append(c)
            # the counts of the verify step, which saw every sample (filters may have removed some
            # since); a majority vote counts its own agreement
            samples = (None if vote else record.get("samples")) or {
                "n_samples": len(completions),
                "n_correct": len(correct),
            }
            rate = samples["n_correct"] / samples["n_samples"] if samples["n_samples"] else 0.0
            record["selection"] = {**samples, "pass_rate": rate, "policy": self.config.policy}
            if vote is not None:
                record["selection"]["majority"] = vote
                if vote["share"] < self.config.min_agreement:
                    self.drop_record(doc, "majority_below_min_agreement")
                    continue
            self.stat_update("pass_rate_sum", value=rate)
            self.stat_update("records_scored")
            for reason, dropped in wrong.items():
                self.drop_completions(doc, dropped, reason)
            record["completions"] = correct
            if not correct:
                self.drop_record(doc, "no_correct")
                continue
            if rate < self.config.min_pass_rate:
                self.drop_record(doc, "pass_rate_below_min")
                continue
            if rate > self.config.max_pass_rate:
                self.drop_record(doc, "pass_rate_above_max")
                continue
            if self.config.require_r1_format:
                unfit: dict[str, list[dict]] = {}
                eligible = []
                for c in correct:
                    problem = r1_problem(c)
                    if problem:
                        unfit.setdefault(problem, []).append(c)
                    else:
                        eligible.append(c)
                for problem, dropped in unfit.items():
                    self.drop_completions(doc, dropped, problem)
                correct = eligible
            chosen = self.choose(record["id"], correct)
            chosen_ids = {id(c) for c in chosen}
            self.drop_completions(doc, [c for c in correct if id(c) not in chosen_ids], "not_selected")
            record["completions"] = chosen
            self.stat_update("records_selected")
            yield doc
