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
