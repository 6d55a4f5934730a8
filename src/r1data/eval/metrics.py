"""The numbers of an evaluation, from per-prompt verdicts and final answers.

- ``pass@1``: per prompt, the share of its n samples that are correct; averaged over prompts.
- ``pass@k`` (Chen et al. 2021, unbiased): per prompt ``1 - C(n-c, k) / C(n, k)`` for every k ≤ n,
  averaged over the prompts that have at least k samples.
- ``cons@k``: per prompt, a majority vote over the final answers of its first k samples, answers grouped
  by equivalence (:func:`~r1data.verifiers.math_verifier.same_answer`), not by string; samples with no
  final answer do not vote. **Tie rule**: among groups of the same size, the one whose first member
  comes first in sample order wins. The vote is correct when that group's first member is verified
  correct; a prompt with no vote at all counts as wrong.
- every figure has a standard error: the standard deviation of the per-prompt values / sqrt(prompts).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from r1data.verifiers.votes import majority


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn without replacement from n (c correct) is
    correct.

    >>> pass_at_k(4, 1, 1), pass_at_k(4, 1, 2), pass_at_k(4, 0, 4), pass_at_k(4, 4, 1)
    (0.25, 0.5, 0.0, 1.0)
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def mean_and_se(values: Sequence[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    var = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return mean, math.sqrt(var / len(values))


def summarise(per_prompt: list[dict], k: int) -> dict:
    """``per_prompt``: ``{"correct": [bool], "answers": [str|None]}`` per prompt (plus optional keys).
    Returns pass@1, pass@k for every k ≤ n, cons@k, with standard errors."""
    from r1data.verifiers.math_verifier import same_answer

    n_min = min((len(p["correct"]) for p in per_prompt), default=0)
    p1 = [sum(p["correct"]) / len(p["correct"]) for p in per_prompt if p["correct"]]
    out: dict = {"n_prompts": len(per_prompt), "n_samples": sum(len(p["correct"]) for p in per_prompt)}
    out["pass@1"], out["pass@1_se"] = mean_and_se(p1)
    out["pass@k"], out["pass@k_se"] = {}, {}
    for kk in range(1, max((len(p["correct"]) for p in per_prompt), default=0) + 1):
        vals = [
            pass_at_k(len(p["correct"]), sum(p["correct"]), kk) for p in per_prompt if len(p["correct"]) >= kk
        ]
        out["pass@k"][str(kk)], out["pass@k_se"][str(kk)] = mean_and_se(vals)
    k = min(k, n_min) if n_min else k
    votes = []
    for p in per_prompt:
        winner, share = majority(p["answers"][:k], same_answer)
        p["majority_index"], p["majority_share"] = winner, share
        votes.append(1.0 if winner is not None and p["correct"][winner] else 0.0)
    out["cons@k"], out["cons@k_se"] = mean_and_se(votes)
    out["k"] = k
    return out
