"""Evaluation: pass@1, unbiased pass@k, cons@k (majority vote by answer equivalence), per benchmark and
per subject/level, from completions given or generated (``r1data eval``)."""
