"""Majority votes over final answers (self-consistency): one rule for the ``majority`` selection policy
and ``r1data eval``'s cons@k. Answers are grouped by equivalence (a ``same`` function, e.g. the math
verifier's :func:`~r1data.verifiers.math_verifier.same_answer`), not by string.

>>> majority(["4", None, "4.0", "5"], lambda a, b: float(a) == float(b))
(0, 0.6666666666666666)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def majority(answers: Sequence[str | None], same: Callable[[str, str], bool]) -> tuple[int | None, float]:
    """Index of the sample whose answer wins the vote (the first member of the largest group of
    equivalent answers; ties to the earliest group) and the winning group's share of the votes;
    ``(None, 0.0)`` when no sample has an answer."""
    groups: list[list[int]] = []
    for i, answer in enumerate(answers):
        if answer is None:
            continue
        for group in groups:
            if same(answers[group[0]], answer):
                group.append(i)
                break
        else:
            groups.append([i])
    if not groups:
        return None, 0.0
    best = max(groups, key=lambda g: (len(g), -g[0]))
    return best[0], len(best) / sum(len(g) for g in groups)
