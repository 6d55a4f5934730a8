"""Per-completion filters as datatrove steps: language consistency and readability.

Each completion gains ``filters.<name>`` (scores and reasons). Unless ``annotate_only``, a failing
completion is dropped (reason ``<name>_<reason>``: ``language_mixed``, ``readability_repetition`` …),
and a record left without completions is dropped too (``no_completions_left``). The pass rate does
not depend on where a filter runs: the verify step records it when correctness becomes known.
"""

from __future__ import annotations

import re
from typing import Any

from r1data.core.completion import cot
from r1data.core.configs import option
from r1data.core.step import DropConfig, R1Step
from r1data.filters.readability import ReadabilityConfig, check_readability
from r1data.schemas.records import prompt_text
from r1data.verifiers.language import LanguageConfig, detect_language, language_consistency


class LanguageFilterConfig(DropConfig):
    target_language: str | None = option(
        None, "ISO 639-1 code of the expected reasoning language (default: the record's, else its prompt's)"
    )
    min_consistency: float = option(0.9, "mixed below this share of target-language words", ge=0, le=1)
    min_foreign_words: int = option(3, "… and with at least this many foreign words", ge=0)
    ignore_terms: list[str] | None = option(
        None, "words never counted as foreign (the assistant's name, its maker, product names)"
    )


class ReadabilityFilterConfig(ReadabilityConfig, DropConfig):
    """The readability thresholds (:class:`~r1data.filters.readability.ReadabilityConfig`) and
    ``annotate_only``."""


class CompletionFilter(R1Step):
    """Base: ``judge(record, completion) -> (annotation, failure reason or None)``."""

    filter_name = "filter"
    Config = DropConfig

    def judge(self, record: dict[str, Any], completion: dict[str, Any]) -> tuple[dict, str | None]:
        raise NotImplementedError

    def process(self, data):
        for doc in data:
            record = doc.metadata
            completions = record.get("completions") or []
            kept, failed = [], {}
            for c in completions:
                annotation, failure = self.judge(record, c)
                c.setdefault("filters", {})[self.filter_name] = annotation
                if failure and not self.config.annotate_only:
                    failed.setdefault(f"{self.filter_name}_{failure}", []).append(c)
                else:
                    kept.append(c)
            self.stat_update(f"{self.filter_name}_checked", value=len(completions))
            for reason, dropped in failed.items():
                self.drop_completions(doc, dropped, reason)
            record["completions"] = kept
            if completions and not kept:
                self.drop_record(doc, "no_completions_left")
                continue
            yield doc


class LanguageMixFilter(CompletionFilter):
    """Drop chains of thought that mix languages (see :mod:`r1data.verifiers.language`).

    Args:
        target_language: ISO 639-1 code; default: the record's ``language``, else detected from the prompt.
        min_consistency / min_foreign_words: thresholds of the ``mixed`` flag.
        ignore_terms: words never counted as foreign (the assistant's name, its maker, product names
            that stay in Latin script inside Chinese or Japanese text).
    """

    name = "🌐 language mix"
    filter_name = "language"
    Config = LanguageFilterConfig

    def __init__(self, *args: Any, **params: Any):
        super().__init__(*args, **params)
        c = self.config
        terms = sorted({t for t in c.ignore_terms or () if t and t.strip()}, key=len, reverse=True)
        self._ignore = re.compile("|".join(re.escape(t) for t in terms)) if terms else None
        self.language = LanguageConfig(
            min_foreign_words=c.min_foreign_words, min_consistency=c.min_consistency
        )
        self._targets: dict[str, str] = {}

    def target_of(self, record: dict[str, Any]) -> str:
        if self.config.target_language:
            return self.config.target_language
        if record.get("language"):
            return record["language"]
        key = record.get("id", "")
        if key not in self._targets:
            if len(self._targets) > 10_000:
                self._targets.clear()
            self._targets[key] = detect_language(prompt_text(record))
        return self._targets[key]

    def judge(self, record, completion):
        text = cot(completion)
        if self._ignore is not None:
            text = self._ignore.sub(" ", text)
        result = language_consistency(text, self.target_of(record), self.language)
        result["consistency"] = round(result["consistency"], 4)
        return result, "mixed" if result["mixed"] else None


class ReadabilityFilter(CompletionFilter):
    """Drop unreadable completions (see :mod:`r1data.filters.readability`); parameters are the fields of
    :class:`~r1data.filters.readability.ReadabilityConfig` and ``annotate_only``."""

    name = "📖 readability"
    filter_name = "readability"
    Config = ReadabilityFilterConfig

    def __init__(self, *args: Any, **params: Any):
        super().__init__(*args, **params)
        self._length = None

    def judge(self, record, completion):
        if self._length is None:
            from r1data.filters.readability import _Length

            tokenizer = None
            if self.config.tokenizer:
                from transformers import AutoTokenizer

                tokenizer = AutoTokenizer.from_pretrained(self.config.tokenizer)
            self._length = _Length(tokenizer)
        result = check_readability(completion, record.get("domain", "math"), self.config, self._length)
        return result, (result["reasons"][0] if result["reasons"] else None)
