"""Quality judge for non-reasoning data (writing, factual QA, translation, general chat).

No rule can decide these, so a judge model scores each completion 1–10 with
``templates/quality_judge.txt`` and the completion passes when the score reaches ``min_score``. As in
R1, helpfulness is judged on the final reply only: the summary after the chain of thought (the whole
text for direct answers), never the reasoning. A reference answer, when the record has one (QA,
translation), is shown to the judge. Completions already decided by a template (self-cognition) are
left alone. Unparsable replies give ``unknown``/``judge_unparsable``, failed requests
``unknown``/``judge_error``: neither is ever kept by ``select``.
"""

from __future__ import annotations

import functools
from typing import Any

from r1data.core.completion import summary
from r1data.core.configs import option
from r1data.core.paths import fill_template, load_template
from r1data.core.step import R1Step, RecordStream
from r1data.schemas.records import prompt_text
from r1data.verifiers.base import correct_of, verdict
from r1data.verifiers.judge import judge_in_window
from r1data.verifiers.judge_config import JudgeConfig
from r1data.verifiers.judge_reply import as_data, the_one

NON_REASONING_DOMAINS = ("writing", "qa", "translation", "general")


def final_reply(completion: dict[str, Any]) -> str:
    return summary(completion).strip()


class QualityJudgeConfig(JudgeConfig):
    """The judge (:class:`~r1data.verifiers.judge_config.JudgeConfig`), and what it judges."""

    positional = ("endpoint", "model", "domains", "min_score", "template")
    domains: list[str] = option(list(NON_REASONING_DOMAINS), "record domains to judge")
    min_score: int = option(7, "a completion passes at or above this 1-10 score", ge=1, le=10)
    template: str | None = option(None, "another template file with {prompt}, {reference_block}, {response}")


class QualityJudge(R1Step):
    """Set ``verdict``/``correct`` on completions of ``domains`` from a judge model's 1–10 score.

    Args:
        domains: record domains to judge (default: writing, qa, translation, general).
        min_score: pass at or above this score (default 7).
        template: another template file with ``{prompt}``, ``{reference_block}``, ``{response}``.
        endpoint / model / api_key_env / concurrency / timeout_s / retries / backoff_s / max_tokens:
            the judge, as for the ``verify`` step's judge (:class:`~r1data.verifiers.judge_config.JudgeConfig`).
    """

    name = "⚖️ judge quality"
    Config = QualityJudgeConfig

    def __init__(self, *args: Any, **params: Any):
        super().__init__(*args, **params)
        c = self.config
        self.judge = JudgeConfig(**c.model_dump(include=set(JudgeConfig.model_fields)))
        self.endpoint = self.judge.client_config()
        self.domains, self.min_score, self.concurrency = set(c.domains), c.min_score, self.judge.concurrency
        self.max_tokens = self.judge.max_tokens
        self.template = load_template(c.template or "quality_judge.txt", "r1data.verifiers")

    def _prompt(self, record: dict[str, Any], completion: dict[str, Any]) -> str:
        reference = (record.get("reference") or {}).get("answer")
        block = f"<reference>\n{as_data(str(reference))}\n</reference>\n\n" if reference else ""
        return fill_template(
            self.template,
            prompt=as_data(prompt_text(record)),
            reference_block=block,
            response=as_data(final_reply(completion)),
        )

    def _judge(self, client, record, completion) -> dict[str, Any]:
        from r1data.llm.client import GenerationError

        model = self.endpoint.model
        if not final_reply(completion):
            return verdict("fail", "empty_reply", "quality_judge", model)
        try:
            reply = client.complete(
                [{"role": "user", "content": self._prompt(record, completion)}],
                {"temperature": 0.0, "max_tokens": self.max_tokens},
            )["text"]
        except GenerationError as exc:
            return verdict("unknown", "judge_error", "quality_judge", model, detail=exc.reason)
        shown = [
            prompt_text(record),
            final_reply(completion),
            str((record.get("reference") or {}).get("answer")),
        ]
        parsed, problem = the_one(reply, "score", [*shown, *map(as_data, shown)])
        try:
            score = float(parsed["score"])
        except (TypeError, ValueError):
            return verdict("unknown", problem or "judge_unparsable", "quality_judge", model)
        if not 1 <= score <= 10:
            return verdict("unknown", "judge_unparsable", "quality_judge", model)
        label = "pass" if score >= self.min_score else "fail"
        return verdict(label, f"score_{'at_least' if label == 'pass' else 'below'}_{self.min_score}",
                       "quality_judge", model, score=score, explanation=str(parsed.get("reason", ""))[:500])  # fmt: skip

    def process(self, data):
        from r1data.llm.client import ChatClient

        client = ChatClient(self.endpoint)
        stream_of = RecordStream(data)

        def jobs(record):
            if record.get("domain", "math") not in self.domains:
                return []
            return [
                (c, functools.partial(self._judge, client, record, c))
                for c in record.get("completions") or ()
                if (c.get("verdict") or {}).get("verifier") != "template"
            ]

        for record, results in judge_in_window(
            stream_of.records(), jobs, self.concurrency, 4 * self.concurrency
        ):
            for completion, v in results:
                completion["verdict"], completion["correct"] = v, correct_of(v)
                self.stat_update("completions_verified", f"verdict_{v['label']}",
                                 f"verdict_{v['label']}_{v['reason']}", "decided_by_quality_judge")  # fmt: skip
            yield stream_of.document(record)
