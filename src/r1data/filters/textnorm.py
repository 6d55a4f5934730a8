"""Text normalisation shared by decontamination and dedup: case, whitespace and LaTeX spacing; and a
word count that holds for scripts written without spaces.

>>> tokens(r"Find $\\dfrac{1}{2} + x$ .") == tokens(r"find  \\(\\frac12+x\\).")
True
>>> word_count("the area is 40"), word_count("面积是40平方厘米"), word_count("ราคาเท่าไร")
(4, 8, 4)
"""

from __future__ import annotations

import re

_ASY = re.compile(r"\[asy\].*?\[/asy\]", re.S | re.I)  # Asymptote drawings: coordinates, not words
_LATEX_NOISE = re.compile(r"\\left|\\right|\\displaystyle|\\[,;:! ]|\\q?quad|~|\$+|\\\(|\\\)|\\\[|\\\]")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")
_TOKEN = re.compile(r"\\[a-z]+|[^\W_]+|[^\w\s{}]")


# Han, kana and Thai are written without spaces: each Han or kana character counts as a word, Thai as a
# third of one (a Thai word is ~3 characters); every other run of non-space characters is one word
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")


def word_count(text: str) -> int:
    """Words of ``text`` in any script (whitespace words, with unspaced scripts counted by character)."""
    han = len(_UNSPACED.findall(text))
    thai = len(_THAI.findall(text))
    if not han and not thai:
        return len(text.split())
    rest = _THAI.sub(" ", _UNSPACED.sub(" ", text))
    return len(rest.split()) + han + -(-thai // 3)


def normalize(text: str) -> str:
    text = _ASY.sub(" ", text).lower().replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    text = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", text)
    return _LATEX_NOISE.sub(" ", text)


def tokens(text: str) -> list[str]:
    """Words, numbers, LaTeX commands and symbols; braces and spacing dropped."""
    return _TOKEN.findall(normalize(text))
