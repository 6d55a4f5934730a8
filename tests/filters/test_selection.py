import pytest
from datatrove.data import Document

from r1data.filters.selection import Select

PASS = {"label": "pass", "reason": "equivalent", "verifier": "math"}
FAIL = {"label": "fail", "reason": "not_equivalent", "verifier": "math"}
TIMEOUT = {"label": "unknown", "reason": "timeout", "verifier": "math"}


def comp(name, ok, length=10):
    verdict = PASS if ok is True else FAIL if ok is False else TIMEOUT
    return {"text": f"<think>{name}</think>{'x' * length}", "correct": ok, "verdict": verdict, "name": name}


def prompt(pid, *comps):
    return {"id": pid, "prompt": "q", "completions": list(comps)}


def select(records, **kw):
    step = Select(**kw)
    out = list(step.run(iter([Document(text="q", id=r["id"], metadata=r) for r in records])))
    return (
        {d.id: [c["name"] for c in d.metadata["completions"]] for d in out},
        {k: v.total for k, v in step.stats.stats.items()},
        out,
    )


BASE = prompt(
    "p", comp("a", True, 30), comp("b", False), comp("c", True, 5), comp("d", None), comp("e", True, 20)
)


@pytest.mark.parametrize(
    ("kw", "kept"),
    [
        ({"policy": "all"}, ["a", "c", "e"]),
        ({"policy": "all", "max_per_prompt": 2}, ["a", "c"]),
        ({"policy": "first"}, ["a"]),
        ({"policy": "first", "k": 2}, ["a", "c"]),
        ({"policy": "shortest", "k": 2}, ["c", "e"]),
        ({"policy": "shortest", "k": 3, "max_per_prompt": 1}, ["c"]),
    ],
)
def test_policies(kw, kept):
    import copy

    out, stats, _ = select([copy.deepcopy(BASE)], **kw)
    assert out == {"p": kept}
    assert stats["completions_dropped_fail_not_equivalent"] == 1
    assert stats["completions_dropped_unknown_timeout"] == 1
    assert stats.get("completions_dropped_not_selected", 0) == 3 - len(kept)


def test_random_is_seeded_per_prompt_and_reproducible():
    import copy

    runs = [select([copy.deepcopy(BASE)], policy="random", k=2, seed=s)[0]["p"] for s in (1, 1, 2, 3, 4, 5)]
    assert runs[0] == runs[1]
    assert len({tuple(r) for r in runs}) > 1  # different seeds pick differently
    assert all(set(r) <= {"a", "c", "e"} and len(r) == 2 for r in runs)


def test_pass_rate_is_recorded_and_windows_drop_prompts():
    import copy

    easy = prompt("easy", comp("a", True), comp("b", True))
    none = prompt("none", comp("a", False), comp("b", None))
    out, stats, docs = select(
        [copy.deepcopy(BASE), easy, none, prompt("empty")], max_pass_rate=0.9, min_pass_rate=0.5
    )
    assert out == {"p": ["a", "c", "e"]}
    assert docs[0].metadata["selection"] == {
        "n_samples": 5,
        "n_correct": 3,
        "pass_rate": 0.6,
        "policy": "all",
    }
    assert stats["records_dropped_pass_rate_above_max"] == 1
    assert stats["records_dropped_no_correct"] == 1
    assert stats["records_dropped_no_completions"] == 1
    assert stats["completions_dropped_pass_rate_above_max"] == 2
    # every completion is either kept or dropped with a reason
    assert stats["completions_dropped"] + 3 == 5 + 2 + 2


def test_pass_rate_below_min_drops_a_hard_prompt():
    hard = prompt("hard", comp("a", True), comp("b", False), comp("c", False), comp("d", False))
    out, stats, _ = select([hard], min_pass_rate=0.5)
    assert out == {} and stats["records_dropped_pass_rate_below_min"] == 1
    assert stats["completions_dropped_pass_rate_below_min"] == 1


def test_correct_completions_that_cannot_become_r1_rows_are_not_candidates():
    rec = prompt(
        "p",
        {"text": "plain \\boxed{1}", "correct": True, "verdict": PASS, "name": "plain"},
        comp("good", True, 100),
    )
    out, stats, _ = select([rec], policy="shortest", k=1)
    assert out == {"p": ["good"]}
    assert stats["completions_dropped_no_reasoning"] == 1


@pytest.mark.parametrize(
    "kw", [{"policy": "best"}, {"k": 0}, {"min_pass_rate": 0.8, "max_pass_rate": 0.2}, {"max_per_prompt": 0}]
)
def test_invalid_parameters(kw):
    with pytest.raises(ValueError):
        Select(**kw)
