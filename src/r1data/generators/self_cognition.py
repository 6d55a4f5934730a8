"""Self-cognition data: questions about the assistant's identity, answered from templates with a
configurable assistant name and maker, in several languages (``templates/self_cognition.yaml``).

The answers need no model: they are written straight into the record as one completion each, with a
``pass`` verdict from ``template`` (the quality judge leaves those alone) and no chain of thought.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import yaml
from datatrove.data import Document

from r1data.core.configs import Config, option
from r1data.core.paths import fill_template
from r1data.core.step import R1Step
from r1data.verifiers.base import verdict


def load_self_cognition(path: str | None = None) -> dict[str, list[dict[str, str]]]:
    if path:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    text = (
        resources.files("r1data.generators").joinpath("templates", "self_cognition.yaml").read_text("utf-8")
    )
    return yaml.safe_load(text)


def self_cognition_records(
    name: str, maker: str, languages: list[str] | None = None, templates: str | None = None
) -> list[dict[str, Any]]:
    table = load_self_cognition(templates)
    languages = languages or sorted(table)
    unknown = [lang for lang in languages if lang not in table]
    if unknown:
        raise ValueError(f"no self-cognition templates for {unknown}; available: {sorted(table)}")
    out = []
    for lang in languages:
        for pair in table[lang]:
            question = fill_template(pair["q"], name=name, maker=maker)
            digest = hashlib.sha256(f"{lang}\0{question}".encode()).hexdigest()[:12]
            out.append(
                {
                    "id": f"self-cognition-{lang}-{digest}",
                    "domain": "self_cognition",
                    "prompt": question,
                    "language": lang,
                    "source": "r1data/self_cognition",
                    "completions": [
                        {
                            "text": fill_template(pair["a"], name=name, maker=maker),
                            "finish_reason": "stop",
                            "model": "template",
                            "rollout": "self_cognition",
                            "cot": False,
                            "verdict": verdict("pass", "template", "template", "1"),
                            "correct": True,
                        }
                    ],
                }
            )
    return out


class SelfCognitionConfig(Config):
    name: str = option(..., "the assistant's name", min_length=1)
    maker: str = option(..., "who made the assistant", min_length=1)
    languages: list[str] | None = option(
        None, "template languages (default: all; en, zh, es, fr, de, ru, ja ship)"
    )
    templates: str | None = option(None, "another YAML file of {language: [{q, a}, …]} with {name}/{maker}")


class SelfCognition(R1Step):
    """Pass records through and add the self-cognition records (task 0 only, after its input).

    Args:
        name / maker: the assistant's name and who made it.
        languages: template languages to use (default: all; en, zh, es, fr, de, ru, ja ship).
        templates: another YAML file of ``{language: [{q, a}, …]}`` with ``{name}``/``{maker}`` fields.
    """

    name = "🪪 self-cognition"
    Config = SelfCognitionConfig

    def __init__(self, *args, **params):
        super().__init__(*args, **params)
        c = self.config
        self.records = self_cognition_records(c.name, c.maker, c.languages, c.templates)

    def process(self, data):
        yield from data
        if self._rank != 0:
            return
        for record in self.records:
            self.stat_update("records_added")
            self.stat_update("completions_generated", value=len(record["completions"]))
            yield Document(text=record["prompt"], id=record["id"], metadata=dict(record))
