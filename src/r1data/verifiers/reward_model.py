"""Outcome reward models as scorers: a local sequence-classification model or an OpenAI-compatible
endpoint asked for a 0-10 grade. Used by the GRPO rewards (helpfulness, harmlessness) and by the
``best_of_n`` / ``best_correct`` selection policies."""

from __future__ import annotations

from typing import ClassVar

from loguru import logger

from r1data.core.paths import fill_template, load_template
from r1data.verifiers.judge_reply import as_data, the_one_score


class RewardModelScorer:
    """Scores (question, response) pairs in [0, 1]: a local sequence-classification model (sigmoid of
    its first logit) or an OpenAI-compatible endpoint asked for "Score: N" out of 10 with the
    package's ``reward_judge.txt`` prompt (a path replaces it)."""

    ASPECTS: ClassVar[dict[str, str]] = {
        "quality": "Overall quality: is the answer correct, complete, and clearly and soundly reasoned?",
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
        self.template = load_template(template, "r1data.verifiers")
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
                self.template,
                aspect=aspect,
                criteria=self.ASPECTS[aspect],
                question=as_data(q),
                response=as_data(r),
            )
            try:
                text = self._client.complete([{"role": "user", "content": prompt}], {"temperature": 0.0})[
                    "text"
                ]
            except GenerationError as exc:
                logger.warning(f"{aspect} reward: the endpoint failed ({exc}); scoring 0")
                scores.append(0.0)
                continue
            grade = the_one_score(text, [q, r, as_data(q), as_data(r)])  # one grade, not one it quotes
            scores.append(min(1.0, max(0.0, grade / 10)) if grade is not None else 0.0)
        return scores

    def score(self, aspect: str, questions: list[str], responses: list[str]) -> list[float]:
        try:
            if self.model_name_or_path:
                return self._local(questions, responses)
            return self._remote(aspect, questions, responses)
        except Exception as exc:  # a reward never crashes training
            logger.warning(f"{aspect} reward failed ({type(exc).__name__}: {exc}); scoring 0")
            return [0.0] * len(questions)
