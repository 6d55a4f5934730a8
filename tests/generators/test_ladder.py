"""The budget ladder against a FAKE loopback chat server that cuts answers at ``max_tokens`` as a model
does: only cut samples are asked again; continue rebuilds the text one uncut request gives; resample
asks a fresh sample at the next budget; close forces ``</think>`` and asks for a summary; every token
is accounted; a rerun repeats nothing; the step, the CLI and the card show it."""

from __future__ import annotations

import json
import re

import pytest

from r1data.cli import main as cli
from r1data.generators.generate import GenerationStats, RequestCache, generate_records
from r1data.llm.client import ChatClient, EndpointConfig
from r1data.llm.ladder import Ladder
from tests.conftest import write_jsonl
from tests.doubles.fake_chat_server import FakeChatServer

LONG = {"p0", "p2", "p5"}  # prompts whose answer is longer than the first budget


def writer(prompt: str, seed: int) -> str:
    """The teacher: long reasoning for some prompts, short for the rest; the seed shows in the text."""
    n = int(re.search(r"What is (\d+)", prompt).group(1))
    words = 150 if f"p{n}" in LONG else 20
    steps = " ".join(f"step{i}-s{seed}" for i in range(words))
    return f"<think>\n{steps}\n</think>\n\nSo {n} + {n} = $\\boxed{{{2 * n}}}$."


def records(n: int = 6) -> list[dict]:
    return [{"id": f"p{i}", "domain": "math", "prompt": f"What is {i} + {i}?", "reference": {"answer": str(2 * i)}}
            for i in range(n)]  # fmt: skip


def run(server, ladder, cache_path=None, seed=0):
    client = ChatClient(EndpointConfig([server.url], "teacher", retries=2, backoff_s=0.01, timeout_s=5))
    stats = GenerationStats()
    params = {"max_tokens": ladder.rungs[0], "temperature": 0.6, "top_p": 0.95, "seed": seed}
    out = list(
        generate_records(records(), client, 1, params, RequestCache(cache_path), 4, stats, ladder=ladder)
    )
    return {r["id"]: r["completions"][0] for r, reasons in out if not reasons}, stats


def uncut(server, budget: int) -> dict:
    return run(server, Ladder([budget]))[0]


def test_continue_rebuilds_the_uncut_text_and_only_cut_samples_are_asked_again():
    with FakeChatServer(writer=writer) as server:
        full = uncut(server, 1000)
        server.log.clear()
        got, stats = run(server, Ladder([100, 400], "continue"))
    assert {k: c["text"] for k, c in got.items()} == {k: c["text"] for k, c in full.items()}
    assert all(c["finish_reason"] == "stop" for c in got.values())
    asked_again = [e for e in server.log if e["continued"]]
    assert len(server.log) == 6 + len(LONG) and len(asked_again) == len(LONG)
    assert all(e["max_tokens"] == 400 - 100 for e in asked_again)  # what is left of the next budget
    for key in LONG:
        steps = got[key]["ladder"]
        assert [(s["budget"], s["mode"], s["finish_reason"]) for s in steps] == [
            (100, "first", "length"),
            (400, "continue", "stop"),
        ]
        assert got[key]["tokens"]["completion"] == full[key]["tokens"]["completion"]
    assert "ladder" not in got["p1"]
    assert stats.truncated_by_budget == {100: len(LONG)}
    assert stats.rescued_by_mode == {"continue": len(LONG)}
    assert stats.tokens_rescue == sum(got[k]["tokens"]["completion"] - 100 for k in LONG)


def test_a_sample_still_cut_at_the_top_of_the_ladder_stays_cut_and_is_counted_at_each_budget():
    with FakeChatServer(writer=writer) as server:
        got, stats = run(server, Ladder([40, 80, 120], "continue"))
    for key in LONG:
        assert got[key]["finish_reason"] == "length"
        assert [s["budget"] for s in got[key]["ladder"]] == [40, 80, 120]
        assert got[key]["tokens"]["completion"] == 120
    assert stats.truncated_by_budget == {40: 3, 80: 3, 120: 3} and not stats.rescued_by_mode


def test_resample_asks_a_fresh_sample_at_the_next_budget():
    with FakeChatServer(writer=writer) as server:
        got, stats = run(server, Ladder([100, 400], "resample"))
    resampled = [e for e in server.log if e["max_tokens"] == 400]
    assert len(resampled) == len(LONG) and not any(e["continued"] for e in server.log)
    for key in LONG:
        c = got[key]
        assert c["finish_reason"] == "stop" and c["text"].startswith("<think>\n")
        seed = int(re.search(r"-s(\d+)", c["text"]).group(1))
        assert seed == 7919 and c["text"] == writer(f"What is {key[1:]} +", seed)
        assert c["tokens"]["spent"] == 100 + c["tokens"]["completion"]
    assert stats.rescued_by_mode == {"resample": len(LONG)}


def test_close_forces_the_end_of_the_reasoning_and_asks_only_for_a_summary():
    with FakeChatServer(writer=writer) as server:
        got, stats = run(server, Ladder([100], "close", close_tokens=30))
    closing = [e for e in server.log if e["continued"]]
    assert len(closing) == len(LONG) and all(e["max_tokens"] == 30 for e in closing)
    assert all(e["continued"].endswith("\n</think>\n\n") for e in closing)
    for key in LONG:
        c = got[key]
        assert c["forced_close"] is True and c["finish_reason"] == "stop"
        n = int(key[1:])
        assert c["text"].count("</think>") == 1 and f"\\boxed{{{2 * n}}}" in c["text"].split("</think>")[1]
    assert stats.forced_close == len(LONG) and stats.rescued_by_mode == {"close": len(LONG)}
    assert "forced_close" not in got["p1"]


def test_drop_asks_nothing_more_and_a_rerun_repeats_no_request(tmp_path):
    with FakeChatServer(writer=writer) as server:
        got, _ = run(server, Ladder([100]))
        assert len(server.log) == 6 and got["p0"]["finish_reason"] == "length"
        cache = str(tmp_path / "cache.sqlite")
        run(server, Ladder([100, 400], "continue"), cache)
        asked = len(server.log)
        again, stats = run(server, Ladder([100, 400], "continue"), cache)
    assert len(server.log) == asked  # every step of the ladder came from the cache
    assert stats.requests_sent == 0 and stats.requests_cached == 6 + len(LONG)
    assert again["p0"]["finish_reason"] == "stop"


def test_the_cli_and_a_recipe_take_the_ladder_and_the_card_accounts_for_it(tmp_path, capsys):
    src = write_jsonl(tmp_path / "in.jsonl", records())
    with FakeChatServer(writer=writer) as server:
        out = tmp_path / "out.jsonl"
        argv = ["generate", str(src), str(out), "--endpoint", server.url, "--model", "teacher", "-q",
                "--max-tokens", "100", "400", "--on-truncation", "continue", "--seed", "0"]  # fmt: skip
        assert cli(argv) == 0
        rows = {r["id"]: r for r in map(json.loads, out.read_text().splitlines())}
        assert all(r["completions"][0]["finish_reason"] == "stop" for r in rows.values())
        assert rows["p0"]["completions"][0]["ladder"][1]["mode"] == "continue"
        recipe = tmp_path / "recipe.yaml"
        recipe.write_text(
            f"""name: ladder
input: {{path: {src}}}
stages:
  - name: generate
    steps:
      - generate: {{endpoints: {server.url}, model: teacher, n: 1, seed: 0, max_tokens: [100, 400],
                    on_truncation: close, close_tokens: 30, cache_dir: {tmp_path / "cache"}}}
      - parse_traces
      - verify: {{domain: math}}
  - name: select
    steps: [{{select: {{policy: shortest, k: 1}}}}, format_r1]
card: {{license: apache-2.0}}
"""
        )
        assert cli(["run", str(recipe), "--output", str(tmp_path / "run"), "-q"]) == 0
    stats = json.loads((tmp_path / "run" / "stats.json").read_text())
    generation = stats["generation"]
    assert generation["truncated_at_100"] == len(LONG) and generation["rescued_close"] == len(LONG)
    assert generation["forced_close"] == len(LONG) and generation["tokens_rescue"] > 0
    card = (tmp_path / "run" / "README.md").read_text()
    assert generation["samples"] == 6 and generation["cap_hit_rate"] == {"100": 0.5}
    assert "Budget ladder" in card and "cut at 100 tokens: 3 (50% of those that reached it)" in card
    report = (tmp_path / "run" / "report.html").read_text()
    assert "<h3>Budget ladder</h3>" in report and "50.0%" in report
    assert "3 of the published rows had their reasoning closed by force" in card


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--max-tokens", "400", "100"], "must increase"),
        (["--on-truncation", "stretch"], "invalid choice"),
    ],
)
def test_a_bad_ladder_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    src = write_jsonl(tmp_path / "in.jsonl", records(1))
    try:
        code = cli(["generate", str(src), str(tmp_path / "o.jsonl"), "--endpoint", "http://127.0.0.1:9/v1",
                    "--model", "m", *argv])  # fmt: skip
    except SystemExit as exc:  # a usage mistake: the parser's own one line
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_eval_scores_cut_samples_as_wrong_unless_asked_to_close_them(tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", records())
    metrics = {}
    with FakeChatServer(writer=writer) as server:
        for mode in ("drop", "close"):
            out = tmp_path / mode
            argv = ["eval", str(src), "--output", str(out), "--endpoint", server.url, "--model", "teacher",
                    "-n", "1", "--max-tokens", "100", "--on-truncation", mode, "--seed", "0", "-q"]  # fmt: skip
            assert cli(argv) == 0
            metrics[mode] = json.loads((out / "metrics.json").read_text())
    assert metrics["drop"]["pass@1"] == 0.5 and metrics["drop"]["lengths"]["truncation_rate"] == 0.5
    assert metrics["close"]["pass@1"] == 1.0 and metrics["close"]["lengths"]["forced_close_rate"] == 0.5
    assert metrics["close"]["lengths"]["first_budget_cap_hit_rate"] == 0.5
    assert metrics["close"]["sampling"]["on_truncation"] == "close"
