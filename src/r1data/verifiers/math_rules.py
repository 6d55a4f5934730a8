"""Pure-Python rules for math answers: normalisation, exact numbers, choices, hedges, requested forms.

Everything here is linear in its (bounded) input and never calls sympy, so it runs in-process before
the bounded pool: most pairs are decided here, and only the rest pay for math-verify.

>>> normalize(r"10,\\!080") == normalize("10080"), normalize(r"\\dfrac12") == normalize(r"\\frac{1}{2}")
(True, True)
>>> as_number(r"-\\frac{6}{4}"), as_number("0.5"), as_number("x")
(Fraction(-3, 2), Fraction(1, 2), None)
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

# -- normalisation ------------------------------------------------------------------------------
_DELIMS = re.compile(r"^\$+|\$+$|^\\\(|\\\)$|^\\\[|\\\]$")
_SPACING = re.compile(r"\\left|\\right|\\displaystyle|\\[!,;:> ]|\\q?quad|~")
_TEXT = re.compile(r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|textnormal|operatorname)\s*\{([^{}]*)\}")
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\^\{\\text\{o\}\}")
_PERCENT = re.compile(r"\\%|%")
_ASSIGN = re.compile(r"^[a-zA-Z](?:_\{?\w+\}?)?\s*=(?!=)")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")
_FRAC_HALF_SHORT = re.compile(r"\\frac\s*\{([^{}]+)\}\s*(\d)")
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d+)")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_UNIT_WORD = re.compile(r"^\s*[a-zA-Z][a-zA-Z .^\d/]*$")
_UNICODE = {"π": r"\pi", "∞": r"\infty", "√": r"\sqrt", "−": "-", "×": r"\times", "·": r"\cdot", "≤": r"\le",
            "≥": r"\ge", "ℝ": r"\mathbb{R}"}


def _unwrap_text(s: str) -> str:
    """``\\text{…}``: a unit or word next to a value is dropped (``5\\text{ cm}``); alone it is kept
    (``\\text{(C)}`` → ``(C)``, ``\\text{east}`` → ``east``)."""
    for _ in range(4):
        m = _TEXT.search(s)
        if not m:
            return s
        rest = (s[: m.start()] + s[m.end():]).strip()
        inner = m.group(1)
        keep = not rest or not _UNIT_WORD.match(inner) or rest in "()[]"
        s = s[: m.start()] + (inner if keep else "") + s[m.end():]
    return s


def normalize(answer: str) -> str:
    """A canonical spelling used for exact comparison; conservative: two different answers never
    become equal, two spellings of one answer often do."""
    s = answer.strip()
    for k, v in _UNICODE.items():
        s = s.replace(k, v)
    s = s.replace("\\$", "")  # currency
    s = _DELIMS.sub("", s).strip()
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("{,}", ",")
    s = _SPACING.sub(" ", s)
    s = _DEGREES.sub("", s)
    s = _PERCENT.sub("", s)
    s = _unwrap_text(s)
    s = s.strip().rstrip(".").strip()
    if _ASSIGN.match(s) and s.count("=") == 1:
        s = _ASSIGN.sub("", s)
    s = "".join(s.split())
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    return s


# -- exact numbers ----------------------------------------------------------------------------
_INT = r"-?\d+"
_NUMBER = re.compile(rf"^({_INT}(?:\.\d+)?|-?\.\d+)$")
_FRAC = re.compile(rf"^(-?)\\frac\{{({_INT})\}}\{{({_INT})\}}$")
_SLASH = re.compile(rf"^({_INT})/({_INT})$")


def as_number(norm: str) -> Fraction | None:
    """The exact value of a normalised plain number (integer, decimal, ``\\frac{a}{b}``, ``a/b``)."""
    if len(norm) > 60:
        return None
    if _NUMBER.match(norm):
        return Fraction(norm)
    m = _FRAC.match(norm) or _SLASH.match(norm)
    if m:
        sign, num, den = ("", *m.groups()) if len(m.groups()) == 2 else m.groups()
        if int(den) == 0:
            return None
        value = Fraction(int(num), int(den))
        return -value if sign else value
    return None


# -- multiple choice --------------------------------------------------------------------------
_CHOICE = re.compile(r"^\(?([A-E])\)?(?:\b|$)")


def choice_letter(norm: str) -> str | None:
    """``(B)``, ``B``, ``\\textbf{(B)}``, ``(B)12`` → ``"B"``; anything else → None."""
    m = _CHOICE.match(norm)
    if not m:
        return None
    rest = norm[m.end():]
    return m.group(1) if not rest or rest[0] in "0123456789-\\" and norm.startswith("(") else None


# -- structure --------------------------------------------------------------------------------
def top_level_items(norm: str) -> list[str]:
    """Split on commas and semicolons outside brackets: ``4,\\frac{7}{2}`` → two items, ``(1,2)`` → one."""
    depth, items, start = 0, [], 0
    for i, ch in enumerate(norm):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in ",;" and depth == 0:
            items.append(norm[start:i])
            start = i + 1
    items.append(norm[start:])
    return [x for x in items if x]


def is_interval(norm: str) -> bool:
    return len(norm) >= 5 and norm[0] in "([" and norm[-1] in ")]" and len(top_level_items(norm[1:-1])) == 2


MAX_ANSWER_CHARS = 400
_EXPONENT = re.compile(r"\^\s*\{?\s*(\d+)")


def bomb_reason(norm: str) -> str | None:
    """Why an answer is too costly to give to a CAS (towers, deep nesting, huge symbolic powers)."""
    if len(norm) > MAX_ANSWER_CHARS:
        return "answer_too_long"
    depth = peak = 0
    for ch in norm:
        depth += ch == "{"
        depth -= ch == "}"
        peak = max(peak, depth)
    if peak > 12:
        return "nesting_too_deep"
    if norm.count("^") >= 4 and re.search(r"\^\{[^{}]*\^\{[^{}]*\^\{", norm):
        return "exponent_tower"
    if any(int(e) > 200 for e in _EXPONENT.findall(norm)) and re.search(r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", norm)):
        return "symbolic_power_too_large"
    return None


# -- what the question asks for ---------------------------------------------------------------
_COMMON_FRACTION = re.compile(r"common fraction", re.I)
_GCD_ONE = re.compile(r"\\gcd\s*\(\s*\|?A\|?\s*,.*?\)\s*=\s*1", re.S)
_APPROX_OK = re.compile(r"nearest|round|approximat|estimate|decimal place|significant|to the tenth|"
                        r"to the hundredth|\\approx", re.I)


def requirements(prompt: str | None) -> frozenset[str]:
    """Normal forms the question explicitly asks for."""
    if not prompt:
        return frozenset()
    req = set()
    if _COMMON_FRACTION.search(prompt):
        req.add("common_fraction")
    if _GCD_ONE.search(prompt):
        req.add("gcd_one")
    if _APPROX_OK.search(prompt):
        req.add("approximation_allowed")
    return frozenset(req)


def violates_form(pred_norm: str, req: frozenset[str]) -> bool:
    if "common_fraction" in req:
        if re.search(r"\d\.\d", pred_norm):  # a decimal where a common fraction was asked
            return True
        m = _FRAC.match(pred_norm) or _SLASH.match(pred_norm)
        if m:
            num, den = m.groups()[-2:]
            if math.gcd(int(num), int(den)) != 1:
                return True
    if "gcd_one" in req and "=" in pred_norm:
        coefficients = [int(c) for c in re.findall(r"\d+", pred_norm)]
        if coefficients and math.gcd(*coefficients) > 1:
            return True
    return False


_APPROX = re.compile(r"\\approx|≈|\\sim(?![a-z])")


def is_approximate(raw: str) -> bool:
    return bool(_APPROX.search(raw))
