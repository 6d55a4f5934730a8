r"""Reading a final answer out of a completion's text — no comparing (that is the math verifier's):
the ``\\boxed{}`` contents of the summary, and for a summary without a box, the answer its concluding
statement states ("the answer is X", "X is the correct answer", "therefore … = X"), or the reason it
states none (a repetition loop, a placeholder box, a text that stops mid-formula). Pure string work,
linear in its bounded input.

>>> boxed_contents(r"so \boxed{\frac{1}{2}} or \boxed{3}")
['\\frac{1}{2}', '3']
"""

from __future__ import annotations

import re

from r1data.core.traces import LEAKED_SPECIAL_TOKEN

_TEXT = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|textnormal|operatorname)\s*\{([^{}]*)\}")


MAX_SUMMARY_CHARS = 16_000  # summaries are short; a longer tail is a degenerate output


def boxed_contents(text: str) -> list[str]:
    r"""Contents of every ``\boxed{…}`` / ``\fbox{…}`` with balanced braces, in order.

    >>> boxed_contents(r"so \boxed{\frac{1}{2}} or \boxed{3}")
    ['\\frac{1}{2}', '3']
    """
    out = []
    for marker in ("\\boxed", "\\fbox"):
        start = 0
        while (i := text.find(marker, start)) != -1:
            j = i + len(marker)
            while j < len(text) and text[j] == " ":
                j += 1
            start = j
            if j >= len(text) or text[j] != "{":
                continue
            depth, k = 0, j
            while k < len(text):
                if text[k] == "{":
                    depth += 1
                elif text[k] == "}":
                    depth -= 1
                    if depth == 0:
                        out.append((i, text[j + 1 : k]))
                        break
                k += 1
            start = k
    return [content for _, content in sorted(out)]


_PLACEHOLDER = re.compile(r"\\(?:[hv]?phantom\{[^{}]*\}|qquad|quad|[,;:! ])|\s")


def normalise_box(content: str) -> str:
    """Box content without spacing; empty for placeholders such as ``\\boxed{\\phantom{2}}`` that a
    response quotes from the problem statement (not an answer, so not a hedge)."""
    return _PLACEHOLDER.sub("", content)


MAX_BOXES = 10


def unboxed_answer(tail: str) -> tuple[str | None, str | None, str]:
    """A summary without a real box: ``(answer, None, _)`` when it states one (a bare answer, or what
    its concluding statement says); ``(None, why, _)`` when it has no final answer (a repetition loop,
    only placeholder boxes, a text that stops mid-formula, a last statement with nothing to read);
    ``(None, None, statement)`` when only math-verify can read its concluding statement."""
    if is_degenerate_tail(tail):
        return None, "repetition loop", ""
    if boxed_contents(tail):  # only placeholder boxes (\boxed{\phantom{…}}): no answer given
        return None, "placeholder box", ""
    body = strip_closing(tail)
    if is_unfinished(body):
        return None, "unfinished", ""
    answer = bare_answer(tail) or stated_answer(body)
    if answer is not None:
        return answer, None, ""
    statement = last_statement(body)
    if _HEDGE.search(statement):
        return None, "hedge between values", ""
    if statement.rstrip(" *_$").endswith("?"):
        return None, "ends with a question", ""
    if not re.search(r"\d|\\[a-zA-Z]|\$", statement) and len(statement.split()) > 3:
        return None, "no concluding statement", ""
    return None, None, statement


# "3 or 4", "$x=2$ or $x=5$": a final statement that leaves the choice between values
_HEDGE = re.compile(r"[\d)}$]\s*,?\s*\bor\b\s*(?:maybe\s+|perhaps\s+)?[-$\\(\d]", re.I)


def answer_in(summary: str) -> str | None:
    r"""The final answer a summary gives: its last real box; without one, a bare answer or the answer
    its concluding statement states; None when it gives none (or more than ``MAX_BOXES`` boxes).

    >>> answer_in(r"So it is $\boxed{4}$."), answer_in("The final answer is 7."), answer_in("I could not solve it.")
    ('4', '7', None)
    """
    tail = cut_at_leaked_token(summary[-MAX_SUMMARY_CHARS:])
    boxes = [b for b in boxed_contents(tail) if normalise_box(b)]
    if boxes:
        return boxes[-1] if len(boxes) <= MAX_BOXES else None
    return unboxed_answer(tail)[0]


def cut_at_leaked_token(text: str) -> str:
    """What precedes a leaked chat-template token (the model went on to write a new turn)."""
    m = LEAKED_SPECIAL_TOKEN.search(text)
    return text[: m.start()] if m else text


def is_degenerate_tail(tail: str) -> bool:
    """A summary that ends in a repetition loop: it has no final answer to extract, so math-verify need
    not look (it would only find a number inside the loop)."""
    import zlib

    data = tail[-2000:].encode("utf-8", "replace")
    return len(data) >= 1000 and len(zlib.compress(data, 6)) < 0.12 * len(data)


_WORDS = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{4,}")


def bare_answer(summary: str) -> str | None:
    """A summary that is only an answer (``$\\frac{3}{4}i$``, ``(x-2)(x+2)``): short, no prose words."""
    text = summary.strip()
    if len(text) > 80 or "\n" in text or _WORDS.search(_TEXT.sub("", text)):
        return None
    return text or None


# -- answers without a box: the concluding statement ------------------------------------------------
_PLEASANTRY = re.compile(
    r"(?:let me know|i hope (?:this|that|it) helps|hope this helps|feel free to|if you have any|"
    r"happy to help|if you(?:'d| would) like)",
    re.I,
)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*\\$(])|\n+")


_UNFINISHED_WORDS = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "of",
        "the",
        "a",
        "an",
        "to",
        "and",
        "or",
        "by",
        "as",
        "equals",
        "gives",
        "get",
        "becomes",
        "that",
        "which",
        "with",
        "for",
        "from",
        "then",
        "so",
        "therefore",
        "thus",
        "hence",
    ]
)


_ANSWER_IS = re.compile(
    r"(?:final answer|the answer|answer)[ \t]*(?:is|:|=|would be|should be|will be)[ \t]*:?[ \t]*(?P<a>[^\n]+?)"
    r"[ \t]*(?:[.!;](?:\s|$)|$)",
    re.I,
)


_IS_THE_ANSWER = re.compile(
    r"(?P<a>\$[^$]{1,80}\$|\\\(.{1,80}?\\\)|[-\w./]{1,40})\s+is\s+(?:indeed\s+|definitely\s+)?(?:the\s+)?"
    r"(?:correct|final|right|our)\s+answer",
    re.I,
)


_CONCLUDES = re.compile(r"^\W*(?:therefore|thus|hence|so|in conclusion|finally|consequently|overall)\b", re.I)


_MATH_SPAN = re.compile(r"\$\$?([^$]{1,200})\$\$?|\\\((.{1,200}?)\\\)|\\\[(.{1,200}?)\\\]", re.S)


def _statements(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


# what follows an answer without adding one: confidence, re-checks, caveats, offers to go on
_CLOSING_REMARK = re.compile(
    r"confiden|\bsure\b|\bcertain|check(?:s|ed)?\s+out|double[- ]?check|re-?check|verif|consistent|"
    r"makes?\s+sense|\bcorrect\b|\bright\b|\bvalid\b|final answer|misread|misunderstood|\bunless\b|"
    r"mistake|\berror|elaborate|further|\bquestions?\b|clarif|explain|\bhelp|walk(?:ed)? through|"
    r"\bsteps?\b|\bwork(?:ed|s)?\b|\bmatch(?:es)?\b|\bholds?\b|\bagree",
    re.I,
)


def _is_closing(statement: str) -> bool:
    """A statement that comments on an answer without stating a value: a pleasantry, or a remark
    (confidence, a re-check, a caveat) with no number, number word or formula in it."""
    if _PLEASANTRY.search(statement):
        return True
    if re.search(r"\d|\$|\\[a-zA-Z(\[]|=", statement) or number_word_value(statement) is not None:
        return False
    if _ANSWER_IS.search(statement) or _IS_THE_ANSWER.search(statement):
        return False  # "The correct answer is C."
    return bool(_CLOSING_REMARK.search(statement))


def strip_closing(text: str) -> str:
    """The text without what follows its answer: pleasantries ("Let me know if …", "I hope this
    helps"), confidence and re-check remarks ("All the steps check out; I'm confident in it.", "That
    should be the final answer, unless I misread the problem."), and trailing markdown emphasis."""
    statements = _statements(text[-3000:])
    while len(statements) > 1 and _is_closing(statements[-1]):
        statements.pop()
    if statements and _PLEASANTRY.search(statements[-1]):
        statements.pop()
    return "\n".join(statements).rstrip(" *_\n")


_UNITS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
          "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}  # fmt: skip
_NUMBER_WORD = re.compile(
    r"\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[- ](?P<unit1>" + "|".join(list(_UNITS)[1:10]) + r"))?"
    r"|(?P<unit>" + "|".join(_UNITS) + r"))(?:\s+(?P<scale>hundred|thousand))?\b",
    re.I,
)


def number_word_value(text: str) -> int | None:
    """The number a phrase names in words, when it names exactly one ("three boxes" → 3,
    "twenty-one" → 21, "one hundred" → 100); None otherwise.

    >>> number_word_value("three boxes"), number_word_value("Forty-two"), number_word_value("a few")
    (3, 42, None)
    """
    found = list(_NUMBER_WORD.finditer(text))
    if len(found) != 1:
        return None
    m = found[0]
    value = _TENS[m["tens"].lower()] + (_UNITS[m["unit1"].lower()] if m["unit1"] else 0) if m["tens"] else (
        _UNITS[m["unit"].lower()])  # fmt: skip
    if m["scale"]:
        value *= 100 if m["scale"].lower() == "hundred" else 1000
    return value


def is_unfinished(text: str) -> bool:
    """A text that stops mid-formula or mid-sentence: it ends with an operator, an opening bracket, a
    colon, or a word that cannot end a statement ("… is", "… of the")."""
    body = text.rstrip(" *_\t\n")
    if not body:
        return True
    if body[-1] in "=:,+-*/(\\^_{[<":
        return True
    last = re.findall(r"[A-Za-z]+", body[-30:])
    return bool(last) and body[-1].isalpha() and last[-1].lower() in _UNFINISHED_WORDS


_PROSE_WORD = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")


_NUMBER_WITH_UNIT = re.compile(r"^(-?\d[\d.,/]*)\s+[a-zA-Z][a-zA-Z .]*$")


def _prose(a: str) -> bool:
    return len(_PROSE_WORD.findall(_MATH_SPAN.sub(" ", a))) > 0


def _clean_answer(a: str) -> str | None:
    """The value in an answer phrase: "The volume of $ABCD$ is 120" → ``120``, "$\\frac{3}{4}$" →
    ``\\frac{3}{4}``, "3 hours" → ``3``, "east" → ``east``."""
    if "\\boxed" in a or "\\fbox" in a or "phantom" in a:
        return None  # a placeholder box quoted from the problem is no answer
    a = a.strip().strip("*").strip().rstrip(".").strip()
    if _prose(a) and len(a.split()) > 3:
        a = re.split(r"\bis\b|\bare\b|\bequals\b|\bwas\b|=|:", a)[-1].strip().rstrip(".")
        if _prose(a) and len(a.split()) > 3:
            spans = list(_MATH_SPAN.finditer(a))
            numbers = re.findall(r"-?\d+(?:[.,/]\d+)*", _MATH_SPAN.sub(" ", a))
            a = (
                (next(g for g in spans[-1].groups() if g is not None) if spans else numbers[-1])
                if (spans or numbers)
                else ""
            )
    m = _MATH_SPAN.search(a)
    if m:
        a = next(g for g in m.groups() if g is not None)
    a = a.strip().rstrip(".").strip()
    unit = _NUMBER_WITH_UNIT.match(a)
    if unit:
        a = unit.group(1)
    return a if 0 < len(a) <= 80 else None


def stated_answer(text: str) -> str | None:
    """The answer a text without a box states in so many words: "the (final) answer is X", "X is the
    correct answer", or a concluding statement (*therefore / thus / so …*) whose plain-text equation
    ends in "= X" ("Therefore a + b + c = 11 + 9 + 0 = 20."). None when it states none: then the
    answer is looked for in :func:`last_statement` only."""
    body = text.replace("**", "")
    statements = _statements(body)
    for statement in reversed(statements[-3:]):
        for pattern in (_ANSWER_IS, _IS_THE_ANSWER):
            matches = list(pattern.finditer(statement))
            if matches:
                phrase = matches[-1].group("a")
                return None if _HEDGE.search(phrase) else _clean_answer(phrase)
    if not statements:
        return None
    last = statements[-1]
    m = _FINAL_VALUE.search(last)
    value = _plain_value(m.group("a")) if m else None
    if value is not None:
        return value
    if _CONCLUDES.search(last) and not _MATH_SPAN.search(last):
        m = re.search(r"(?:=|\bequals\b)\s*([^=]{1,80}?)\s*[.!]?\s*$", last)
        if m:
            return _clean_answer(m.group(1))
    spans = list(_MATH_SPAN.finditer(last))
    if _CONCLUDES.search(last) and len(spans) == 1 and not last[spans[0].end() :].strip(" .!*"):
        formula = next(g for g in spans[0].groups() if g is not None)
        m = re.fullmatch(r"\s*[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*([^=]{1,60}?)\s*", formula)
        if m:  # "Therefore, $n = 13$."
            return m.group(1)
    if value is None and _CONCLUDES.search(last) and not re.search(r"\d|\$|\\", last):
        words = number_word_value(last)  # "So she has twenty-one marbles left."
        value = None if words is None else str(words)
    return value


# a statement that ends by naming a value: "Thus the vertex is (3, -7).", "So there are three boxes."
_FINAL_VALUE = re.compile(
    r"^.*\b(?:is|are|was|were|equals|be|gives|makes|get)\s*:?\s+(?:indeed\s+|exactly\s+|just\s+|simply\s+)?"
    r"(?P<a>[^\s].{0,60}?)\s*[.!]?\s*$",
    re.I,
)
_TUPLE = re.compile(r"^[(\[]\s*-?[\w./\\{}^]+(?:\s*,\s*-?[\w./\\{}^]+)+\s*[)\]]$")
# a number with its currency sign or unit: "$41", "1,000.99€", "12 cm", "3.5 m²" (not "5x": a variable)
_PLAIN_NUMBER = re.compile(
    r"^(?:\\?\$|[€£¥])?(-?\d[\d,]*(?:\.\d+)?(?:/\d+)?)(?:[€£¥%°]|[a-zA-Z]{1,2}[²³])?(?:\s+[a-zA-Z²³]+){0,2}$"
)


def _plain_value(a: str) -> str | None:
    """The value a final statement names, when it is plainly one: a number (with its currency sign or
    a unit), a number in words, a tuple, or a formula; None for anything else (a phrase, a hedge)."""
    a = a.strip().strip("*").strip()
    if re.search(r"\bor\b|\band\b|\beither\b|\bbetween\b|\bis\b|\bare\b", a, re.I):
        return None  # a hedge between several values is no answer; nor is a clause
    m = _MATH_SPAN.fullmatch(a)
    if m:
        return next(g for g in m.groups() if g is not None).strip()
    m = _PLAIN_NUMBER.match(a)
    if m:
        return (
            m.group(1).replace(",", "")
            if re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", m.group(1))
            else m.group(1)
        )
    if _TUPLE.match(a):
        return a
    words = a.split()
    if len(words) <= 5 and number_word_value(a) is not None and not re.search(r"\d", a):
        return str(number_word_value(a))
    if len(a) <= 40 and not _WORDS.search(_TEXT.sub("", a)):
        return a  # a plain formula: "-2 + 7i", "2k + 2", "5x - 7y + 11z + 4 = 0", "B"
    if re.fullmatch(r"[A-Z][a-z]+", a):
        return a  # one word, a name: "Navin"
    return None


_PARAGRAPH = re.compile(r"\n\s*\n")


_LAST_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def last_statement(text: str) -> str:
    """The concluding statement of a text: its last paragraph (with the one before when the last is
    only a formula: "… the answer is:\n\n$$5$$"), and of that the last sentence."""
    paragraphs = [p for p in _PARAGRAPH.split(text.strip()) if p.strip()]
    if not paragraphs:
        return ""
    last = paragraphs[-1]
    if len(paragraphs) > 1 and not re.search(r"[A-Za-z]{3,}", _MATH_SPAN.sub("", last)):
        return paragraphs[-2].strip()[-300:] + "\n\n" + last
    sentences = _LAST_SENTENCE.split(last)
    return (
        sentences[-1] if _MATH_SPAN.search(sentences[-1]) or len(sentences) == 1 else " ".join(sentences[-2:])
    )
