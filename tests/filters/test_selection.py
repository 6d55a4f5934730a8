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


def _voted(name, answer):
    text = (
        f"<think>work {name}</think>\n\nSo the answer is $\\boxed{{{answer}}}$."
        if answer
        else f"<think>{name}</think>\n\nI could not finish this one."
    )
    unknown = {"label": "unknown", "reason": "no_reference", "verifier": "math"}
    return {"text": text, "correct": None, "verdict": unknown, "name": name}


def test_majority_policy_keeps_the_completions_that_agree_with_the_vote():
    agree = prompt(
        "agree", _voted("a", "0.5"), _voted("b", "7"), _voted("c", "\\frac12"), _voted("d", "\\frac{2}{4}")
    )
    split = prompt("split", _voted("e", "1"), _voted("f", "2"), _voted("g", "3"), _voted("h", "4"))
    silent = prompt("silent", _voted("i", None), _voted("j", None))
    kept, stats, out = select([agree, split, silent], policy="majority", min_agreement=0.5)
    assert kept == {"agree": ["a", "c", "d"]}
    vote = out[0].metadata["selection"]["majority"]
    assert (
        vote == {"answer": "0.5", "share": 0.75, "votes": 4}
        and out[0].metadata["selection"]["pass_rate"] == 0.75
    )
    assert stats["completions_dropped_not_majority"] == 1
    assert (
        stats["records_dropped_majority_below_min_agreement"] == 1
        and stats["records_dropped_no_final_answer"] == 1
    )
    assert 3 + stats["completions_dropped"] == 10  # every completion kept or dropped with a reason
    with pytest.raises(ValueError, match="min_agreement"):
        Select(policy="majority", min_agreement=1.5)


def test_best_of_n_and_best_correct_pick_by_the_reward_models_score():
    from tests.doubles.fake_chat_server import FakeChatServer

    def grade(prompt):  # a FAKE grader (named so): the score is written in the answer it is shown
        import re

        return 200, "Score: " + re.findall(r"quality(\d)", prompt)[-1]

    def scored(name, quality, ok):
        c = comp(name, ok)
        c["text"] += f" quality{quality}"
        return c

    def record():
        return prompt(
            "p", scored("a", 3, True), scored("b", 9, False), scored("c", 7, True), scored("d", 5, True)
        )

    with FakeChatServer(reply=grade) as server:
        spec = {"endpoint": server.url, "model": "grader"}
        kept, _, out = select([record()], policy="best_of_n", k=2, scorer=spec, require_r1_format=False)
        assert kept == {"p": ["b", "c"]}  # the best two by score, b although it is wrong
        assert [c["score"] for c in out[0].metadata["completions"]] == [0.9, 0.7]
        kept, stats, _ = select([record()], policy="best_correct", k=2, scorer=spec, require_r1_format=False)
        assert kept == {"p": ["c", "d"]} and stats["completions_dropped_fail_not_equivalent"] == 1
    with pytest.raises(ValueError, match="needs a scorer"):
        Select(policy="best_of_n")
