"""Measure the language-mix detector on synthetic chains of thought built from real sentences.

A document is 8 sentences of language A, joined like a reasoning trace and sprinkled with LaTeX and
numbers (which the detector must ignore); a *mixed* document also has ``k`` sentences of language B
inserted at random places. Precision and recall of the ``mixed`` flag are computed over clean and
mixed documents of every pair.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from r1data.verifiers.language import LanguageConfig, language_consistency

DEFAULT_PAIRS = [
    ("en", "zh"),
    ("zh", "en"),
    ("en", "ru"),
    ("en", "de"),
    ("en", "ja"),
    ("en", "el"),
    ("en", "ko"),
    ("de", "en"),
    ("ru", "en"),
    ("ja", "en"),
    ("en", "fr"),
    ("fr", "en"),
    ("en", "ar"),
]
_MATH = [
    "$x^2 + 2x + 1 = 0$",
    "\\(\\frac{3}{4}\\)",
    "$a_n = 2n + 1$",
    "42",
    "\\[\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}\\]",
    "$\\sqrt{2}$",
    "3.14",
    "$f(x) = \\sin x$",
]


@dataclass
class Mixture:
    text: str
    target: str
    mixed: bool


def load_sentences(folder: Path, language: str) -> list[str]:
    return [
        line.strip()
        for line in (folder / f"{language}.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def build_mixtures(
    folder: Path,
    pairs=DEFAULT_PAIRS,
    docs_per_pair: int = 60,
    seed: int = 0,
    ks=(1, 2, 3),
    sentences_per_doc: int = 8,
) -> list[Mixture]:
    rng = random.Random(seed)
    cache: dict[str, list[str]] = {}
    out = []
    for a, b in pairs:
        sa = cache.setdefault(a, load_sentences(folder, a))
        sb = cache.setdefault(b, load_sentences(folder, b))
        for i in range(docs_per_pair):
            body = rng.sample(sa, sentences_per_doc)
            for j in range(0, len(body), 3):
                body[j] = f"{body[j]} {rng.choice(_MATH)}"
            mixed = i % 2 == 1
            if mixed:
                for sentence in rng.sample(sb, ks[(i // 2) % len(ks)]):
                    body.insert(rng.randrange(len(body) + 1), sentence)
            out.append(Mixture("\n\n".join(body), a, mixed))
    return out


def evaluate(mixtures: list[Mixture], config: LanguageConfig | None = None) -> dict:
    """Precision and recall of ``mixed`` over all ``mixtures``, with the confusion counts (for one
    language pair, pass that pair's mixtures)."""
    tp = fp = fn = tn = 0
    for m in mixtures:
        predicted = language_consistency(m.text, m.target, config or LanguageConfig())["mixed"]
        tp += predicted and m.mixed
        fp += predicted and not m.mixed
        fn += (not predicted) and m.mixed
        tn += (not predicted) and not m.mixed
    return {
        "precision": tp / max(1, tp + fp),
        "recall": tp / max(1, tp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }
