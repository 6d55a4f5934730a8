"""Model replies of every shape a server sends (a reasoning parser's split answer, content parts, no
content, no finish_reason), and what a rerun asks again after a teacher outage — against the FAKE
loopback chat server, which logs every request."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from r1data.generators.generate import GenerationStats, RequestCache, generate_records
from r1data.llm.client import ChatClient, EndpointConfig, GenerationError
from tests.conftest import write_jsonl
from tests.doubles.fake_chat_server import FakeChatServer


def client(server, retries=1):
    return ChatClient(EndpointConfig([server.url], "teacher", retries=retries, backoff_s=0.01, timeout_s=2))


def message(**fields):
    finish = fields.pop("finish_reason", "stop")
    choice = {"message": {"role": "assistant", **fields}}
    if finish is not None:
        choice["finish_reason"] = finish
    return choice


@pytest.mark.parametrize(
    ("choice", "text", "finish"),
    [
        # vLLM / SGLang with a reasoning parser: the chain of thought comes apart from the answer
        (
            message(reasoning_content="2+2 is 4.", content="The answer is $\\boxed{4}$."),
            "<think>\n2+2 is 4.\n</think>\n\nThe answer is $\\boxed{4}$.",
            "stop",
        ),
        (message(reasoning="2+2 is 4.", content="4"), "<think>\n2+2 is 4.\n</think>\n\n4", "stop"),
        # cut inside the reasoning: the block stays open (truncated), no answer invented
        (
            message(reasoning_content="2+2 is", content=None, finish_reason="length"),
            "<think>\n2+2 is",
            "length",
        ),
        (
            message(content=[{"type": "text", "text": "Four"}, {"type": "text", "text": " it is."}]),
            "Four it is.",
            "stop",
        ),
        (message(content="no reason given", finish_reason=None), "no reason given", "unknown"),
        (message(content="empty reason", finish_reason=""), "empty reason", "unknown"),
    ],
)
def test_replies_become_completions(choice, text, finish):
    with FakeChatServer(reply=lambda _p: (200, choice)) as server:
        reply = client(server).complete([{"role": "user", "content": "2+2?"}])
    assert (reply["text"], reply["finish_reason"]) == (text, finish)


@pytest.mark.parametrize(
    "choice",
    [
        message(content=None),
        message(content=42),
        message(content={"text": "x"}),
        message(content=[{"type": "text", "text": 5}]),
        message(reasoning_content=["not", "parts"], content="x"),
    ],
)
def test_a_reply_that_is_not_text_is_a_failure_with_a_reason(choice):
    with FakeChatServer(reply=lambda _p: (200, choice)) as server, pytest.raises(GenerationError) as info:
        client(server, retries=0).complete([{"role": "user", "content": "2+2?"}])
    assert info.value.reason == "malformed_response"


def test_the_r1_row_is_built_from_both_parts_with_the_think_prefix():
    """With ``think_prefix`` the request ends in ``<think>\\n`` for the server to continue; a server with a
    reasoning parser returns the block whole, which is not opened twice."""
    choice = message(reasoning_content="Six times seven.", content="$\\boxed{42}$")
    with FakeChatServer(reply=lambda _p: (200, choice)) as server:
        from r1data.generators.rollouts import Rollout

        record = {"id": "a", "domain": "math", "prompt": "6*7?"}
        ((out, reasons),) = list(
            generate_records([record], client(server), Rollout(1, think_prefix=True), {}, RequestCache(None))
        )
    assert not reasons
    assert out["completions"][0]["text"] == "<think>\nSix times seven.\n</think>\n\n$\\boxed{42}$"
    from r1data.core.completion import r1_problem, reasoning, summary

    c = out["completions"][0]
    assert (reasoning(c), summary(c), r1_problem(c)) == ("Six times seven.", "$\\boxed{42}$", None)


def _recipe(tmp_path, url, src):
    path = tmp_path / "r.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "outage",
                "input": {"path": str(src)},
                "stages": [
                    {"name": "generate", "steps": [{"generate": {"endpoints": [url], "model": "teacher", "n": 2,
                                                                 "seed": 0, "retries": 1, "timeout_s": 2.0}}]},
                    {"name": "format", "steps": [{"format_r1": {"require_reasoning": False}}]},
                ],
            }
        )
    )  # fmt: skip
    return path


def _run(recipe, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "r1data.cli", "run", str(recipe), "--output", str(out), "--quiet", *extra],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_rerun_asks_again_exactly_the_requests_that_failed(tmp_path):
    src = write_jsonl(
        tmp_path / "in.jsonl", [{"id": f"p{i}", "prompt": f"What is {i} + 1?"} for i in range(6)]
    )
    out = tmp_path / "out"
    down = {"p2", "p4"}

    def flaky(prompt):
        if any(f"What is {p[1:]} + 1?" in prompt for p in down):
            return 503, '{"error": "overloaded"}'
        return 200, "<think>\nsum\n</think>\n\n$\\boxed{1}$"

    with FakeChatServer(reply=flaky) as server:
        recipe = _recipe(tmp_path, server.url, src)
        first = _run(recipe, out)
        assert first.returncode == 0, first.stderr
        stats = json.loads((out / "stats.json").read_text())
        assert stats["funnel"]["records"]["dropped_by_reason"] == {"generation_failed_http_503": 2}
        assert stats["funnel"]["completions"]["kept"] == 8
        asked_first = server.requests
        down.clear()  # the teacher is back
        kept = _run(recipe, out, "--keep-failures")  # the option keeps the old failures: nothing asked
        assert kept.returncode == 0 and server.requests == asked_first
        second = _run(recipe, out)
        assert second.returncode == 0, second.stderr
        retried = [entry["prompt"] for entry in server.log[asked_first:]]
    # exactly the 2 prompts × 2 samples that had failed are asked again; the cache answered the rest
    assert len(retried) == 4 and all("What is 2 + 1?" in p or "What is 4 + 1?" in p for p in retried)
    stats = json.loads((out / "stats.json").read_text())
    assert (
        stats["funnel"]["completions"]["kept"] == 12 and stats["funnel"]["records"]["dropped_by_reason"] == {}
    )
    assert "asked again" in second.stderr


def test_generate_with_no_successful_sample_exits_non_zero_and_costs_are_honest(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "prompt": "1+1?"}, {"id": "b", "prompt": "2+2?"}])
    out = tmp_path / "out.jsonl"
    with FakeChatServer(reply=lambda _p: (500, "down")) as server:
        done = subprocess.run(
            [sys.executable, "-m", "r1data.cli", "generate", str(src), str(out), "--endpoint", server.url,
             "--model", "teacher", "-n", "1", "--retries", "0", "--quiet"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode != 0
    assert "no prompt was generated" in done.stderr and "http_500: 2" in done.stderr
    assert "Traceback" not in done.stderr
    stats = GenerationStats(tokens_completion=0, seconds=0.0).as_dict()
    assert stats["completion_tokens_per_s"] == 0.0  # a number, never None
    from r1data.pipelines.finish import _generation_accounting

    stage = {"g": {"🤖 generate": {"generation_tokens_completion": 712, "generation_tokens_completion_sent": 712,
                                   "generation_seconds": 2.0}}}  # fmt: skip
    assert _generation_accounting(stage, 0)["completion_tokens_per_kept_row"] is None
    assert _generation_accounting(stage, 4)["completion_tokens_per_kept_row"] == 178.0
    assert _generation_accounting(stage, 4)["completion_tokens_per_s"] == 356.0
