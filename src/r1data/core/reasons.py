"""Every reason the funnel counts, with what it means: the one list the reference page, the report and
the viewer explain drops with, and that the code is held to — a step that drops or quarantines with a
reason not listed here raises under ``R1DATA_STRICT_REASONS=1`` (the test suite sets it), so a new
reason cannot reach a user without its meaning.

A reason is an exact name (``not_selected``) or a family with one part filled in by the code
(``fail_{verdict}``: a verdict reason below; ``contaminated_{benchmark}``: any benchmark's name).

>>> explain("drop", "fail_not_equivalent")
"the verifier's verdict was fail: the final answer is not equivalent to the reference"
>>> explain("drop", "readability_long_paragraph")
'unreadable: a paragraph of the reasoning is longer than the limit'
>>> explain("drop", "contaminated_aime24")
'the prompt overlaps a benchmark (aime24) by n-grams'
>>> explain("drop", "who_knows") is None
True
"""

from __future__ import annotations

import os
import re

#: verdict reasons (``verdict.reason``), by verifier; ``fail_<reason>`` / ``unknown_<reason>`` drops
VERDICTS: dict[str, str] = {
    # math (rules, then math-verify in bounded workers)
    "equivalent": "the final answer is equivalent to the reference",
    "not_equivalent": "the final answer is not equivalent to the reference",
    "no_final_answer": "no final answer in the summary (no box and no concluding statement)",
    "answer_only_in_reasoning": "the only answer is inside the reasoning; the summary states none",
    "multiple_answers": "the summary boxes several different answers (a hedge)",
    "too_many_answers": "the summary has more boxes than the verifier reads",
    "approximate": "a decimal approximation of an exact reference",
    "normal_form": "the answer is not in the form the question asks for",
    "not_simplified": "an unevaluated expression where the reference is a plain value",
    "degenerate_answer": "an answer built to be expensive to compare (a huge power, a deep nesting)",
    "interval_ends": "an interval whose ends differ from the reference's (open or closed)",
    "no_reference": "the prompt has no reference answer",
    "reference_unparsable": "the reference answer cannot be read as a value",
    "error": "the comparison raised an error inside its bounded worker",
    # both math and code
    "truncated": "the completion was cut (finish_reason length, or reasoning never closed)",
    "timeout": "over the time bound (the comparison, the program, or the judge's endpoint)",
    "memory": "the comparison went over its worker's memory bound",
    "worker_crashed": "the bounded worker running the check died",
    "no_rule_verifier": "no rule verifier for the record's domain, and no judge configured",
    # code (the sandbox)
    "tests_passed": "the program passed every test",
    "tests_failed": "the program failed a test",
    "output_limit": "the program wrote more than the output bound",
    "memory_limit": "the program went over its memory bound",
    "program_too_long": "the program is longer than the sandbox takes (never cut)",
    "load_error": "the program failed to load (syntax error, an exception at import)",
    "no_code": "no code block in the completion",
    "bad_reference": "the prompt's own tests fail before any solution meets them",
    "sandbox_error": "the sandbox itself failed (not the program)",
    # LLM judge and quality judge
    "judge_correct": "the LLM judge said correct",
    "judge_incorrect": "the LLM judge said incorrect",
    "judge_unparsable": "the judge's reply had no verdict object",
    "judge_conflict": "the judge's reply had several verdicts that disagree",
    "judge_error": "the judge's endpoint failed (after retries)",
    "empty_reply": "the completion is empty",
    "score_at_least_{n}": "the quality judge scored it at least the minimum",
    "score_below_{n}": "the quality judge scored it below the minimum",
    # R1 format (GRPO's format reward and the format verifier)
    "well_formed": "one <think> block at the start, closed, then a summary",
    "no_think_block": "no <think> block",
    "think_not_opened": "the <think> block the prompt did not open is missing its opening tag",
    "think_not_at_start": "text before the <think> block",
    "unclosed_think": "the <think> block is never closed",
    "multiple_think_blocks": "more than one <think> block",
    "empty_reasoning": "an empty <think> block",
    "empty_summary": "nothing after the reasoning",
    "bare_summary": "the summary is a bare answer with no sentence",
    "leaked_special_token": "a chat template's special token leaked into the text",
    # votes
    "template": "written from a template (self-cognition), correct by construction",
}

#: ``readability_<check>`` drops (filters/readability.py)
READABILITY: dict[str, str] = {
    "long_paragraph": "a paragraph of the reasoning is longer than the limit",
    "code_block": "a fenced code block in the reasoning of a non-code record",
    "repetition": "the reasoning loops (a line or a long n-gram repeated)",
    "truncated": "cut by the token budget, or a reasoning block never closed",
    "no_summary": "no summary after the reasoning",
    "leaked_special_token": "a chat template's special token leaked into the text",
    "too_short": "the reasoning is shorter than the minimum",
    "too_long": "the reasoning is longer than the maximum",
}

#: ``generation_failed_<error>`` record drops (llm/client.py, llm/engine.py)
GENERATION_ERRORS: dict[str, str] = {
    "timeout": "the endpoint timed out (after retries)",
    "connection_error": "the endpoint could not be reached (after retries)",
    "malformed_response": "the endpoint's reply was not a chat completion",
    "http_{status}": "the endpoint answered an HTTP error",
    "no_attempt": "no request could be sent",
    "prompt_too_long": "the prompt does not fit the engine's context",
    "engine_rejected": "the vLLM engine refused the request",
}

#: completions and records that steps (and ``r1data mix``) drop
DROPS: dict[str, str] = {
    "fail_{verdict}": "the verifier's verdict was fail: {}",
    "unknown_{verdict}": "the verifier could not decide: {}",
    "pass_{verdict}": "passed ({}) but not among the candidates of the selection policy",
    "unverified": "no verdict: the completion was never verified",
    "not_majority": "its answer is not the majority answer (policy majority)",
    "not_selected": "correct, but beyond the prompt's quota (keep / max_per_prompt)",
    "no_completions": "the prompt reached selection with no completion",
    "no_completions_left": "every completion of the prompt was dropped by this filter",
    "no_correct": "no completion of the prompt is correct",
    "no_final_answer": "no completion states an answer, so there is no majority (policy majority)",
    "majority_below_min_agreement": "the majority answer's share is below min_agreement",
    "pass_rate_below_min": "the prompt's pass rate is below min_pass_rate (too hard)",
    "pass_rate_above_max": "the prompt's pass rate is above max_pass_rate (too easy to teach)",
    "unclosed_reasoning": "the reasoning block is never closed (cut by the budget)",
    "no_reasoning": "no reasoning block (a plain answer) where R1 format requires one",
    "no_summary": "nothing after the reasoning block",
    "language_mixed": "the reasoning mixes languages (consistency below the threshold)",
    "readability_{check}": "unreadable: {}",
    "duplicate_prompt": "the same prompt (normalised text) was seen earlier",
    "near_duplicate_prompt": "a prompt near-identical (MinHash) to one seen earlier",
    "duplicate_completion": "the same completion of one prompt appears twice",
    "contaminated_{benchmark}": "the prompt overlaps a benchmark ({}) by n-grams",
    "generation_failed_{error}": "no sample could be generated: {}",
    # r1data mix
    "no_prompt": "a row with no prompt",
    "duplicate_prompt_across_sources": "the prompt is already in an earlier source of the mix",
    "duplicate_row": "the same row twice in one source",
    "over_quota": "its subset's quota was already full",
    "outside_quotas": "in no subset that has a quota",
}

#: quarantined input lines (io/readers.py, schemas/validation.py)
QUARANTINE: dict[str, str] = {
    "invalid_utf8": "the line is not UTF-8",
    "invalid_json": "the line is not JSON",
    "not_an_object": "the line is JSON but not an object",
    "oversized": "the line is longer than the reader takes",
    "missing_field": "a required field (id, prompt …) is missing",
    "wrong_type": "a field has the wrong type",
    "invalid_value": "a field's value is out of its range or vocabulary",
    "mapping_error": "the input mapping could not be applied to the line",
    "too_deep": "nested deeper than the reader allows",
    "unreadable_file": "the whole file could not be read (compression, permissions)",
    "too_many_completions": "more completions than the reader takes; the rest of the line is kept",
}

FAMILIES = {"drop": DROPS, "quarantine": QUARANTINE, "verdict": VERDICTS}
#: what fills each placeholder of a family: a vocabulary, or None (any name)
_PARTS: dict[str, dict[str, str] | None] = {
    "verdict": VERDICTS,
    "check": READABILITY,
    "error": GENERATION_ERRORS,
    "benchmark": None,
    "n": None,
    "status": None,
}
_SLOT = re.compile(r"\{(\w+)\}")


def _lookup(table: dict[str, str], name: str) -> str | None:
    if name in table:
        return table[name]
    for pattern, meaning in table.items():
        slot = _SLOT.search(pattern)
        if not slot:
            continue
        head, tail = pattern[: slot.start()], pattern[slot.end() :]
        if not (name.startswith(head) and name.endswith(tail)) or len(name) <= len(head) + len(tail):
            continue
        part = name[len(head) : len(name) - len(tail)]
        vocabulary = _PARTS[slot.group(1)]
        if vocabulary is None:
            return meaning.replace("{}", part)
        inner = _lookup(vocabulary, part)
        if inner is not None:
            return meaning.replace("{}", inner)
    return None


def explain(family: str, name: str) -> str | None:
    """What ``name`` means in ``family`` (``drop``, ``quarantine``, ``verdict``), None if unlisted."""
    return _lookup(FAMILIES[family], name)


class UnlistedReason(AssertionError):
    """A reason the code emits that :mod:`r1data.core.reasons` does not list (strict mode only)."""


def check(family: str, name: str) -> str:
    """``name`` back; under ``R1DATA_STRICT_REASONS=1`` raise :class:`UnlistedReason` if unlisted."""
    if os.environ.get("R1DATA_STRICT_REASONS") == "1" and explain(family, name) is None:
        raise UnlistedReason(f"{family} reason {name!r} is not listed in r1data.core.reasons")
    return name
