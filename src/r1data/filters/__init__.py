"""Filters with a reason for every drop: rejection sampling (selection), language mixing, readability,
exact and MinHash dedup, decontamination."""

from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "Select": "r1data.filters.selection",
    "LanguageMixFilter": "r1data.filters.completion_filters",
    "ReadabilityFilter": "r1data.filters.completion_filters",
    "language_consistency": "r1data.verifiers.language",
    "check_readability": "r1data.filters.readability",
    "Decontaminate": "r1data.filters.decontamination",
    "ExactDedup": "r1data.filters.dedup",
    "CompletionDedup": "r1data.filters.dedup",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
