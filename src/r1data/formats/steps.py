"""Steps that parse raw traces and emit the R1 readable SFT format."""

from __future__ import annotations

from datatrove.data import Document

from r1data.core.completion import r1_problem, trace_of
from r1data.core.configs import Config, option
from r1data.core.step import R1Step
from r1data.core.traces import split_trace
from r1data.schemas.records import prompt_text

R1_TEMPLATE = "<think>\n{reasoning}\n</think>\n\n{summary}"


class FormatR1Config(Config):
    require_reasoning: bool = option(
        True,
        "drop completions without reasoning (no_reasoning); false: a plain answer becomes a row without a "
        "<think> block (R1's non-reasoning data)",
    )


class FromSFTConfig(Config):
    teacher: str | None = option(None, "the completions' model (default: the record's source)")


class ParseTraces(R1Step):
    """Fill ``reasoning``, ``summary``, ``trace_format`` and ``closed`` on every completion from its raw
    ``text`` (``<think>`` tags, Sky-T1 markers, or plain). Drops nothing."""

    name = "✂️ parse traces"

    def process(self, data):
        for doc in data:
            for c in doc.metadata.get("completions", ()):
                trace = split_trace(c.get("text", ""))
                c.update(
                    reasoning=trace.reasoning,
                    summary=trace.summary,
                    trace_format=trace.format,
                    closed=trace.closed,
                )
                self.stat_update(f"trace_format_{trace.format}")
            yield doc


def assistant_content(reasoning: str, summary: str) -> str:
    """The R1 readable format, or the summary alone when there is no reasoning."""
    reasoning, summary = reasoning.strip(), summary.strip()
    return R1_TEMPLATE.format(reasoning=reasoning, summary=summary) if reasoning else summary


class FormatR1(R1Step):
    """One SFT row per kept completion, TRL-ready (:data:`r1data.schemas.features.SFT_SCHEMA`):
    ``prompt``/``completion`` conversational lists (and ``messages``, both together), the assistant's
    ``<think>\\n{reasoning}\\n</think>\\n\\n{summary}``. Drops (per completion): ``no_reasoning``,
    ``unclosed_reasoning``, ``no_summary``. Rows follow :data:`r1data.schemas.SFT_SCHEMA`.

    With ``require_reasoning: false``, a completion without reasoning markers (a plain answer, or a
    plain CoT from a non-R1 teacher) becomes a row whose assistant turn is the text alone, without a
    ``<think>`` block (R1's non-reasoning data: no CoT for simple queries)."""

    name = "📝 format r1"
    Config = FormatR1Config

    def process(self, data):
        for doc in data:
            record = doc.metadata
            for position, c in enumerate(record.get("completions", ())):
                trace = trace_of(c)
                reason = r1_problem(c)
                if reason == "no_reasoning" and not self.config.require_reasoning and trace.summary.strip():
                    reason = None
                if reason:
                    self.drop_completions(doc, [c], reason)
                    continue
                row = self._row(record, c, c.get("sample_index", position), trace)
                if c.get("forced_close"):  # the budget ladder closed its reasoning (the card counts them)
                    self.stat_update("generation_forced_close_rows")
                yield Document(text=trace.summary, id=row["id"], metadata=row)
            if not record.get("completions"):
                self.stat_update("records_without_completions")

    @staticmethod
    def _row(record: dict, c: dict, index: int, trace) -> dict:
        problem = prompt_text(record)
        prompt = [
            {"role": m["role"], "content": m["content"]}
            for m in record.get("messages") or [{"role": "user", "content": problem}]
        ]
        completion = [{"role": "assistant", "content": assistant_content(trace.reasoning, trace.summary)}]
        verdict = c.get("verdict") or {}
        selection = record.get("selection") or {}
        return {
            "id": f"{record['id']}/{index}",
            "prompt": prompt,
            "completion": completion,
            "messages": [*prompt, *completion],
            "problem": problem,
            "solution": (record.get("reference") or {}).get("answer"),
            "reasoning": trace.reasoning.strip(),
            "summary": trace.summary.strip(),
            "prompt_id": record["id"],
            "source": record.get("source"),
            "domain": record.get("domain", "math"),
            "teacher": c.get("model"),
            "finish_reason": c.get("finish_reason"),
            "verdict_label": verdict.get("label"),
            "verdict_reason": verdict.get("reason"),
            "verifier": f"{verdict['verifier']}@{verdict.get('version')}" if verdict else None,
            "sample_index": index,
            "n_samples": selection.get("n_samples"),
            "n_correct": selection.get("n_correct"),
            "pass_rate": selection.get("pass_rate"),
            "completion_tokens": (c.get("tokens") or {}).get("completion"),
        }


class FromSFT(R1Step):
    """Existing SFT conversations as candidates: a record whose ``messages`` end with an assistant turn
    gets that turn as its completion (``model``: ``teacher`` or the record's source) and keeps the
    conversation before it as the prompt, so that the judge, the filters and ``select`` treat reused
    data like generated data. (The reader already splits SFT rows this way — prompt-completion rows
    and conversations ending with the assistant; this step names their model.) Records without a final
    assistant turn pass unchanged (``generate`` can answer them)."""

    name = "♻️ from sft"
    Config = FromSFTConfig

    def process(self, data):
        for doc in data:
            record = doc.metadata
            messages = record.get("messages") or []
            if messages and messages[-1].get("role") == "assistant" and messages[:-1]:
                *context, answer = messages
                record["messages"] = context
                record["prompt"] = prompt_text({"messages": context})
                record["completions"] = [
                    *record.get("completions", []),
                    {"text": answer.get("content", ""), "model": self.config.teacher or record.get("source") or "sft",
                     "rollout": "sft"},
                ]  # fmt: skip
                doc.text = record["prompt"]
                self.stat_update("completions_generated")
            for c in record.get("completions") or []:  # SFT rows the reader already split
                if c.get("rollout") == "sft" and not c.get("model"):
                    c["model"] = self.config.teacher or record.get("source") or "sft"
            yield doc
