"""Property tests (hypothesis, fixed seed, bounded examples): random and mutated lines reach the
readers, the trace splitter, the math rules and the format check, and none of them crashes or takes
longer than its bound. ``bench/fuzz.py`` runs the same properties for longer."""

from __future__ import annotations

import json
import time
from importlib import resources

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from r1data.core.traces import split_trace
from r1data.io.readers import _LONG_DIGITS, _STRICT_JSON, RecordReader, _no_lone_surrogate, parse_json_line
from r1data.verifiers.format_verifier import check_format
from r1data.verifiers.math_verifier import MathVerifier

SETTINGS = settings(
    max_examples=150,
    derandomize=True,  # the same examples on every run: a failure here is reproducible
    deadline=None,  # bounds are checked below against the wall clock, generously for a loaded CI
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
BOUND_S = 5.0
SEEDS = [
    line
    for name in ("math_sample.jsonl", "r1_zero_traces.jsonl", "non_reasoning_prompts.jsonl")
    for line in resources.files("r1data.sample").joinpath(name).read_bytes().splitlines()[:6]
]


@st.composite
def mutated_lines(draw) -> bytes:
    """A real input line with a few bytes replaced, inserted or removed, or random bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    line = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["replace", "insert", "delete"]))
        piece = draw(
            st.sampled_from(
                [b"\\ud800", b"NaN", b"1e999", b"9" * 25, b"\xff", b"{", b"]", b'"', b"\\", b"\x00"]
            )
            | st.binary(min_size=1, max_size=4)
        )
        if action == "delete":
            del line[where : where + len(piece)]
        elif action == "insert":
            line[where:where] = piece
        else:
            line[where : where + len(piece)] = piece
    return bytes(line).replace(b"\n", b" ")


_PIECES = [
    *"<>/|$\\{}()[]0123456789.,x=+-^ \n",
    "<think>",
    "</think>",
    "\\boxed{",
    "\\frac",
    "<answer>",
    "</answer>",
    "<|begin_of_thought|>",
    "<|end_of_thought|>",
    "<|im_end|>",
    "The answer is ",
    "so ",
    ".",
]
texts = st.lists(st.sampled_from(_PIECES), max_size=120).map("".join) | st.text(max_size=200)


def bounded(fn, *args):
    start = time.monotonic()
    result = fn(*args)
    assert time.monotonic() - start < BOUND_S, f"{fn.__name__} took over {BOUND_S}s"
    return result


@SETTINGS
@given(st.lists(mutated_lines(), min_size=1, max_size=8))
def test_the_reader_turns_any_bytes_into_records_or_quarantine_entries(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("fuzz")
    data = b"\n".join(lines) + b"\n"
    (folder / "in.jsonl").write_bytes(data)
    reader = RecordReader(str(folder), glob_pattern="in.jsonl", quarantine_folder=str(folder / "q"))
    docs = bounded(lambda: list(reader.run()))
    stats = {k: v.total for k, v in reader.stats.stats.items()}
    assert stats.get("records_in", 0) == stats.get("records_ok", 0) + stats.get("quarantined", 0)
    assert len(docs) == stats.get("records_ok", 0)
    assert stats.get("records_in", 0) == sum(
        1 for line in data.split(b"\n") if line.removeprefix(b"\xef\xbb\xbf").strip()
    )


@SETTINGS
@given(mutated_lines())
def test_both_parser_paths_agree(line):
    """Forcing the big-integer path on any line gives orjson's answer, or refuses what orjson refuses."""

    def strict(raw: bytes):
        value = _STRICT_JSON.decode(raw.decode("utf-8"))
        _no_lone_surrogate(value)
        return value

    outcomes = []
    for parse in (orjson.loads, strict):
        try:
            outcomes.append(("ok", parse(line)))
        except (ValueError, RecursionError):
            outcomes.append(("refused", None))
    if _LONG_DIGITS.search(line):
        return  # integers past 64 bits: the paths differ by design (exact vs float)
    assert outcomes[0][0] == outcomes[1][0], (line, outcomes)
    if outcomes[0][0] == "ok":
        assert json.dumps(outcomes[0][1], sort_keys=True) == json.dumps(outcomes[1][1], sort_keys=True)
        assert parse_json_line(line) == outcomes[0][1]


@SETTINGS
@given(texts)
def test_the_trace_splitter_and_the_format_check_take_any_text(text):
    trace = bounded(split_trace, text)
    assert isinstance(trace.reasoning, str) and isinstance(trace.summary, str)
    verdict = bounded(check_format, text)
    assert verdict["label"] in ("pass", "fail")


@SETTINGS
@given(texts, st.sampled_from(["4", "\\frac{1}{2}", "(1, 2)", "x^2+1", "forty", "[0, 1)", "10^{100}"]))
def test_the_math_rules_take_any_answer(text, answer):
    result = bounded(MathVerifier.fast, {"answer": answer}, "What is it?", {"text": text})
    assert ("label" in result and result["label"] in ("pass", "fail", "unknown")) or "label" not in result


@pytest.mark.parametrize("line", SEEDS[:3])
def test_the_seeds_are_real_records(line):
    assert isinstance(parse_json_line(line), dict)
