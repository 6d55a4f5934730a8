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
_TEXT = re.compile(
    r"\\(?:text|textbf|textrm|mathrm|mathbf|mbox|textnormal|operatorname)\s*\{([^{}]*)\}"
    r"(\s*\^\s*(?:\{\s*\d\s*\}|\d))?"  # a unit's exponent: cm^2, \text{ m}^{3}
)
_DEGREES = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\^\{\\text\{o\}\}")
_PERCENT = re.compile(r"\\%|%")
_ORDINAL = re.compile(r"(?<=\d)\^\{?\\(?:mathrm|text)\{(?:st|nd|rd|th)\}\}?|(?<=\d)\^\{(?:st|nd|rd|th)\}")
_ASSIGN = re.compile(r"^[a-zA-Z](?:_\{?\w+\}?)?\s*=(?!=)")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")
_FRAC_HALF_SHORT = re.compile(r"\\frac\s*\{([^{}]+)\}\s*(\d)")
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d+)")
_BASE_BRACES = re.compile(r"_\{(\d+)\}")
_THOUSANDS = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_UNIT_WORD = re.compile(r"^\s*[a-zA-Z][a-zA-Z .^\d/]*$")
_UNICODE = {
    "π": r"\pi",
    "∞": r"\infty",
    "√": r"\sqrt",
    "−": "-",
    "×": r"\times",
    "·": r"\cdot",
    "≤": r"\le",
    "≥": r"\ge",
    "ℝ": r"\mathbb{R}",
}


def _unwrap_text(s: str) -> str:
    """``\\text{…}``: a unit or word next to a value is dropped (``5\\text{ cm}``); alone it is kept
    (``\\text{(C)}`` → ``(C)``, ``\\text{east}`` → ``east``)."""
    s = _CONNECTIVE.sub(",", s)  # 6 \text{ and } 8: a list
    for _ in range(4):
        m = _TEXT.search(s)
        if not m:
            return s
        rest = (s[: m.start()] + s[m.end() :]).strip()
        inner = m.group(1)
        keep = not rest or not _UNIT_WORD.match(inner) or rest in "()[]"
        # a dropped unit takes its exponent along (15 cm² is 15, not 15²)
        s = s[: m.start()] + (inner + (m.group(2) or "") if keep else "") + s[m.end() :]
    return s


_CONNECTIVE = re.compile(r"\\(?:text|mbox|textrm|mathrm)\s*\{\s*(?:and|or|,)\s*\}")
_COLUMN = re.compile(r"^\\begin\{[pb]matrix\}(.*)\\end\{[pb]matrix\}$", re.S)


def _column_vector(s: str) -> str:
    """``\\begin{pmatrix} a \\\\ b \\end{pmatrix}`` → ``(a,b)``: a column vector reads as a tuple."""
    m = _COLUMN.match(s)
    if not m or "&" in m.group(1):
        return s
    return "(" + ",".join(part.strip() for part in m.group(1).split("\\\\")) + ")"


def normalize(answer: str) -> str:
    """A canonical spelling used for exact comparison; conservative: two different answers never
    become equal, two spellings of one answer often do."""
    s = answer.strip()
    for k, v in _UNICODE.items():
        s = s.replace(k, v)
    s = s.replace("\\$", "")  # currency
    s = _DELIMS.sub("", s).strip()
    s = _column_vector(s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("{,}", ",")
    s = _SPACING.sub(" ", s)
    s = _DEGREES.sub("", s)
    s = _PERCENT.sub("", s)
    s = _ORDINAL.sub("", s)
    s = _unwrap_text(s)
    s = s.strip().rstrip(".").strip()
    if _ASSIGN.match(s) and s.count("=") == 1:
        s = _ASSIGN.sub("", s)
    s = "".join(s.split())
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    s = _BASE_BRACES.sub(r"_\1", s)  # 4210_{5} → 4210_5 (a numeral's base)
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
    rest = norm[m.end() :]
    return m.group(1) if not rest or (rest[0] in "0123456789-\\" and norm.startswith("(")) else None


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
    if any(int(e) > 200 for e in _EXPONENT.findall(norm)) and re.search(
        r"[a-zA-Z]", re.sub(r"\\[a-zA-Z]+", "", norm)
    ):
        return "symbolic_power_too_large"
    return None


# -- what the question asks for ---------------------------------------------------------------
_COMMON_FRACTION = re.compile(r"common fraction", re.I)
_GCD_ONE = re.compile(r"\\gcd\s*\(\s*\|?A\|?\s*,.*?\)\s*=\s*1", re.S)
_APPROX_OK = re.compile(
    r"nearest|round|approximat|estimate|decimal place|significant|to the tenth|"
    r"to the hundredth|\\approx",
    re.I,
)


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


def after_approx(raw: str) -> str:
    return _APPROX.split(raw)[-1]


def is_float_printout(norm: str, value: Fraction, gold: Fraction) -> bool:
    """``0.0833333333333333`` for 1/12: a decimal with 10+ fractional digits that is the reference
    up to float precision (a printed float, not a rounded answer)."""
    m = re.match(r"^-?\d*\.(\d+)$", norm)
    return bool(m) and len(m.group(1)) >= 10 and abs(value - gold) <= Fraction(1, 10**10) * max(1, abs(gold))


# -- closed-form numbers ---------------------------------------------------------------------
_TOKEN = re.compile(
    r"\d+\.\d*|\.\d+|\d+|\\frac|\\sqrt|\\pi|\\cdot|\\times|\\div|[-+*/^(){}\[\]]|\\[a-zA-Z]+|[a-zA-Z]"
)


class _Evaluator:
    """Recursive descent over a tiny LaTeX arithmetic: numbers, + - * / ^, ``\\frac``, ``\\sqrt``
    (``\\sqrt[n]``), ``\\pi``, ``\\cdot``/``\\times``/``\\div``, implicit products, brackets. Anything
    else (a variable, a function) → ``ValueError``: the expression is not a closed-form number."""

    def __init__(self, text: str, variables: dict[str, float] | None = None):
        self.tokens = _TOKEN.findall(text)
        if "".join(self.tokens) != text:
            raise ValueError("unknown characters")
        self.i = 0
        self.variables = variables or {}

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise ValueError(f"expected {expected}")
        self.i += 1
        return tok

    def expr(self) -> float:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> float:
        value = self.unary()
        while True:
            tok = self.peek()
            if tok in ("*", "\\cdot", "\\times"):
                self.take()
                value *= self.unary()
            elif tok in ("/", "\\div"):
                self.take()
                value /= self.unary()
            elif tok is not None and (
                tok[0].isdigit() or tok in ("\\frac", "\\sqrt", "\\pi", "(", "{") or tok in self.variables
            ):
                value *= self.unary()  # implicit product: 2\sqrt{3}, 3\pi
            else:
                return value

    def unary(self) -> float:
        if self.peek() == "-":
            self.take()
            return -self.unary()
        if self.peek() == "+":
            self.take()
        return self.power()

    def power(self) -> float:
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.atom()
            if abs(exponent) > 64 or abs(base) > 1e12:
                raise ValueError("power too large")
            return base**exponent
        return base

    def expr_all(self) -> float:
        value = self.expr()
        if self.peek() is not None:
            raise ValueError("trailing tokens")
        return value

    def group(self) -> float:
        self.take("{")
        value = self.expr()
        self.take("}")
        return value

    def atom(self) -> float:
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            return float(tok)
        if tok == "\\pi":
            return math.pi
        if tok == "\\frac":
            return self.group() / self.group()
        if tok == "\\sqrt":
            index = 2.0
            if self.peek() == "[":
                self.take()
                index = self.expr()
                self.take("]")
            radicand = self.group()
            if radicand < 0 or index == 0:
                raise ValueError("not real")
            return radicand ** (1 / index)
        if tok in ("(", "{"):
            value = self.expr()
            self.take(")" if tok == "(" else "}")
            return value
        if tok in self.variables:
            return self.variables[tok]
        raise ValueError(f"not a number: {tok}")


def closed_form_value(norm: str) -> float | None:
    """The real value of a normalised closed-form number (``70\\sqrt{2}``, ``\\frac{\\pi}{3}+1``), or
    None when it has variables, functions or anything this tiny evaluator does not know.

    >>> round(closed_form_value(r"\\frac{16\\sqrt{3}}{3}"), 6), closed_form_value("x+1")
    (9.237604, None)
    """
    if not norm or len(norm) > MAX_ANSWER_CHARS:
        return None
    try:
        ev = _Evaluator(norm)
        value = ev.expr()
        if ev.peek() is not None:
            return None
        value = float(value)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
        return None
    return value if math.isfinite(value) else None


def same_value(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


_VARIABLE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z](?![a-zA-Z])")
_POINTS = (0.5377, 1.8339, -2.2588, 0.8622, 0.3188)  # fixed, irrational-looking sample points


def same_function(a: str, b: str) -> bool | None:
    """Compare two normalised expressions in single-letter variables by evaluating both at fixed
    points: False if they differ at a point where both are defined, True if they agree at all five,
    None when either cannot be evaluated (functions, relations, undefined at every point)."""
    names = sorted(set(_VARIABLE.findall(a)) | set(_VARIABLE.findall(b)))
    if not names or len(names) > 4 or "=" in a + b:
        return None
    agreed = 0
    for k, _ in enumerate(_POINTS):
        env = {n: _POINTS[(k + j) % len(_POINTS)] + j for j, n in enumerate(names)}
        try:
            x, y = float(_Evaluator(a, env).expr_all()), float(_Evaluator(b, env).expr_all())
        except (ValueError, ZeroDivisionError, OverflowError, TypeError, RecursionError):
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        if abs(x - y) > 1e-7 * max(1.0, abs(x), abs(y)):
            return False
        agreed += 1
    return True if agreed == len(_POINTS) else None


def compare_scalars(a: str, b: str) -> bool | None:
    """Equal / different / undecided for two normalised single values, by the exact rules above."""
    if a == b:
        return True
    x, y = as_number(a), as_number(b)
    if x is not None and y is not None:
        return x == y
    vx, vy = closed_form_value(a), closed_form_value(b)
    if vx is not None and vy is not None:
        return same_value(vx, vy)
    return same_function(a, b)


def _one_group(s: str) -> bool:
    """``(…)`` whose first parenthesis closes at the very end (not ``(1,2),(3,4)``)."""
    if not (s[:1] == "(" and s[-1:] == ")"):
        return False
    depth = 0
    for i, ch in enumerate(s):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and i < len(s) - 1:
            return False
    return True


def compare_tuples(pred: str, gold: str) -> bool | None:
    """Element-wise comparison of two parenthesised tuples of equal length (points, vectors)."""
    if not (_one_group(pred) and _one_group(gold)):
        return None
    xs, ys = top_level_items(pred[1:-1]), top_level_items(gold[1:-1])
    if len(xs) != len(ys) or len(xs) < 2:
        return None
    results = [compare_scalars(x, y) for x, y in zip(xs, ys, strict=True)]
    if False in results:
        return False
    return True if all(results) else None


_WORD = re.compile(r"^[a-zA-Z]{2,}$")


def compare_words(pred: str, gold: str) -> bool | None:
    """Word answers (``even``, ``ellipse``): equal ignoring case, or different."""
    if _WORD.match(pred) and _WORD.match(gold):
        return pred.lower() == gold.lower()
    return None


_PM = re.compile(r"\\(?:pm|mp)")


def answer_items(norm: str) -> list[str]:
    r"""The values a normalised answer lists, with set braces dropped and every ``\pm`` expanded:
    ``3\pm2\sqrt{2}`` → ``['3+2\sqrt{2}', '3-2\sqrt{2}']``, ``\{1\pm\sqrt{5},-2\}`` → three values."""
    if norm.startswith("\\{") and norm.endswith("\\}"):
        norm = norm[2:-2]
    out = []
    for item in top_level_items(norm):
        if len(_PM.findall(item)) == 1:
            out += [_PM.sub("+", item), _PM.sub("-", item)]
        else:
            out.append(item)
    return out


def compare_sets(pred: list[str], gold: list[str]) -> bool | None:
    """Two lists of values as unordered sets: True when each value of one equals a distinct value of
    the other by :func:`compare_scalars`, False when a value has no equal (and every comparison was
    decided), None when the rules cannot decide."""
    if len(set(pred)) != len(pred) or len(set(gold)) != len(gold):
        return None
    if len(pred) != len(gold):
        return False if all(closed_form_value(x) is not None for x in pred + gold) else None
    unused = list(gold)
    undecided = False
    for x in pred:
        match = None
        for y in unused:
            same = compare_scalars(x, y)
            if same:
                match = y
                break
            undecided |= same is None
        if match is None:
            return None if undecided else False
        unused.remove(match)
    return True


_UNEVALUATED = re.compile(
    r"\\(?:sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan|sinh|cosh|tanh|log|ln|lg|exp|sum|prod|int|"
    r"binom|dbinom|lfloor|lceil|lim|max|min|gcd|operatorname)(?![a-zA-Z])|\d!|\)!|\}!"
)


def unevaluated(norm: str) -> str | None:
    """The first function an answer leaves unevaluated (``\\cos``, ``\\log``, ``\\sum``, ``5!``)."""
    m = _UNEVALUATED.search(norm)
    return m.group() if m else None


_POWER = re.compile(r"^-?\d+(?:\.\d+)?(?:(?:\\times|\\cdot)10)?\^\{?-?\d+\}?$")


def is_arithmetic(norm: str) -> bool:
    """An expression of numbers that is not itself a plain number: ``17+25``, ``6\\times7``,
    ``\\sqrt{16}``, ``\\frac{84}{2}-0`` (powers of a number, ``2^{10}``, ``3\\times10^{6}``, are numbers)."""
    if as_number(norm) is not None or _POWER.match(norm) or closed_form_value(norm) is None:
        return False
    body = norm[1:] if norm.startswith("-") else norm
    return bool(re.search(r"[-+*/^]|\\(?:times|cdot|div|sqrt)", body))


# -- numerals in a base, matrices, unions of intervals --------------------------------------------
_NUMERAL = re.compile(r"^([0-9A-Za-z]+)_(\d+)$")


def compare_numerals(pred: str, gold: str) -> bool | None:
    """A reference written in a base (``2516_8``): the answer must be the same digits, with or without
    the subscript (``2516`` or ``2516_8``); a decimal conversion is another form, not the answer.

    >>> compare_numerals("4210_5", "4210_5"), compare_numerals("2516", "2516_8"), compare_numerals("5236", "2516_8")
    (True, True, False)
    """
    g = _NUMERAL.match(gold)
    if not g:
        return None
    p = _NUMERAL.match(pred)
    if p:
        return p.group(1).lower() == g.group(1).lower() and p.group(2) == g.group(2)
    if re.fullmatch(r"[0-9A-Za-z]+", pred):
        return pred.lower() == g.group(1).lower()
    return None


_MATRIX = re.compile(r"^\\begin\{([pbvB]?matrix)\}(.*)\\end\{\1\}$", re.S)


def _cells(norm: str) -> list[list[str]] | None:
    m = _MATRIX.match(norm)
    if not m:
        return None
    return [[cell for cell in row.split("&")] for row in m.group(2).split("\\\\")]


def compare_matrices(pred: str, gold: str) -> bool | None:
    """Two matrices cell by cell: a different shape or a different cell fails, every cell equal passes,
    None when a cell cannot be compared."""
    a, b = _cells(pred), _cells(gold)
    if a is None or b is None:
        return None
    if [len(r) for r in a] != [len(r) for r in b]:
        return False
    results = [
        compare_scalars(x, y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)
    ]
    if False in results:
        return False
    return True if all(results) else None


def compare_unions(pred: str, gold: str) -> bool | None:
    """Unions of intervals (``(0,9)\\cup(9,36)``): the same intervals, ends and brackets, in any order."""
    if "\\cup" not in gold:
        return None
    xs, ys = pred.split("\\cup"), gold.split("\\cup")
    if not all(is_interval(x) for x in xs + ys):
        return None
    if len(xs) != len(ys):
        return False

    def key(interval: str):
        ends = top_level_items(interval[1:-1])
        value = (
            closed_form_value(ends[0])
            if ends[0] not in ("-\\infty", "\\infty")
            else float(ends[0].replace("\\infty", "inf"))
        )
        return (value if value is not None else float("nan")), interval

    try:
        xs, ys = sorted(xs, key=key), sorted(ys, key=key)
    except TypeError:
        return None
    results = []
    for x, y in zip(xs, ys, strict=True):
        if x[0] != y[0] or x[-1] != y[-1]:
            return False
        results.append(compare_tuples("(" + x[1:-1] + ")", "(" + y[1:-1] + ")"))
    if False in results:
        return False
    return True if all(results) else None
