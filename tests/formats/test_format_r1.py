from datatrove.data import Document

from r1data.formats.steps import FormatR1, ParseTraces


def run(step, records):
    docs = [Document(text=r.get("prompt", ""), id=r["id"], metadata=r) for r in records]
    out = list(step.run(iter(docs)))
    return out, {k: v.total for k, v in step.stats.stats.items()}


def test_one_row_per_completion_in_the_r1_readable_format():
    rec = {
        "id": "p1",
        "prompt": "1+1?",
        "source": "s",
        "reference": {"answer": "2"},
        "selection": {"n_samples": 4, "n_correct": 2, "pass_rate": 0.5},
        "completions": [
            {
                "text": "<think>\n one plus one \n</think>\n\nIt is $\\boxed{2}$.",
                "model": "m",
                "sample_index": 3,
                "verdict": {"label": "pass", "reason": "equivalent", "verifier": "math", "version": "v1"},
                "tokens": {"completion": 12},
            },
            {"text": "no markers \\boxed{2}", "sample_index": 5},
            {"text": "<think>cut off", "sample_index": 6},
            {"text": "<think>done</think>", "sample_index": 7},
        ],
    }
    rows, stats = run(FormatR1(), [rec])
    assert len(rows) == 1
    row = rows[0].metadata
    assert row["messages"] == [
        {"role": "user", "content": "1+1?"},
        {"role": "assistant", "content": "<think>\none plus one\n</think>\n\nIt is $\\boxed{2}$."},
    ]
    assert (row["id"], row["sample_index"], row["teacher"], row["verifier"]) == (
        "p1/3",
        3,
        "m",
        "math@v1",
    )
    assert (row["n_samples"], row["pass_rate"], row["completion_tokens"]) == (4, 0.5, 12)
    assert stats["completions_dropped_no_reasoning"] == 1
    assert stats["completions_dropped_unclosed_reasoning"] == 1
    assert stats["completions_dropped_no_summary"] == 1
    assert stats["completions_dropped"] == 3


def test_parse_traces_fills_fields_and_counts_formats():
    rec = {
        "id": "p",
        "prompt": "q",
        "completions": [
            {"text": "<think>a</think>b"},
            {"text": "<|begin_of_thought|>x<|end_of_thought|>y"},
            {"text": "z"},
        ],
    }
    (doc,), stats = run(ParseTraces(), [rec])
    assert [(c["reasoning"], c["summary"], c["trace_format"]) for c in doc.metadata["completions"]] == [
        ("a", "b", "think"),
        ("x", "y", "sky_t1"),
        ("", "z", "plain"),
    ]
    assert (stats["trace_format_think"], stats["trace_format_sky_t1"], stats["trace_format_plain"]) == (
        1,
        1,
        1,
    )
