"""Exact deduplication of prompts after normalisation (case, whitespace, LaTeX spacing).

The first record with a given normalised prompt is kept (input order, so deterministic); later ones are
dropped with ``duplicate_prompt``. Within one task: give the stage ``tasks: 1`` for a global pass (it
only hashes prompts, so one task keeps up with the rest of a pipeline).
"""

from __future__ import annotations

from typing import Any

import xxhash

from r1data.core.configs import option
from r1data.core.step import DropConfig, R1Step
from r1data.filters.textnorm import tokens


def prompt_key(text: str) -> int:
    return xxhash.xxh64_intdigest(" ".join(tokens(text)).encode())


class ExactDedup(R1Step):
    name = "🫂 exact dedup"
    Config = DropConfig

    def __init__(self, *args: Any, **params: Any):
        super().__init__(*args, **params)
        self.seen: dict[int, str] = {}

    def process(self, data):
        for doc in data:
            key = prompt_key(doc.metadata.get("prompt") or doc.text)
            if key in self.seen:
                doc.metadata["duplicate_of"] = self.seen[key]
                self.stat_update("duplicate_prompts_found")
                if not self.config.annotate_only:
                    self.drop_record(doc, "duplicate_prompt")
                    continue
            else:
                self.seen[key] = doc.metadata.get("id", doc.id)
            yield doc


class PromptTokenizer:
    """Word tokenizer for datatrove's MinHash: words, numbers, LaTeX commands and symbols after
    normalisation, and every Chinese/Japanese character as a token (so near-duplicate detection works
    without a language-specific segmenter)."""

    def __init__(self):
        from datatrove.utils.word_tokenizers import WordTokenizer

        class _Tok(WordTokenizer):
            def word_tokenize(self, text: str) -> list[str]:
                out = []
                for tok in tokens(text):
                    if _CJK.search(tok):
                        out.extend(ch for ch in tok)
                    else:
                        out.append(tok)
                return out

            def sent_tokenize(self, text: str) -> list[str]:
                return [text]

            def span_tokenize(self, text: str) -> list[tuple[int, int]]:
                return [(0, len(text))]

        self.tokenizer = _Tok("r1data")


_CJK = __import__("re").compile(r"[\u3040-\u30ff\u3400-\u9fff]")


class NearDupFilterConfig(DropConfig):
    positional = ("remove_folder", "annotate_only")
    remove_folder: str = option(..., "where datatrove's MinHash clustering wrote <rank>.remove")


class NearDupFilter(R1Step):
    """Last stage of near-duplicate removal: drop the documents datatrove's MinHash clustering listed in
    ``<rank>.remove`` (one per cluster is kept), with reason ``near_duplicate_prompt``."""

    name = "🫂 near-dup filter"
    Config = NearDupFilterConfig

    def process(self, data):
        import os
        import struct

        path = os.path.join(self.config.remove_folder, f"{self._rank:06d}.remove")
        remove: set[int] = set()
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw = f.read()
            remove = {v for (v,) in struct.iter_unpack("<I", raw)}
        for index, doc in enumerate(data):
            if index in remove:
                doc.metadata["near_duplicate"] = True
                self.stat_update("near_duplicate_prompts_found")
                if not self.config.annotate_only:
                    self.drop_record(doc, "near_duplicate_prompt")
                    continue
            yield doc


def _shingles(text: str, n: int) -> set[int]:
    toks = PromptTokenizer().tokenizer.word_tokenize(text)
    if len(toks) < n:
        return {xxhash.xxh64_intdigest(" ".join(toks).encode())} if toks else set()
    return {xxhash.xxh64_intdigest(" ".join(toks[i : i + n]).encode()) for i in range(len(toks) - n + 1)}


class CompletionDedupConfig(DropConfig):
    threshold: float = option(
        0.8, "word n-gram Jaccard similarity at which a completion is a duplicate", gt=0, le=1
    )
    n: int = option(5, "n-gram size in words", ge=1)


class CompletionDedup(R1Step):
    """Near-duplicate completions within one prompt's set (after selection, typically): a completion
    whose word n-gram Jaccard similarity with an earlier kept one is ≥ ``threshold`` is dropped
    (``duplicate_completion``). Exact within a record (all pairs), so it needs no MinHash: a prompt has
    a handful of samples."""

    name = "🫂 completion dedup"
    Config = CompletionDedupConfig

    def process(self, data):
        for doc in data:
            kept, seen, duplicates = [], [], []
            for c in doc.metadata.get("completions") or []:
                grams = _shingles(c.get("text", ""), self.config.n)
                similar = max((len(grams & g) / max(1, len(grams | g)) for g in seen), default=0.0)
                if similar >= self.config.threshold:
                    c["near_duplicate"] = round(similar, 3)
                    if not self.config.annotate_only:
                        duplicates.append(c)
                        continue
                seen.append(grams)
                kept.append(c)
            self.drop_completions(doc, duplicates, "duplicate_completion")
            doc.metadata["completions"] = kept
            yield doc
