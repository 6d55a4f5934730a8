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
    if not re.search(r"\d|\\[a-zA-Z]|\$", statement) and len(statement.split()) > 3:
        return None, "no concluding statement", ""
    return None, None, statement


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


def strip_closing(text: str) -> str:
    """The text without the closing pleasantries that follow an answer ("Let me know if …", "I hope
    this helps") and without trailing markdown emphasis."""
    statements = _statements(text[-3000:])
    while statements and _PLEASANTRY.search(statements[-1]):
        statements.pop()
    return "\n".join(statements).rstrip(" *_\n")


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
                return _clean_answer(matches[-1].group("a"))
    if not statements or not _CONCLUDES.search(statements[-1]) or _MATH_SPAN.search(statements[-1]):
        return None
    m = re.search(r"(?:=|\bequals\b)\s*([^=]{1,80}?)\s*[.!]?\s*$", statements[-1])
    return _clean_answer(m.group(1)) if m else None


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
