"""Code verifier on real benchmarks (HumanEval, MBPP) and its extraction/comparison rules."""

from __future__ import annotations

import gzip
import json

import pytest

from r1data.verifiers.code import CodeVerifier, extract_code, outputs_match
from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.sandbox.host import Sandbox, SandboxUnavailable
from r1data.verifiers.stream import iter_verified
from tests.conftest import shared_file


@pytest.fixture(scope="module", autouse=True)
def _needs_sandbox():
    try:
        Sandbox().check()
    except SandboxUnavailable as exc:
        pytest.skip(f"no sandbox on this machine: {exc}")


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ("```python\na = 1\n```\ntext\n```python\nb = 2\n```", "b = 2\n"),
        ("```py\nx\n```", "x\n"),
        ("```\nplain fence\n```", "plain fence\n"),
        ("```python\nfirst\n```\n```\nbare after\n```", "first\n"),  # a Python block wins over a bare one
        ("    return 1", "    return 1"),  # no fence: the raw text, indentation kept
    ],
)
def test_extract_code(answer, code):
    assert extract_code(answer) == code


@pytest.mark.parametrize(
    ("got", "expected", "tol", "match"),
    [
        ("1 2\n3\n", "1 2\n3", None, True),
        ("1 2 \r\n3\r\n\n\n", "1 2\n3", None, True),
        ("1\n2", "1 2", None, True),  # token-based: line breaks are whitespace too
        ("12", "1 2", None, False),
        ("YES", "yes", None, False),  # case matters
        ("0.50000001", "0.5", 1e-6, True),
        ("0.51", "0.5", 1e-6, False),
        ("0.5", "0.5", None, True),
        ("nan", "nan", 1e-6, True),
        ("inf", "1e308", 1e-6, False),
        ("", "", None, True),
    ],
)
def test_outputs_match(got, expected, tol, match):
    assert outputs_match(got, expected, tol) is match


def verify(records):
    with BoundedPool("r1data.verifiers.code:CodeVerifier", workers=2, timeout_s=60) as pool:
        return list(iter_verified(pool, records, "code"))


def test_humaneval_canonical_solutions_pass_and_a_wrong_one_fails_every_task():
    path = shared_file("code/HumanEval.jsonl.gz")
    records = []
    with gzip.open(path, "rt") as f:
        for line in f:
            task = json.loads(line)
            tests = {
                "kind": "functional",
                "test": task["test"],
                "entry_point": task["entry_point"],
                "prefix": task["prompt"],
            }
            records.append(
                {
                    "id": task["task_id"],
                    "domain": "code",
                    "prompt": task["prompt"],
                    "reference": {"tests": tests},
                    "completions": [{"text": task["canonical_solution"]}, {"text": "    return None\n"}],
                }
            )
    out = verify(records)
    assert len(out) == 164
    canonical = [r["completions"][0]["verdict"] for r in out]
    wrong = [r["completions"][1]["verdict"] for r in out]
    assert [r["id"] for r, v in zip(out, canonical, strict=True) if v["label"] != "pass"] == []
    assert all(v["passed"] == v["total"] == 1 for v in canonical)
    assert [r["id"] for r, v in zip(out, wrong, strict=True) if v["label"] != "fail"] == []


# Every MBPP (sanitized) reference solution passes: the three that return `re.Match` objects (737, 787,
# 794), whose tests read them by truthiness, pass now that a solution's objects cross the boundary as
# references instead of being refused.
MBPP_EXPECTED_FAILURES: set[str] = set()


def test_mbpp_sanitized_reference_solutions_pass():
    path = shared_file("code/sanitized-mbpp.json")
    tasks = json.loads(path.read_text())
    records = [
        {
            "id": str(t["task_id"]),
            "domain": "code",
            "prompt": t["prompt"],
            "reference": {
                "tests": {
                    "kind": "functional",
                    "test": "\n".join(t["test_list"]),
                    "setup": "\n".join(t["test_imports"]),
                }
            },
            "completions": [{"text": f"Here is the function.\n```python\n{t['code']}\n```"}],
        }
        for t in tasks
    ]
    out = verify(records)
    failed = {r["id"] for r in out if r["completions"][0]["verdict"]["label"] != "pass"}
    for r in out:  # why each failed, for whoever reads a failure of this test
        if r["id"] in failed:
            print(r["id"], r["completions"][0]["verdict"])
    print(
        f"MBPP sanitized: {len(out) - len(failed)}/{len(out)} reference solutions pass; failed: {sorted(failed)}"
    )
    assert failed == MBPP_EXPECTED_FAILURES
    assert len(out) == 427


def test_human_eval_hostile_example_samples_are_contained():
    problem = json.loads(shared_file("code/example_problem.jsonl").read_text())
    samples = [
        json.loads(line) for line in shared_file("code/example_samples.jsonl").read_text().splitlines()
    ]
    record = {
        "id": problem["task_id"],
        "domain": "code",
        "prompt": problem["prompt"],
        "reference": {
            "tests": {
                "kind": "functional",
                "test": problem["test"],
                "entry_point": problem["entry_point"],
                "prefix": problem["prompt"],
            }
        },
        "completions": [{"text": s["completion"]} for s in samples],
    }
    (out,) = verify([record])
    labels = [(c["verdict"]["label"], c["verdict"]["reason"]) for c in out["completions"]]
    # rm -rf (fails the test), sleep(10) (over the wall bound), input() (EOF), then three honest ones
    assert labels == [
        ("fail", "tests_failed"),
        ("fail", "timeout"),
        ("fail", "tests_failed"),
        ("pass", "tests_passed"),
        ("pass", "tests_passed"),
        ("pass", "tests_passed"),
    ]


def test_stdio_tests_and_bad_references():
    checker = CodeVerifier()
    tests = {
        "kind": "stdio",
        "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5", "output": "10"}],
    }
    state = checker.prepare({"tests": tests})
    good = "```python\nimport sys\nprint(sum(map(int, sys.stdin.read().split())))\n```"
    v = checker.check(state, {"text": good})
    assert (v["label"], v["passed"], v["total"]) == ("pass", 2, 2)
    v = checker.check(state, {"text": "```python\nprint(3)\n```"})
    assert (v["label"], v["reason"], v["passed"], v["total"]) == ("fail", "tests_failed", 1, 2)
    assert checker.check(state, {"text": "<think>x</think>\n\n"})["reason"] == "no_code"
    assert checker.check(state, {"text": good, "finish_reason": "length"})["reason"] == "truncated"
    for bad in (None, {"tests": {"kind": "stdio", "cases": []}}, {"tests": {"kind": "functional"}}):
        assert checker.check(checker.prepare(bad), {"text": good})["reason"] == "bad_reference"


def _humaneval(task_id: str) -> dict:
    with gzip.open(shared_file("code/HumanEval.jsonl.gz"), "rt") as f:
        return next(t for t in map(json.loads, f) if t["task_id"] == task_id)


def test_a_solution_cannot_replace_the_builtins_the_tests_call():
    """HumanEval/4's tests call `abs`, MBPP 2's call `set`: a wrong solution that also defines them
    fails; MBPP 126, whose function under test is itself called `sum`, still passes."""
    task = _humaneval("HumanEval/4")
    he = {"kind": "functional", "test": task["test"], "entry_point": task["entry_point"]}
    wrong = "def mean_absolute_deviation(numbers):\n    return 0.0\n"
    mbpp = {t["task_id"]: t for t in json.loads(shared_file("code/sanitized-mbpp.json").read_text())}
    two, sum_task = mbpp[2], mbpp[126]
    records = [
        {
            "id": "he4",
            "domain": "code",
            "prompt": task["prompt"],
            "reference": {"tests": he},
            "completions": [
                {"text": f"```python\n{wrong}def abs(x):\n    return 0\n```"},
                {"text": f"```python\n{task['prompt']}{task['canonical_solution']}```"},
            ],
        },
        {
            "id": "mbpp2",
            "domain": "code",
            "prompt": two["prompt"],
            "reference": {"tests": {"kind": "functional", "test": "\n".join(two["test_list"])}},
            "completions": [
                {
                    "text": "```python\ndef similar_elements(a, b):\n    return ()\ndef set(x):\n    return 1\n```"
                }
            ],
        },
        {
            "id": "mbpp126",
            "domain": "code",
            "prompt": sum_task["prompt"],
            "reference": {"tests": {"kind": "functional", "test": "\n".join(sum_task["test_list"])}},
            "completions": [{"text": f"```python\n{sum_task['code']}\n```"}],
        },
    ]
    he4, two_out, sum_out = verify(records)
    assert [c["verdict"]["label"] for c in he4["completions"]] == ["fail", "pass"]
    assert (
        two_out["completions"][0]["verdict"]["label"],
        two_out["completions"][0]["verdict"]["passed"],
    ) == (
        "fail",
        0,
    )
    assert sum_out["completions"][0]["verdict"]["label"] == "pass"


def test_cli_code_timeout_is_a_fail_within_the_bound_and_leaves_no_process(tmp_path):
    """`r1data verify` on a stdio task whose program sleeps through every case: the domain's bound
    (here --timeout 4) holds for the whole completion, the verdict is fail/timeout, and no sandbox
    process outlives the command."""
    import subprocess
    import sys
    import time

    from tests.conftest import write_jsonl
    from tests.verifiers.test_sandbox import sandbox_processes

    cases = [{"input": str(i), "output": str(i)} for i in range(12)]
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {
                "id": "slow",
                "domain": "code",
                "prompt": "echo",
                "reference": {"tests": {"kind": "stdio", "cases": cases}},
                "completions": [{"text": "```python\nimport time\ntime.sleep(30)\n```"}],
            }
        ],
    )
    start = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "r1data.cli",
            "verify",
            str(src),
            str(tmp_path / "out.jsonl"),
            "--timeout",
            "4",
            "--quiet",
        ],
        check=True,
        timeout=60,
    )
    elapsed = time.monotonic() - start
    (out,) = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    v = out["completions"][0]["verdict"]
    assert (v["label"], v["reason"], v["passed"]) == ("fail", "timeout", 0)
    assert elapsed < 4 + 8, elapsed  # the bound, plus start-up of the CLI and its worker
    assert sandbox_processes() == []
