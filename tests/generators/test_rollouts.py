"""Rollout methods, the router, self-cognition, the quality judge and the batched-engine loop (with a
FAKE engine here; the real vLLM engine is in tests/engine)."""

from __future__ import annotations

import json

import pytest

from r1data.generators.generate import GenerationStats, RequestCache, generate_records
from r1data.generators.generate_step import build_rollout
from r1data.generators.rollouts import (
    MATH_INSTRUCTION,
    FewShotRollout,
    ReflectVerifyRollout,
    ReformatRollout,
    Rollout,
    Router,
    RouterRollout,
    fill_template,
    load_template,
)
from r1data.generators.self_cognition import SelfCognition, self_cognition_records
from r1data.llm.client import ChatClient, EndpointConfig, GenerationError
from r1data.pipelines.recipe import expand_env
from tests.conftest import write_jsonl
from tests.doubles.fake_chat_server import FakeChatServer


def test_fill_template_is_one_pass():
    assert fill_template("{problem} / {trace}", problem="{trace}", trace="T") == "{trace} / T"
    assert fill_template("\\boxed{} {x}", x="1") == "\\boxed{} 1"


@pytest.mark.parametrize("prompt", ["Hello!", "  hi there ", "Thanks so much!!", "你好", "Bonjour", "¡Hola!",
                                    "good morning.", "ありがとうございます"])  # fmt: skip
def test_router_trivial(prompt):
    assert Router().trivial(prompt)


@pytest.mark.parametrize("prompt", ["Hello, can you explain relativity?", "What is 2+2?", "hi " * 40,
                                    "Write a poem", "thanks for the proof of Fermat's theorem"])  # fmt: skip
def test_router_not_trivial(prompt):
    assert not Router().trivial(prompt)


def test_router_rollout_messages_prefix_and_annotation():
    rollout = RouterRollout(think_prefix=True)
    hello, poem = {"id": "a", "prompt": "Hello!"}, {"id": "b", "prompt": "Write a poem about rain."}
    assert rollout.messages(hello) == [{"role": "user", "content": "Hello!"}]
    assert rollout.prefix(hello) == ""
    (message,) = rollout.messages(poem)
    assert message["content"].startswith("Write a poem about rain.") and "<think>" in message["content"]
    assert rollout.prefix(poem) == "<think>\n"
    rollout.finish(hello, [{"text": "Hi!"}])
    rollout.finish(poem, [{"text": "<think>x</think> rain"}])
    assert hello["completions"][0]["cot"] is False and poem["completions"][0]["cot"] is True


def test_few_shot_examples_as_turns(tmp_path):
    examples = write_jsonl(
        tmp_path / "ex.jsonl",
        [{"prompt": f"Q{i}?", "reasoning": f"r{i}", "summary": f"\\boxed{{{i}}}"} for i in range(4)],
    )
    rollout = FewShotRollout(str(examples), shots=2, n=3)
    record = {"id": "p", "domain": "math", "prompt": "Q1?"}
    messages = rollout.messages(record)
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert "Q1?" not in [m["content"] for m in messages[:-1]]  # never the question itself as an example
    assert messages[0]["content"].startswith(load_template("few_shot_instruction.txt").strip())
    assert messages[1]["content"].startswith("<think>\n") and "</think>\n\n\\boxed" in messages[1]["content"]
    assert messages[-1]["content"] == "Q1?\n" + MATH_INSTRUCTION
    assert rollout.messages(record) == messages  # the same shots on a rerun
    assert len(rollout.requests(record)) == 3
    shown = {rollout.messages({"id": f"id{i}", "prompt": "new?"})[0]["content"] for i in range(20)}
    assert len(shown) > 1  # shots vary across prompts
    with pytest.raises(ValueError, match="lack prompt/reasoning/summary"):
        FewShotRollout(str(write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "x"}])))


def test_reformat_one_request_per_completion_and_replaces(tmp_path):
    record = {"id": "r", "prompt": "What is 3 cubed?", "completions": [
        {"text": "<think>27</think><answer>27</answer>", "model": "zero", "verdict": {"label": "pass"}},
        {"text": "raw two", "model": "zero"}]}  # fmt: skip
    rollout = ReformatRollout()
    requests = rollout.requests(record)
    assert [r.sample_index for r in requests] == [0, 1]
    assert "<answer>27</answer>" in requests[0].messages[0]["content"]
    assert "What is 3 cubed?" in requests[0].messages[0]["content"]
    added = rollout.finish(record, [{"text": "<think>a</think> 27"}, {"text": "<think>b</think> 27"}])
    assert added == 0
    assert [c["source_text"] for c in record["completions"]] == [
        "<think>27</think><answer>27</answer>",
        "raw two",
    ]
    assert all("verdict" not in c and c["source_model"] == "zero" for c in record["completions"])
    with pytest.raises(ValueError, match="n must be 1"):
        build_rollout("reformat", 4, True, False)


def test_reflect_verify_template():
    (message,) = ReflectVerifyRollout().messages({"id": "x", "prompt": "Solve x+1=2."})
    assert "Solve x+1=2." in message["content"] and "verify" in message["content"]


class FakeEngine:
    """FAKE batched engine (the real one is vLLM, tested in tests/engine): answers 'sample j of <last
    message>', records the batches it got."""

    batched = True
    model = "fake-engine"

    def __init__(self, fail_on: str | None = None):
        self.batches: list[list] = []
        self.fail_on = fail_on

    def generate(self, requests):
        self.batches.append(requests)
        out = []
        for r in requests:
            if self.fail_on and self.fail_on in r.messages[-1]["content"]:
                out.append(GenerationError("engine_rejected"))
                continue
            seed = r.params.get("seed", 0)
            out.append([{"text": f"{r.prefix}s{seed + j} {r.messages[-1]['content'][:6]}", "finish_reason": "stop",
                         "tokens": {"prompt": 5, "completion": 3}} for j in range(r.n)])  # fmt: skip
        return out


def test_batched_engine_groups_samples_as_n_and_resumes_from_cache(tmp_path):
    records = [{"id": f"p{i}", "domain": "general", "prompt": f"prompt {i}"} for i in range(5)]
    cache = RequestCache(str(tmp_path / "c.sqlite"))
    engine, stats = FakeEngine(), GenerationStats()
    out = list(generate_records([dict(r) for r in records], engine, Rollout(3, think_prefix=True),
                                {"seed": 10}, cache, concurrency=2, stats=stats))  # fmt: skip
    assert [len(b) for b in engine.batches] == [2, 2, 1]  # records per call
    assert all(r.n == 3 for b in engine.batches for r in b)  # the samples of a prompt: one request, n=3
    assert stats.requests_sent == 15 and stats.completions_added == 15 and stats.tokens_completion == 45
    first, _ = out[0]
    assert [c["text"] for c in first["completions"]] == ["<think>\ns10 prompt", "<think>\ns11 prompt",
                                                          "<think>\ns12 prompt"]  # fmt: skip
    again, engine2 = GenerationStats(), FakeEngine()
    rerun = list(generate_records([dict(r) for r in records], engine2, Rollout(3, think_prefix=True),
                                  {"seed": 10}, cache, concurrency=2, stats=again))  # fmt: skip
    assert again.requests_sent == 0 and again.requests_cached == 15
    assert all(b == [] for b in engine2.batches)
    assert [r["completions"] for r, _ in rerun] == [r["completions"] for r, _ in out]


def test_batched_engine_failure_is_per_prompt():
    records = [{"id": "ok", "prompt": "fine"}, {"id": "bad", "prompt": "too long"}]
    out = list(generate_records(records, FakeEngine(fail_on="too long"), 2, {}, RequestCache(None)))
    assert [(r["id"], reasons) for r, reasons in out] == [("ok", []), ("bad", ["engine_rejected"] * 2)]


def test_endpoint_think_prefix_continues_the_assistant_message():
    with FakeChatServer(reply=lambda prompt: (200, "Two and two.</think> 4")) as server:
        client = ChatClient(EndpointConfig([server.url], "m", retries=0))
        ((record, reasons),) = generate_records([{"id": "a", "prompt": "2+2?"}], client,
                                                Rollout(1, think_prefix=True), {}, RequestCache(None))  # fmt: skip
    assert not reasons and record["completions"][0]["text"] == "<think>\nTwo and two.</think> 4"
    assert server.log[0]["prompt"] == "<think>\n"  # the last message is the assistant prefix


def test_self_cognition_records_and_step():
    rows = self_cognition_records("Orca", "Example Labs", ["en", "zh"])
    assert len(rows) == 9 and {r["language"] for r in rows} == {"en", "zh"}
    assert all("Orca" in r["completions"][0]["text"] for r in rows)
    assert any("Example Labs" in r["completions"][0]["text"] for r in rows if r["language"] == "zh")
    assert len({r["id"] for r in rows}) == 9
    with pytest.raises(ValueError, match="no self-cognition templates"):
        self_cognition_records("x", "y", ["xx"])
    step = SelfCognition("Orca", "Example Labs", ["en"])
    from datatrove.data import Document

    docs = list(step.run(iter([Document(text="q", id="in", metadata={"id": "in"})]), rank=0))
    assert next(d.id for d in docs) == "in" and len(docs) == 6
    assert step.stats["records_added"].total == 5 and step.stats["completions_generated"].total == 5
    assert [d.id for d in SelfCognition("Orca", "E", ["en"]).run(iter([]), rank=1)] == []


def test_quality_judge_scores_the_final_reply_only():
    from datatrove.data import Document

    from r1data.verifiers.quality import QualityJudge

    def reply(prompt):
        if "unparsable" in prompt:
            return 200, "I think it is fine"
        return 200, json.dumps({"score": 3 if "bad" in prompt else 8, "reason": "r"})

    records = [
        {"id": "w", "domain": "writing", "prompt": "Write.", "completions": [
            {"text": "<think>secret plan</think>good poem"}, {"text": "<think>x</think>bad poem"},
            {"text": "unparsable"}, {"text": "<think>only thinking</think>"}]},
        {"id": "s", "domain": "self_cognition", "prompt": "Who?", "completions": [
            {"text": "I am X", "verdict": {"label": "pass", "verifier": "template"}}]},
        {"id": "m", "domain": "math", "prompt": "1+1", "completions": [{"text": "2"}]},
    ]  # fmt: skip
    with FakeChatServer(reply=reply) as server:
        step = QualityJudge(server.url, "judge", domains=["writing", "self_cognition"], min_score=7)
        docs = list(step.run(iter(Document(text=r["prompt"], id=r["id"], metadata=r) for r in records)))
    labels = [(c["verdict"]["label"], c["verdict"]["reason"]) for c in docs[0].metadata["completions"]]
    assert labels == [("pass", "score_at_least_7"), ("fail", "score_below_7"),
                      ("unknown", "judge_unparsable"), ("fail", "empty_reply")]  # fmt: skip
    assert docs[1].metadata["completions"][0]["verdict"]["verifier"] == "template"
    assert "verdict" not in docs[2].metadata["completions"][0]  # math is not this judge's
    assert len(server.log) == 3 and not any("secret plan" in e["prompt"] for e in server.log)


def test_expand_env(monkeypatch):
    monkeypatch.setenv("R1_X", "http://h:1/v1")
    monkeypatch.delenv("R1_MISSING", raising=False)
    assert expand_env("a: ${R1_X}\nb: ${R1_MISSING:-7}\nc: ${R1_MISSING:-}") == "a: http://h:1/v1\nb: 7\nc: "
    with pytest.raises(ValueError, match="R1_MISSING is not set"):
        expand_env("a: ${R1_MISSING}", "r.yaml")
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    with pytest.raises(ValueError, match="looks like a secret") as info:
        expand_env("token: ${HF_TOKEN}")
    assert "hf_secret_value" not in str(info.value)
    for name in ("OPENAI_API_KEY", "MY_SECRET", "DB_PASSWORD"):
        with pytest.raises(ValueError, match="looks like a secret"):
            expand_env(f"x: ${{{name}:-a}}")
    assert expand_env("n: ${R1DATA_MAX_TOKENS:-64}") == "n: 64"  # not a secret


def test_existing_sft_conversations_as_input(tmp_path):
    """A local SFT dataset (messages with the answer as the last turn) → from_sft → judged → rows."""
    from r1data.pipelines import run_recipe
    from r1data.pipelines.recipe import Recipe

    sft = write_jsonl(tmp_path / "sft.jsonl", [
        {"conv_id": 1, "messages": [{"role": "user", "content": "Name a primary colour."},
                                    {"role": "assistant", "content": "Red is a primary colour."}]},
        {"conv_id": 2, "messages": [{"role": "system", "content": "Be brief."},
                                    {"role": "user", "content": "Capital of Italy?"},
                                    {"role": "assistant", "content": "Rome. It has been the capital since 1871."}]},
        {"conv_id": 3, "messages": [{"role": "user", "content": "Say something rude."},
                                    {"role": "assistant", "content": "No thanks, I will keep it polite here."}]},
    ])  # fmt: skip
    with FakeChatServer(reply=lambda p: (200, json.dumps({"score": 2 if "polite" in p else 9}))) as judge:
        recipe = Recipe.model_validate({
            "name": "sft-reuse",
            "input": {"path": str(sft), "mapping": {"id": "conv_id", "messages": "messages",
                                                     "domain": {"const": "general"}, "source": {"const": "my-sft"}}},
            "stages": [{"name": "judge", "steps": ["from_sft", "parse_traces",
                        {"judge_quality": {"endpoint": judge.url, "model": "judge"}},
                        {"select": {"policy": "first", "require_r1_format": False}},
                        {"format_r1": {"require_reasoning": False}}]}],
        })  # fmt: skip
        result = run_recipe(recipe, str(tmp_path / "out"))
    import pyarrow.parquet as pq

    rows = [r for s in result.shards for r in pq.read_table(tmp_path / "out" / "data" / s).to_pylist()]
    assert sorted(r["prompt_id"] for r in rows) == ["1", "2"]
    two = next(r for r in rows if r["prompt_id"] == "2")
    assert [m["role"] for m in two["messages"]] == ["system", "user", "assistant"]
    assert (
        two["messages"][-1]["content"] == "Rome. It has been the capital since 1871."
        and two["teacher"] == "my-sft"
    )
    assert result.funnel["completions"] == {**result.funnel["completions"], "in": 3, "kept": 2}
    assert len(judge.log) == 3 and any(
        "Capital of Italy?" in e["prompt"] for e in judge.log
    )  # threads: any order


def test_cli_reformat_method_against_the_fake_server(tmp_path, capsys):
    from r1data.cli import main
    from r1data.pipelines.recipe import resolve_path

    src = resolve_path("package://r1data/sample/r1_zero_traces.jsonl")
    out = tmp_path / "reformatted.jsonl"
    with FakeChatServer(reply=lambda prompt: (200, "<think>\nneat steps\n</think>\n\n\\boxed{27}")) as server:
        code = main(["generate", src, str(out), "--endpoint", server.url, "--model", "m", "--method", "reformat",
                     "--quiet"])  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [len(r["completions"]) for r in rows] == [1, 1]
    assert all(c["rollout"] == "reformat" and c["source_text"].startswith("<think>")
               for r in rows for c in r["completions"])  # fmt: skip
    assert all("Raw trace:" in entry["prompt"] for entry in server.log) and len(server.log) == 2
    bad = ["generate", src, str(out), "--endpoint", "http://127.0.0.1:9/v1", "--model", "m", "--method", "refine",
           "-n", "2", "--quiet"]  # fmt: skip
    assert main(bad) == 2
    assert "n must be 1" in capsys.readouterr().err
