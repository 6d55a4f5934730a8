"""Rollout methods: what to ask the teacher for each record, and where the answers go.

A rollout turns a record into requests (chat messages, an optional response prefix, a sample index) and
puts the responses back into the record. Sample indices number the requests of a record; with the model,
messages, prefix and sampling parameters they key the request cache, so that a relaunch resends only
what had not come back.

============== ================================================= ==============================
method          requests per record                               responses
============== ================================================= ==============================
sample          N × the prompt (R1: no system prompt, boxed        appended to ``completions``
                instruction for math)
few_shot        N × (long-CoT examples from a file as earlier      appended
                turns, then the prompt)
reflect_verify  N × the prompt in the reflect-and-verify template  appended
reformat        one per existing completion: the raw trace in the  replace their completion (the
                reformat template (R1-Zero ``<answer>``, foreign   raw text kept as
                formats → ``<think>`` reasoning + summary)          ``source_text``)
refine          one per existing completion: the readable-format   replace their completion
                refinement template
router          trivial prompts (greetings, thanks …: package      appended, ``cot: false`` for
                file of patterns) → N × the prompt as is; others   direct answers
                → N × the prompt in the CoT-then-answer template
============== ================================================= ==============================

Templates are files in ``r1data/generators/templates``; each can be replaced by a path.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from r1data.core.paths import fill_template, load_template, resolve_path
from r1data.schemas.records import prompt_text

THINK_PREFIX = "<think>\n"
REASONING_DOMAINS = {"math", "code", "science", "logic"}


MATH_INSTRUCTION = load_template("math_instruction.txt").strip()  # R1's advice for math prompts


def build_messages(record: dict[str, Any], r1_conventions: bool = True) -> list[dict[str, str]]:
    """The record's conversation; with R1 conventions, no system prompt and the boxed-answer
    instruction appended to math prompts."""
    if record.get("messages"):
        messages = [{"role": m["role"], "content": m["content"]} for m in record["messages"]]
    else:
        messages = [{"role": "user", "content": record["prompt"]}]
    if r1_conventions:
        messages = [m for m in messages if m["role"] != "system"]  # R1: no system prompt
        if record.get("domain", "math") == "math" and "\\boxed" not in messages[-1]["content"]:
            messages[-1] = {
                **messages[-1],
                "content": messages[-1]["content"].rstrip() + "\n" + MATH_INSTRUCTION,
            }
    return messages


@dataclass(frozen=True)
class Request:
    messages: list[dict[str, str]]
    sample_index: int
    prefix: str = ""  # the response is made to start with this (vLLM: continue the final message)


class Rollout:
    """Base: ``n`` samples of the record's conversation, appended to its completions."""

    name = "sample"
    replaces = False  # True: responses replace the completions they were made from

    def __init__(self, n: int = 1, r1_conventions: bool = True, think_prefix: bool = False):
        if n < 1:
            raise ValueError("n must be >= 1")
        self.n, self.r1_conventions, self.think_prefix = n, r1_conventions, think_prefix

    def messages(self, record: dict[str, Any]) -> list[dict[str, str]]:
        return build_messages(record, self.r1_conventions)

    def prefix(self, record: dict[str, Any]) -> str:
        return THINK_PREFIX if self.think_prefix else ""

    def requests(self, record: dict[str, Any]) -> list[Request]:
        messages, prefix = self.messages(record), self.prefix(record)
        return [Request(messages, sample_index, prefix) for sample_index in range(self.n)]

    def annotate(self, record: dict[str, Any], completion: dict[str, Any]) -> None:
        completion["rollout"] = self.name

    def finish(self, record: dict[str, Any], completions: list[dict[str, Any]]) -> int:
        """Put the responses (in sample order) into the record; return how many completions were added."""
        for c in completions:
            self.annotate(record, c)
        record["completions"] = [*record.get("completions", []), *completions]
        return len(completions)


class FewShotRollout(Rollout):
    """Few-shot long-CoT prompting: ``shots`` worked examples (``prompt``, ``reasoning``, ``summary``,
    from a JSONL file) as earlier user/assistant turns, chosen per record by a hash of its id (so that
    the prompts vary but reruns ask the same thing); an example with the record's own prompt is never
    shown."""

    name = "few_shot"

    def __init__(self, examples: str, shots: int = 2, n: int = 1, think_prefix: bool = False, **kw):
        super().__init__(n, think_prefix=think_prefix, **kw)
        from r1data.io.readers import read_jsonl

        self.examples = list(read_jsonl(resolve_path(examples)))
        missing = [i for i, e in enumerate(self.examples) if not {"prompt", "reasoning", "summary"} <= set(e)]
        if missing:
            raise ValueError(f"{examples}: examples {missing[:5]} lack prompt/reasoning/summary")
        if len(self.examples) < 1 or shots < 1:
            raise ValueError("few_shot needs at least one example and shots >= 1")
        self.shots = shots
        self.instruction = load_template("few_shot_instruction.txt").strip()

    def messages(self, record):
        question = build_messages(record, self.r1_conventions)
        own = prompt_text(record).strip()
        pool = [e for e in self.examples if e["prompt"].strip() != own]
        start = int(hashlib.sha256(str(record["id"]).encode()).hexdigest(), 16) % max(1, len(pool))
        chosen = [pool[(start + i) % len(pool)] for i in range(min(self.shots, len(pool)))]
        turns: list[dict[str, str]] = []
        for i, example in enumerate(chosen):
            user = example["prompt"] if i else f"{self.instruction}\n\n{example['prompt']}"
            turns.append({"role": "user", "content": user})
            turns.append(
                {
                    "role": "assistant",
                    "content": f"<think>\n{example['reasoning'].strip()}\n</think>\n\n{example['summary'].strip()}",
                }
            )
        return turns + question


class TemplateRollout(Rollout):
    """The prompt placed into a template (``{problem}``)."""

    template_name = ""

    def __init__(self, n: int = 1, template: str | None = None, **kw):
        super().__init__(n, **kw)
        self.template = load_template(template or self.template_name)

    def messages(self, record):
        return [
            {"role": "user", "content": fill_template(self.template, problem=prompt_text(record).strip())}
        ]


class ReflectVerifyRollout(TemplateRollout):
    name = "reflect_verify"
    template_name = "reflect_verify.txt"


class RewriteRollout(Rollout):
    """One request per existing completion; the response replaces it (the old text is kept as
    ``source_text``; verdicts and parsed fields of the old text are removed: verify again)."""

    replaces = True
    template_name = ""
    field = ""

    def __init__(self, template: str | None = None, think_prefix: bool = False, **kw):
        super().__init__(1, think_prefix=think_prefix, **kw)
        self.template = load_template(template or self.template_name)

    def requests(self, record):
        problem = prompt_text(record).strip()
        prefix = self.prefix(record)
        return [
            Request(
                [
                    {
                        "role": "user",
                        "content": fill_template(
                            self.template, problem=problem, **{self.field: c.get("text", "")}
                        ),
                    }
                ],
                sample_index,
                prefix,
            )
            for sample_index, c in enumerate(record.get("completions") or [])
        ]

    def finish(self, record, completions):
        old = record.get("completions") or []
        new = []
        for source, c in zip(old, completions, strict=True):
            self.annotate(record, c)
            c["source_text"] = source.get("text", "")
            if source.get("model"):
                c["source_model"] = source["model"]
            new.append(c)
        record["completions"] = new
        return 0


class ReformatRollout(RewriteRollout):
    name = "reformat"
    template_name = "reformat.txt"
    field = "trace"


class RefineRollout(RewriteRollout):
    name = "refine"
    template_name = "refine.txt"
    field = "solution"


class Router:
    """Trivial prompt or not, by the patterns of a file (one regex per line, ``#`` comments)."""

    _STRIP = re.compile(r"^[\s\"'¡¿]+|[\s!?.,。！？、~…\"']+$")

    def __init__(self, patterns: str = "trivial_prompts.txt", max_chars: int = 80):
        lines = [ln.strip() for ln in load_template(patterns).splitlines()]
        body = "|".join(f"(?:{ln})" for ln in lines if ln and not ln.startswith("#"))
        self.pattern = re.compile(f"^(?:{body})$", re.IGNORECASE)
        self.max_chars = max_chars

    def trivial(self, prompt: str) -> bool:
        text = self._STRIP.sub("", prompt)
        return len(text) <= self.max_chars and bool(self.pattern.match(text))


class RouterRollout(Rollout):
    """Non-reasoning prompts: a direct answer for trivial ones, a generated CoT then the answer for
    the others (``cot_template``, or with ``think_prefix`` a reasoning teacher's own ``<think>``)."""

    name = "router"

    def __init__(
        self,
        n: int = 1,
        patterns: str = "trivial_prompts.txt",
        cot_template: str | None = "cot_answer.txt",
        think_prefix: bool = False,
        **kw,
    ):
        super().__init__(n, r1_conventions=False, think_prefix=think_prefix, **kw)
        self.router = Router(patterns)
        self.cot_template = load_template(cot_template) if cot_template else None

    def _trivial(self, record) -> bool:
        return self.router.trivial(prompt_text(record))

    def messages(self, record):
        messages = build_messages(record, r1_conventions=False)
        if self._trivial(record) or not self.cot_template:
            return messages
        last = messages[-1]
        return [*messages[:-1], {**last, "content": fill_template(self.cot_template, prompt=last["content"])}]

    def prefix(self, record):
        return THINK_PREFIX if self.think_prefix and not self._trivial(record) else ""

    def annotate(self, record, completion):
        super().annotate(record, completion)
        completion["cot"] = not self._trivial(record)


ROLLOUTS: dict[str, type[Rollout]] = {
    "sample": Rollout,
    "few_shot": FewShotRollout,
    "reflect_verify": ReflectVerifyRollout,
    "reformat": ReformatRollout,
    "refine": RefineRollout,
    "router": RouterRollout,
}


def make_rollout(method: str = "sample", **options: Any) -> Rollout:
    if method not in ROLLOUTS:
        raise ValueError(f"unknown rollout method {method!r}; known: {', '.join(ROLLOUTS)}")
    return ROLLOUTS[method](**options)
