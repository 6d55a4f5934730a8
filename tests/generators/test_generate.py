"""Generation against a FAKE loopback chat server: faults, resume, accounting, routing, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from r1data.generators.generate import GenerationStats, RequestCache, generate_records
from r1data.generators.rollouts import build_messages
from r1data.llm.client import ChatClient, EndpointConfig, GenerationError
from tests.conftest import write_jsonl
from tests.doubles.fake_chat_server import FakeChatServer


def records(n):
    return [{"id": f"p{i}", "domain": "math", "prompt": f"What is {i} + {i}?"} for i in range(n)]


def client(server, **kw):
    return ChatClient(
        EndpointConfig(
            [server.url],
            "teacher",
            retries=kw.pop("retries", 8),
            backoff_s=0.01,
            max_backoff_s=0.05,
            timeout_s=kw.pop("timeout_s", 1.0),
            **kw,
        )
    )


def test_r1_conventions_in_messages():
    msgs = build_messages(
        {
            "messages": [{"role": "system", "content": "be nice"}, {"role": "user", "content": "1+1?"}],
            "domain": "math",
        }
    )
    assert msgs == [
        {
            "role": "user",
            "content": "1+1?\nPlease reason step by step, and put your final answer within \\boxed{}.",
        }
    ]
    assert build_messages({"prompt": "hi", "domain": "general"}) == [{"role": "user", "content": "hi"}]
    assert build_messages({"prompt": "hi", "domain": "math"}, r1_conventions=False) == [
        {"role": "user", "content": "hi"}
    ]


def test_every_prompt_completes_through_injected_faults_without_duplicates(tmp_path):
    with FakeChatServer(fault_rate=0.3, seed=1, stall_s=1.5) as server:
        stats = GenerationStats()
        out = list(
            generate_records(
                records(30),
                client(server),
                4,
                {"max_tokens": 64, "seed": 10},
                RequestCache(str(tmp_path / "c.sqlite")),
                concurrency=8,
                stats=stats,
            )
        )
    assert [r["id"] for r, _ in out] == [f"p{i}" for i in range(30)]
    assert all(reasons == [] for _, reasons in out)
    for record, _ in out:
        assert [c["sample_index"] for c in record["completions"]] == [0, 1, 2, 3]
        assert [c["text"].rsplit("#", 1)[1][:2] for c in record["completions"]] == ["10", "11", "12", "13"]
    assert stats.prompts_done == 30 and stats.prompts_failed == 0
    assert stats.requests_sent == 120 == server.served
    assert stats.tokens_completion > 0 and stats.tokens_prompt > 0
    assert server.requests > 120  # the faults were retried


def test_a_request_that_fails_for_good_fails_its_prompt_with_the_reason(tmp_path):
    with FakeChatServer(always_fail="13 + 13") as server:
        stats = GenerationStats()
        out = list(
            generate_records(records(20), client(server, retries=2), 2, {}, RequestCache(None), stats=stats)
        )
    failed = [(r["id"], reasons) for r, reasons in out if reasons]
    assert failed == [("p13", ["http_500", "http_500"])]
    assert stats.prompts_done + stats.prompts_failed == stats.prompts_in == 20
    assert "completions" not in out[13][0]  # nothing partial is written for a failed prompt


def test_client_errors_are_not_retried_and_secrets_stay_out(monkeypatch):
    monkeypatch.setenv("R1DATA_API_KEY", "sk-secret-xyz")
    c = ChatClient(EndpointConfig(["http://127.0.0.1:9/v1"], "m", retries=1, backoff_s=0.01, timeout_s=1))
    with pytest.raises(GenerationError) as info:
        c.complete([{"role": "user", "content": "x"}])
    assert info.value.reason == "connection_error" and "sk-secret" not in str(info.value)
    with pytest.raises(ValueError):
        EndpointConfig(["ftp://x"], "m")


def test_least_busy_routing_spreads_requests_over_endpoints(tmp_path):
    with FakeChatServer(latency_s=0.05) as a, FakeChatServer(latency_s=0.05) as b:
        c = ChatClient(EndpointConfig([a.url, b.url], "m", routing="least_busy", timeout_s=5))
        out = list(generate_records(records(20), c, 2, {}, RequestCache(None), concurrency=8))
    assert all(not reasons for _, reasons in out)
    assert a.served + b.served == 40 and min(a.served, b.served) >= 10


def test_cli_resume_after_a_kill_regenerates_nothing_finished(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", records(40))
    out = tmp_path / "out.jsonl"
    with FakeChatServer(latency_s=0.05, max_concurrent=4) as server:
        cmd = [
            sys.executable,
            "-m",
            "r1data.cli",
            "generate",
            str(src),
            str(out),
            "--endpoint",
            server.url,
            "--model",
            "teacher",
            "-n",
            "3",
            "--concurrency",
            "4",
            "--quiet",
            "--seed",
            "0",
        ]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.time() + 60
        while server.served < 40 and time.time() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # killed mid-run
        proc.wait()
        time.sleep(0.5)  # requests in flight at the kill are still answered (to nobody)
        first = server.served
        assert 40 <= first < 120
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    import re

    sent, cached = map(int, re.search(r"requests sent (\d+), from cache (\d+)", result.stdout).groups())
    # the rerun asks only for what was not finished: requests still in flight at the kill (at most the
    # concurrency) were answered but never cached, so they are the only ones asked twice
    assert sent + cached == 120
    assert first - 4 <= cached <= first
    assert server.served == first + sent
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == [f"p{i}" for i in range(40)]  # each prompt exactly once
    assert all([c["sample_index"] for c in r["completions"]] == [0, 1, 2] for r in rows)
    assert (tmp_path / "out.jsonl.failures.jsonl").read_text() == ""


def test_recipe_generate_verify_select_write_against_the_fake_server(tmp_path):
    from pathlib import Path

    import datasets

    from r1data.pipelines import run_recipe
    from r1data.pipelines.recipe import Recipe

    src = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": f"p{i}", "prompt": f"What is {i} + {i}?", "reference": {"answer": "4" if i % 2 else "5"}}
            for i in range(12)
        ],
    )
    with FakeChatServer(fault_rate=0.2, seed=3, stall_s=1.5) as server:
        recipe = Recipe.model_validate(
            {
                "name": "gen",
                "input": {"path": str(src)},
                "stages": [
                    {
                        "name": "generate",
                        "steps": [
                            {
                                "generate": {
                                    "endpoints": [server.url],
                                    "model": "teacher",
                                    "n": 3,
                                    "seed": 0,
                                    "concurrency": 6,
                                    "timeout_s": 1.0,
                                    "retries": 8,
                                    "cache_dir": str(tmp_path / "cache"),
                                }
                            }
                        ],
                    },
                    {
                        "name": "verify",
                        "steps": ["parse_traces", {"verify": {"domain": "math", "workers": 1}}],
                    },
                    {"name": "select", "steps": [{"select": {"policy": "all"}}, "format_r1"]},
                ],
            }
        )
        result = run_recipe(recipe, str(tmp_path / "out"))
    f = result.funnel["completions"]
    # the fake teacher always answers 4: prompts whose reference is 4 keep all 3 samples
    assert (f["in"], f["kept"], f["dropped_by_reason"]) == (36, 18, {"fail_not_equivalent": 18})
    stats = json.loads(Path(result.stats_path).read_text())
    assert stats["generation"]["requests_sent"] == 36 and stats["generation"]["tokens_completion"] > 0
    assert stats["generation"]["completion_tokens_per_kept_row"] == round(
        stats["generation"]["tokens_completion"] / 18, 1
    )
    card = Path(result.card_path).read_text()
    assert "completion tokens per published row" in card
    assert stats["generation"]["completion_tokens_per_s"] > 0 and "completion tokens/s per task" in card
    ds = datasets.load_dataset(result.output_dir, split="train", cache_dir=str(tmp_path / "hf"))
    assert ds.num_rows == 18 and ds[0]["messages"][1]["content"].startswith("<think>\n")


def test_recipe_killed_mid_generation_resumes_from_its_cache(tmp_path):
    """`r1data run` killed during the generate stage, then run again on the same output directory: the
    stage's request cache (DIR/cache/<stage>/, the runner's default) serves what had finished, and
    every prompt is published exactly once."""
    import pyarrow.parquet as pq
    import yaml

    src = write_jsonl(tmp_path / "in.jsonl", records(30))
    out = tmp_path / "out"
    with FakeChatServer(latency_s=0.05, max_concurrent=4) as server:
        recipe = tmp_path / "r.yaml"
        recipe.write_text(yaml.safe_dump({
            "name": "gen-resume",
            "input": {"path": str(src)},
            "stages": [{"name": "generate", "steps": [
                {"generate": {"endpoints": [server.url], "model": "teacher", "n": 2, "concurrency": 4, "seed": 0}},
                {"format_r1": {"require_reasoning": False}}]}],
        }))  # fmt: skip
        cmd = [sys.executable, "-m", "r1data.cli", "run", str(recipe), "--output", str(out)]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.time() + 60
        while server.served < 24 and time.time() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)
        first = server.served
        assert 24 <= first < 60
        assert list((out / "cache" / "generate").glob("*.sqlite"))
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        # only the requests in flight at the kill (at most the concurrency) are asked twice
        assert 60 <= server.served <= 60 + 4
    stats = json.loads((out / "stats.json").read_text())
    assert stats["generation"]["requests_cached"] >= first - 4
    assert stats["generation"]["requests_sent"] + stats["generation"]["requests_cached"] == 60
    rows = [r for shard in sorted((out / "data").glob("*.parquet")) for r in pq.read_table(shard).to_pylist()]
    assert sorted(r["id"] for r in rows) == sorted(f"p{i}/{j}" for i in range(30) for j in range(2))
