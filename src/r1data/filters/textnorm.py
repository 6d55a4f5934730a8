"""Text normalisation shared by decontamination and dedup: case, whitespace and LaTeX spacing.

>>> tokens(r"Find $\\dfrac{1}{2} + x$ .") == tokens(r"find  \\(\\frac12+x\\).")
True
"""

from __future__ import annotations

import re

_ASY = re.compile(r"\[asy\].*?\[/asy\]", re.S | re.I)  # Asymptote drawings: coordinates, not words
_LATEX_NOISE = re.compile(r"\\left|\\right|\\displaystyle|\\[,;:! ]|\\q?quad|~|\$+|\\\(|\\\)|\\\[|\\\]")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")
_TOKEN = re.compile(r"\\[a-z]+|[^\W_]+|[^\w\s{}]")


def normalize(text: str) -> str:
    text = _ASY.sub(" ", text).lower().replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    text = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", text)
    return _LATEX_NOISE.sub(" ", text)


def tokens(text: str) -> list[str]:
    """Words, numbers, LaTeX commands and symbols; braces and spacing dropped."""
    return _TOKEN.findall(normalize(text))
