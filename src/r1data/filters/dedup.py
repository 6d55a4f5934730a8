"""Exact deduplication of prompts after normalisation (case, whitespace, LaTeX spacing).

The first record with a given normalised prompt is kept (input order, so deterministic); later ones are
dropped with ``duplicate_prompt``. Within one task: give the stage ``tasks: 1`` for a global pass (it
only hashes prompts, so one task keeps up with the rest of a pipeline).
"""

from __future__ import annotations

import xxhash

from r1data.core.step import R1Step
from r1data.filters.textnorm import tokens


def prompt_key(text: str) -> int:
    return xxhash.xxh64_intdigest(" ".join(tokens(text)).encode())


class ExactDedup(R1Step):
    name = "🫂 exact dedup"

    def __init__(self, annotate_only: bool = False):
        super().__init__()
        self.annotate_only = annotate_only
        self.seen: dict[int, str] = {}

    def process(self, data):
        for doc in data:
            key = prompt_key(doc.metadata.get("prompt") or doc.text)
            if key in self.seen:
                doc.metadata["duplicate_of"] = self.seen[key]
                self.stat_update("duplicate_prompts_found")
                if not self.annotate_only:
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


class NearDupFilter(R1Step):
    """Last stage of near-duplicate removal: drop the documents datatrove's MinHash clustering listed in
    ``<rank>.remove`` (one per cluster is kept), with reason ``near_duplicate_prompt``."""

    name = "🫂 near-dup filter"

    def __init__(self, remove_folder: str, annotate_only: bool = False):
        super().__init__()
        self.remove_folder, self.annotate_only = remove_folder, annotate_only

    def process(self, data):
        import os
        import struct

        path = os.path.join(self.remove_folder, f"{self._rank:06d}.remove")
        remove: set[int] = set()
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw = f.read()
            remove = {v for (v,) in struct.iter_unpack("<I", raw)}
        for index, doc in enumerate(data):
            if index in remove:
                doc.metadata["near_duplicate"] = True
                self.stat_update("near_duplicate_prompts_found")
                if not self.annotate_only:
                    self.drop_record(doc, "near_duplicate_prompt")
                    continue
            yield doc


def _shingles(text: str, n: int) -> set[int]:
    toks = PromptTokenizer().tokenizer.word_tokenize(text)
    if len(toks) < n:
        return {xxhash.xxh64_intdigest(" ".join(toks).encode())} if toks else set()
    return {xxhash.xxh64_intdigest(" ".join(toks[i : i + n]).encode()) for i in range(len(toks) - n + 1)}


class CompletionDedup(R1Step):
    """Near-duplicate completions within one prompt's set (after selection, typically): a completion
    whose word n-gram Jaccard similarity with an earlier kept one is ≥ ``threshold`` is dropped
    (``duplicate_completion``). Exact within a record (all pairs), so it needs no MinHash: a prompt has
    a handful of samples."""

    name = "🫂 completion dedup"

    def __init__(self, threshold: float = 0.8, n: int = 5, annotate_only: bool = False):
        super().__init__()
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        self.threshold, self.n, self.annotate_only = threshold, n, annotate_only

    def process(self, data):
        for doc in data:
            kept, seen, duplicates = [], [], []
            for c in doc.metadata.get("completions") or []:
                grams = _shingles(c.get("text", ""), self.n)
                similar = max((len(grams & g) / max(1, len(grams | g)) for g in seen), default=0.0)
                if similar >= self.threshold:
                    c["near_duplicate"] = round(similar, 3)
                    if not self.annotate_only:
                        duplicates.append(c)
                        continue
                seen.append(grams)
                kept.append(c)
            self.drop_completions(doc, duplicates, "duplicate_completion")
            doc.metadata["completions"] = kept
            yield doc
