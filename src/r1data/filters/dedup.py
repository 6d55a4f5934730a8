"""Exact deduplication of prompts after normalisation (case, whitespace, LaTeX spacing).

The first record with a given normalised prompt is kept (input order, so deterministic); later ones are
dropped with ``duplicate_prompt``. Within one task: give the stage ``tasks: 1`` for a global pass (it
only hashes prompts, so one task keeps up with the rest of a pipeline).
"""

from __future__ import annotations

import xxhash

from r1data.filters.textnorm import tokens
from r1data.pipelines.step import R1Step


def prompt_key(text: str) -> int:
    return xxhash.xxh64_intdigest(" ".join(tokens(text)).encode())


class ExactDedup(R1Step):
    name = "🫂 exact dedup"

    def __init__(self, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.seen: set[int] = set()

    def process(self, data):
        for doc in data:
            key = prompt_key(doc.metadata.get("prompt") or doc.text)
            if key in self.seen:
                self.drop_record(doc, "duplicate_prompt")
                continue
            self.seen.add(key)
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

    def __init__(self, remove_folder: str, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.remove_folder = remove_folder

    def run(self, data, rank: int = 0, world_size: int = 1):
        import os
        import struct

        path = os.path.join(self.remove_folder, f"{rank:06d}.remove")
        remove: set[int] = set()
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw = f.read()
            remove = {v for (v,) in struct.iter_unpack("<I", raw)}
        self._rank = rank
        for index, doc in enumerate(data):
            if index in remove:
                self.drop_record(doc, "near_duplicate_prompt")
                continue
            yield doc
