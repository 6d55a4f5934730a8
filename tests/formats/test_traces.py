import pytest

from r1data.core.traces import Trace, split_trace


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "<think>\nstep\n</think>\n\nAnswer $\\boxed{1}$.",
            Trace("step", "Answer $\\boxed{1}$.", "think", True),
        ),
        # opening tag written by the chat template, not the model
        ("step one\n</think>\nfinal", Trace("step one", "final", "think", True)),
        (
            "<think>\nstill thinking when the budget ran out",
            Trace("still thinking when the budget ran out", "", "think", False),
        ),
        ("<think>a</think>\n", Trace("a", "", "think", True)),
        ("<think>r</think> <answer> 42 </answer>", Trace("r", "42", "think", True)),
        (
            "<|begin_of_thought|>\n\nhmm\n\n<|end_of_thought|>\n\n<|begin_of_solution|>\n\nx = 2\n\n<|end_of_solution|>",
            Trace("hmm", "x = 2", "sky_t1", True),
        ),
        ("<|begin_of_thought|>\nloop loop loop", Trace("loop loop loop", "", "sky_t1", False)),
        ("Plain CoT. So \\boxed{3}.", Trace("", "Plain CoT. So \\boxed{3}.", "plain", True)),
        ("", Trace("", "", "plain", True)),
    ],
)
def test_split_trace(text, expected):
    assert split_trace(text) == expected


def test_real_sky_t1_traces_split_into_reasoning_and_summary():
    import json

    from tests.conftest import shared_file

    path = shared_file("model_outputs/Sky-T1-math-correct-5K-32B-ckpts--checkpoint-140--aime24.jsonl")
    traces = [split_trace(json.loads(line)["code"][0]) for line in path.open()]
    assert all(t.format == "sky_t1" for t in traces)
    closed = [t for t in traces if t.closed]
    assert closed and all(t.reasoning and "<|" not in t.summary for t in closed)
    assert all("\\boxed" in t.summary for t in closed if t.summary)
