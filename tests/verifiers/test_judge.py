"""The LLM-judge cascade against a scripted chat-completions server on 127.0.0.1."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from r1data.verifiers.judge import JudgeClient, JudgeConfig, iter_judged
from tests.conftest import write_jsonl
from tests.doubles.fake_chat_server import FakeChatServer

SECRET = "sk-test-secret-123"
UNDECIDED = {"label": "unknown", "reason": "no_rule_verifier", "verifier": "none"}


def grade(prompt: str):
    """Correct when the graded answer mentions Paris; a few scripted misbehaviours."""
    answer = prompt.split("<answer>")[-1].split("</answer>")[0].strip()
    if "garbled" in answer:
        return 200, "I think it is fine?"
    if "crash" in answer:
        return 500, "internal error"
    verdict = "correct" if "Paris" in answer else "incorrect"
    return 200, f'Sure. {{"verdict": "{verdict}", "reason": "capital check"}}'


def records():
    import copy

    return copy.deepcopy(
        [
            {
                "id": "q1",
                "domain": "qa",
                "prompt": "Capital of France?",
                "reference": {"answer": "Paris"},
                "completions": [
                    {
                        "text": "<think>hmm</think>\n\nIt is Paris.",
                        "verdict": UNDECIDED,
                    },
                    {
                        "text": "<think>hmm</think>\n\nLyon.",
                        "verdict": UNDECIDED,
                    },
                    {
                        "text": "<think>x</think>\n\ngarbled",
                        "verdict": UNDECIDED,
                    },
                    {
                        "text": "<think>x</think>\n\ncrash",
                        "verdict": UNDECIDED,
                    },
                    {
                        "text": "<think>x</think>\n\n$\\boxed{Paris}$",
                        "verdict": {"label": "pass", "reason": "equivalent", "verifier": "math"},
                    },
                ],
            },
            {
                "id": "q2",
                "domain": "qa",
                "prompt": "No reference here",
                "completions": [{"text": "whatever", "verdict": UNDECIDED}],
            },
        ]
    )


def test_cascade_judges_only_undecided_and_records_who_decided(monkeypatch):
    monkeypatch.setenv("R1DATA_JUDGE_API_KEY", SECRET)
    with FakeChatServer(reply=grade) as server:
        config = JudgeConfig(server.url, "judge-model", retries=1, backoff_s=0.01)
        out = list(iter_judged(JudgeClient(config), records()))
    verdicts = [c["verdict"] for c in out[0]["completions"]]
    assert [(v["label"], v["reason"]) for v in verdicts] == [
        ("pass", "judge_correct"),
        ("fail", "judge_incorrect"),
        ("unknown", "judge_unparsable"),
        ("unknown", "judge_error"),
        ("pass", "equivalent"),
    ]
    assert [c.get("correct") for c in out[0]["completions"]] == [True, False, None, None, None]
    assert verdicts[0]["verifier"] == "judge" and verdicts[0]["version"] == "judge-model"
    assert verdicts[0]["rule_verdict"]["reason"] == "no_rule_verifier"
    assert verdicts[3]["detail"] == "http_500"
    assert "rule_verdict" not in verdicts[4]  # rules decided it: the judge was not asked
    assert out[1]["completions"][0]["verdict"]["reason"] == "no_rule_verifier"  # no reference: not judged
    # 4 judged completions, the 500 retried once; the judge sees the final answer, not the reasoning
    assert len(server.log) == 5
    assert all(r["auth"] == f"Bearer {SECRET}" and r["path"] == "/v1/chat/completions" for r in server.log)
    assert all("hmm" not in r["prompt"] for r in server.log)
    assert SECRET not in json.dumps(out)


def test_judge_can_audit_rule_failures():
    recs = [
        {
            "id": "a",
            "prompt": "Capital?",
            "reference": {"answer": "Paris"},
            "completions": [
                {"text": "Paris, France", "verdict": {"label": "fail", "reason": "not_equivalent"}}
            ],
        }
    ]
    with FakeChatServer(reply=grade) as server:
        config = JudgeConfig(server.url, "m", on=("unknown", "fail"))
        (out,) = iter_judged(JudgeClient(config), recs)
    assert out["completions"][0]["verdict"]["label"] == "pass"
    assert out["completions"][0]["verdict"]["rule_verdict"]["reason"] == "not_equivalent"


def test_unreachable_judge_is_unknown_not_a_crash():
    config = JudgeConfig("http://127.0.0.1:9/v1", "m", retries=1, backoff_s=0.01, timeout_s=2)
    v = JudgeClient(config).judge("q", "ref", "ans")
    assert (v["label"], v["reason"]) == ("unknown", "judge_error")


def test_cli_judge_flags_and_no_secret_in_output(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", records())
    out_path = tmp_path / "out.jsonl"
    with FakeChatServer(reply=grade) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "r1data.cli",
                "verify",
                str(src),
                str(out_path),
                "--quiet",
                "--workers",
                "1",
                "--judge-endpoint",
                server.url,
                "--judge-model",
                "judge-model",
                "--judge-api-key-env",
                "MY_KEY",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**__import__("os").environ, "MY_KEY": SECRET},
        )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr + out_path.read_text()
    first = json.loads(out_path.read_text().splitlines()[0])
    assert [c["verdict"]["reason"] for c in first["completions"]][:2] == ["judge_correct", "judge_incorrect"]
    assert re.search(r"pass 2, fail 1, unknown 3", result.stdout)
