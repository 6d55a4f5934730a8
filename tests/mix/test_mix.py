"""`r1data mix`: quotas per subset and domain over real r1data output (the quickstart's rows) and a
non-reasoning set written here; cross-source dedup, decontamination against MATH-500, the shortage
policies, a deterministic shuffle, one Hub config per subset, the funnel and the quota report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from r1data.mix import MixRecipe, ShortageError, run_mix
from r1data.pipelines import load_recipe, run_recipe
from r1data.schemas.features import SFT_SCHEMA
from tests.conftest import REPO

SHARED = REPO.parent / "shared" / "data"
NON_REASONING = {"writing": 20, "qa": 15, "self_cognition": 5, "translation": 10}


def _row(i: int, domain: str, problem: str, answer: str) -> dict:
    user, assistant = {"role": "user", "content": problem}, {"role": "assistant", "content": answer}
    return {"id": f"nr-{i}/0", "prompt": [user], "completion": [assistant], "messages": [user, assistant],
            "problem": problem, "solution": None, "reasoning": "", "summary": answer, "prompt_id": f"nr-{i}",
            "source": "synthetic", "domain": domain, "teacher": "t", "finish_reason": "stop", "verdict_label": None,
            "verdict_reason": None, "verifier": None, "sample_index": 0, "n_samples": 1, "n_correct": None,
            "pass_rate": None, "completion_tokens": 20 + i}  # fmt: skip


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp("mix_sources")
    qs = root / "qs"
    run_recipe(load_recipe(str(REPO / "recipes/quickstart.yaml")), str(qs))
    copy = root / "qs_copy"
    shutil.copytree(qs, copy)  # every prompt again: duplicates across sources
    rows = []
    for domain, n in NON_REASONING.items():
        rows += [
            _row(len(rows), domain, f"Please help with {domain} task number {k}.", f"Answer {k}.")
            for k in range(n)
        ]
    quick_problem = (
        pq.read_table(next((qs / "data").glob("*.parquet")), columns=["problem"]).column("problem")[0].as_py()
    )
    rows.append(_row(len(rows), "qa", quick_problem, "a math prompt also in the reasoning set"))
    math500 = json.loads((SHARED / "math" / "math500_test.jsonl").read_text().splitlines()[0])["problem"]
    rows.append(_row(len(rows), "qa", math500, "a benchmark problem"))
    rows.append(dict(rows[0], id="nr-dup/0"))  # the same prompt and completion twice
    nr = root / "nr" / "data"
    nr.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=SFT_SCHEMA), nr / "train-00000-of-00001.parquet")
    return {"qs": qs, "copy": copy, "nr": nr.parent, "nr_rows": len(rows)}


def _recipe(sources, **over) -> MixRecipe:
    data = {
        "name": "test-mix",
        "seed": 3,
        "sources": [{"name": "qs", "path": str(sources["qs"])}, {"name": "qs_copy", "path": str(sources["copy"])},
                    {"name": "nr", "path": str(sources["nr"])}],
        "subsets": {
            "reasoning": {"sources": ["qs", "qs_copy"], "total": 40, "domains": {"math": 1.0}},
            "non_reasoning": {"sources": ["nr"], "total": 40,
                              "domains": {"writing": 0.4, "qa": 0.3, "self_cognition": 0.1, "translation": 0.2}},
        },
        "decontaminate": {"benchmarks": ["math500"], "data_dir": str(SHARED)},
        "card": {"license": "apache-2.0"},
    }  # fmt: skip
    for key, value in over.items():
        data[key] = value
    return MixRecipe.model_validate(data)


def _rows(out: Path, subset: str) -> list[dict]:
    return [
        r for f in sorted((out / "data" / subset).glob("*.parquet")) for r in pq.read_table(f).to_pylist()
    ]


def test_quotas_dedup_decontamination_and_the_funnel(sources, tmp_path):
    out = tmp_path / "mix"
    stats = run_mix(_recipe(sources), str(out))
    reasoning, non = _rows(out, "reasoning"), _rows(out, "non_reasoning")
    assert len(reasoning) == 40 and {r["domain"] for r in reasoning} == {"math"}
    assert {d: sum(r["domain"] == d for r in non) for d in NON_REASONING} == {
        "writing": 16,
        "qa": 12,
        "self_cognition": 4,
        "translation": 8,
    }
    assert not {r["id"] for r in reasoning} & {r["id"] for r in non}
    funnel = stats["funnel"]["completions"]
    assert funnel["in"] == 60 + 60 + sources["nr_rows"] and funnel["in"] == funnel["kept"] + funnel["dropped"]
    assert funnel["kept"] == 80 and stats["funnel"]["rows"] == 80
    by = funnel["dropped_by_reason"]
    # the copy's 60 rows and the qa row whose prompt the reasoning set has: a prompt lives in one source
    assert by["duplicate_prompt_across_sources"] == 61 and by["duplicate_row"] == 1
    assert by["contaminated_math500"] == 1
    assert by["over_quota"] == (60 - 40) + (50 - 40)
    report = {q["name"]: q for q in stats["quotas"]}
    assert (
        report["reasoning/math"] | {}
        and report["reasoning/math"]["requested"] == 40
        and report["reasoning/math"]["available"] == 60
    )
    assert report["reasoning/math"]["acceptance"]["qs"] == 0.25  # the quickstart kept 60 of 240 completions
    assert all(q["met"] for q in stats["quotas"])
    # a Hub layout: one config per subset and `all`, loadable as the Hub would
    import datasets

    for config, n in (("reasoning", 40), ("non_reasoning", 40), ("all", 80)):
        ds = datasets.load_dataset(str(out), config, split="train", cache_dir=str(tmp_path / f"c_{config}"))
        assert len(ds) == n, config
    card = (out / "README.md").read_text()
    assert "config_name: all" in card and "| reasoning/math | 40 | 60 | 40 |" in card
    html = (out / "report.html").read_text()
    assert "reasoning/math" in html and "<svg" in html


def test_the_shuffle_is_seeded(sources, tmp_path):
    a, b, c = (tmp_path / n for n in ("a", "b", "c"))
    run_mix(_recipe(sources), str(a))
    run_mix(_recipe(sources), str(b))
    run_mix(_recipe(sources, seed=4), str(c))
    ids = {p: [r["id"] for r in _rows(p, "reasoning")] for p in (a, b, c)}
    assert ids[a] == ids[b] and set(ids[a]) != set(ids[c])
    for f in (a / "data" / "reasoning").glob("*.parquet"):
        assert f.read_bytes() == (b / "data" / "reasoning" / f.name).read_bytes()


def test_shortage_policies(sources, tmp_path):
    short = {"sources": ["nr"], "total": 100, "domains": {"writing": 30, "qa": 0.7}}  # 20 writing, 15 qa left
    subsets = {"non_reasoning": short}
    with pytest.raises(ShortageError, match="writing: 30 rows requested, 20 available"):
        run_mix(_recipe(sources, subsets=subsets), str(tmp_path / "e"))
    capped = run_mix(_recipe(sources, subsets=subsets, shortage="cap"), str(tmp_path / "cap"))
    q = {x["domain"]: x for x in capped["quotas"]}
    assert (q["writing"]["achieved"], q["qa"]["achieved"]) == (20, 15) and not q["writing"]["met"]
    # a shortage under cap is said, not only recorded: stats, card and report carry one line per quota
    assert capped["warnings"] == [
        "quota non_reasoning/writing: 20 of 30 rows requested (20 available, shortage: cap)",
        "quota non_reasoning/qa: 15 of 70 rows requested (15 available, shortage: cap)",
    ]
    html = (tmp_path / "cap" / "report.html").read_text()
    quota_html = html[html.index("<h2>Quotas</h2>") : html.index("<h2>Charts</h2>")]
    assert "Shortage: quota non_reasoning/qa: 15 of 70" in quota_html
    assert "<th>available</th><th>achieved</th><th>repeated</th>" in quota_html
    assert "<td>non_reasoning/qa</td><td>70</td><td>15</td><td>15</td><td>0</td>" in quota_html
    assert "{" not in quota_html and "None" not in quota_html  # no Python reprs
    assert "**Shortage**: quota non_reasoning/writing" in (tmp_path / "cap" / "README.md").read_text()
    repeated = run_mix(
        _recipe(sources, subsets=subsets, shortage="repeat", max_repeat=2.0), str(tmp_path / "rep")
    )
    q = {x["domain"]: x for x in repeated["quotas"]}
    assert (q["writing"]["achieved"], q["writing"]["repeated"]) == (30, 10)
    assert (q["qa"]["achieved"], q["qa"]["repeated"]) == (30, 15)  # 70 asked, at most 2 × 15
    # writing met by reuse; qa still short because max_repeat caps reuse at 2 × 15
    assert repeated["warnings"] == [
        "quota non_reasoning/qa: 30 of 70 rows requested (15 available, shortage: repeat)"
    ]
    funnel = repeated["funnel"]
    assert funnel["rows"] == 60 and funnel["repeated"] == 25
    assert funnel["completions"]["in"] == funnel["completions"]["kept"] + funnel["completions"]["dropped"]


def test_mix_cli_writes_a_folder_publish_accepts(sources, tmp_path):
    recipe = _recipe(sources).model_dump()
    path = tmp_path / "mix.yaml"
    path.write_text(yaml.safe_dump(recipe))
    out = tmp_path / "cli_mix"
    done = subprocess.run([sys.executable, "-m", "r1data.cli", "mix", str(path), "--output", str(out)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "reasoning/math" in done.stdout and (out / "stats.json").exists()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_OFFLINE")}
    dry = subprocess.run([sys.executable, "-m", "r1data.cli", "publish", str(out), "org/mix", "--dry-run"],
                         capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert dry.returncode == 0, dry.stderr
    listed = [line.split()[0] for line in dry.stdout.splitlines()[1:]]
    assert (
        listed[0] == "README.md"
        and listed[-1] == "total"
        and all(p.startswith(("data/reasoning/", "data/non_reasoning/")) for p in listed[1:-1])
    )


def test_mix_cli_warns_of_a_shortage_on_stderr(sources, tmp_path):
    short = {"sources": ["nr"], "total": 100, "domains": {"writing": 30, "qa": 0.7}}
    path = tmp_path / "mix.yaml"
    path.write_text(
        yaml.safe_dump(_recipe(sources, subsets={"non_reasoning": short}, shortage="cap").model_dump())
    )
    done = subprocess.run([sys.executable, "-m", "r1data.cli", "mix", str(path), "-o", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "r1data mix: warning: quota non_reasoning/qa: 15 of 70 rows requested" in done.stderr
    table = done.stdout.splitlines()
    header = next(line for line in table if line.startswith("quota"))
    assert header.split() == ["quota", "requested", "available", "achieved", "repeated"]
    assert next(line for line in table if line.startswith("non_reasoning/qa")).split() == [
        "non_reasoning/qa", "70", "15", "15", "0"]  # fmt: skip


def test_the_shipped_mix_recipe_asks_for_r1s_600k_and_200k():
    from r1data.mix.recipe import load_mix_recipe
    from r1data.mix.run import _quota_counts

    recipe = load_mix_recipe(str(REPO / "recipes" / "mix.yaml"))
    totals = {name: sum(_quota_counts(spec).values()) for name, spec in recipe.subsets.items()}
    assert totals == {"reasoning": 600_000, "non_reasoning": 200_000}
    assert _quota_counts(recipe.subsets["reasoning"]) == {
        "math": 300_000,
        "code": 180_000,
        "science": 60_000,
        "logic": 60_000,
    }


def test_rows_without_a_prompt_are_counted_and_answers_without_completion_column_are_kept(tmp_path):
    """A source with only problem/messages/domain: different answers to one prompt are different rows
    (the row is its whole conversation); a row without a prompt is dropped with its reason."""
    rows = [_row(i, "qa", "One question?", f"Answer {i}.") for i in range(3)]
    rows.append(_row(3, "qa", None, "no question"))
    table = pa.Table.from_pylist(rows, schema=SFT_SCHEMA).select(["problem", "messages", "domain"])
    (tmp_path / "src" / "data").mkdir(parents=True)
    pq.write_table(table, tmp_path / "src" / "data" / "train-00000-of-00001.parquet")
    recipe = MixRecipe.model_validate({
        "name": "m", "sources": [{"name": "s", "path": str(tmp_path / "src")}],
        "subsets": {"qa": {"sources": ["s"], "total": 3}}, "card": {"license": "mit"},
    })  # fmt: skip
    stats = run_mix(recipe, str(tmp_path / "out"))
    funnel = stats["funnel"]["completions"]
    assert funnel["kept"] == 3 and funnel["dropped_by_reason"] == {"no_prompt": 1}
    assert funnel["in"] == funnel["kept"] + funnel["dropped"]
    with pytest.raises(ValueError, match="ask for 150 rows, more than total 100"):
        MixRecipe.model_validate({**recipe.model_dump(), "subsets": {"qa": {"sources": ["s"], "total": 100,
                                  "domains": {"math": 50, "code": 0.5, "science": 0.5}}}})  # fmt: skip
