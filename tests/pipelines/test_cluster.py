"""The same recipes on the local executor, a real Ray (started on loopback by each run, stopped after it)
and a real one-node Slurm (slurm-wlm + munge, started and stopped by this module): identical rows,
card and funnel; a task killed mid-stage (a Ray worker SIGKILLed, a Slurm array task scancel'ed) and the
run relaunched loses and doubles nothing; `r1data status` on all three, while they run and after."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psutil
import pytest

from r1data.pipelines import Recipe, load_recipe, run_recipe
from r1data.pipelines.status import run_status
from tests.conftest import REPO
from tests.doubles import slurm as slurm_testing
from tests.doubles.fake_chat_server import FakeChatServer

pytest.importorskip("ray", reason="ray is installed by the README's set-up (make setup)")

EXECUTORS = {
    "local": {"type": "local"},
    "ray": {"type": "ray"},
    "slurm": {"type": "slurm", "partition": "cpu", "poll_s": 0.5},
}
MAX_ARRAY = 2  # the test cluster's MaxArraySize: a 3-task stage needs two job arrays


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    why = slurm_testing.missing()
    if why:
        pytest.skip(why)
    cluster = slurm_testing.OneNodeSlurm(str(tmp_path_factory.mktemp("slurm")), max_array_size=MAX_ARRAY)
    with cluster:
        yield cluster
    assert cluster.leftovers() == [], "Slurm processes outlived the cluster"


def _ray_processes() -> set[int]:
    return {p.pid for p in psutil.process_iter(["cmdline"]) if "raylet" in " ".join(p.info["cmdline"] or [])}


def _published(out: Path) -> dict:
    """What a run published, in a form two runs can be compared by: the shard bytes, the card with the
    folder name taken out, stats.json without timings."""
    stats = json.loads((out / "stats.json").read_text())
    for stage in stats["stages"].values():
        for counters in stage.values():
            if isinstance(counters, dict):
                counters.pop("time_s", None)
    return {
        "shards": {p.name: p.read_bytes() for p in sorted((out / "data").glob("*.parquet"))},
        "card": (out / "README.md").read_text().replace(out.name, "OUT"),
        "stats": stats,
    }


def _with_executor(data: dict, executor: dict, tasks: int, workers: int = 2) -> Recipe:
    data = json.loads(json.dumps(data))
    data["executor"] = {**executor, "tasks": tasks, "workers": workers}
    return Recipe.model_validate(data)


def _run_everywhere(data: dict, tmp_path: Path, tasks: int, name: str, **cluster) -> dict[str, Path]:
    """The recipe on each executor; ``cluster``: more fields for the Ray and Slurm executors."""
    before = _ray_processes()
    outs = {}
    for kind, executor in EXECUTORS.items():
        outs[kind] = tmp_path / f"{name}_{kind}"
        extra = cluster if kind != "local" else {}
        run_recipe(_with_executor(data, {**executor, **extra}, tasks), str(outs[kind]))
    assert _ray_processes() <= before, "the Ray a run started outlived it"
    return outs


# Tests that kill or cancel a task mid-stage, or wait on a real Ray cluster, depend on the timing of a
# 2-core machine under the rest of the suite; each gets one rerun (a failure twice in a row fails).
TIMING = pytest.mark.flaky(reruns=1)


def test_quickstart_gives_the_same_output_on_local_ray_and_slurm(slurm, tmp_path):
    """quickstart with only its executor changed, 3 tasks (more than the cluster's MaxArraySize)."""
    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    outs = _run_everywhere(data, tmp_path, tasks=3, name="qs")
    local = _published(outs["local"])
    assert len(local["shards"]) == 3 and local["stats"]["funnel"]["completions"]["kept"] == 60
    for kind in ("ray", "slurm"):
        assert _published(outs[kind]) == local, kind
    # a 3-task stage on a cluster capped at 2 array tasks went out as two job arrays
    # (slurm_logs/<job>_<index>.out; the one-element job after them is datatrove's stats merge)
    jobs = Counter(
        name.split("_")[0] for name in os.listdir(outs["slurm"] / "logs" / "verify" / "slurm_logs")
    )
    assert sorted(jobs.values()) == [1, MAX_ARRAY, MAX_ARRAY], jobs
    for kind, out in outs.items():
        status = run_status(str(out))
        assert status["finished"] and [s["executor"] for s in status["stages"]] == [kind, kind]
        assert [(s["done"], s["tasks"], s["state"]) for s in status["stages"]] == [(3, 3, "done")] * 2
        assert status["stages"][0]["records_in"] == 40 and status["stages"][1]["records_out"] == 60


@TIMING
def test_example_curation_recipe_gives_the_same_rows_everywhere(slurm, tmp_path, monkeypatch):
    """The Qwen2.5-Math curation recipe (verify, filters, exact and MinHash near-dedup, decontamination,
    selection) on real model outputs: every stage and datatrove's MinHash jobs on each executor."""
    monkeypatch.chdir(REPO)
    data = load_recipe(str(REPO / "recipes/examples/qwen25math_curation.yaml")).model_dump()
    # 4 tasks per job: the 14 MinHash bucket tasks go out as 4 jobs (one job array on this cluster)
    outs = _run_everywhere(data, tmp_path, tasks=2, name="ex", tasks_per_job=4)
    local = _published(outs["local"])
    assert local["stats"]["funnel"]["completions"]["kept"] > 0
    for kind in ("ray", "slurm"):
        assert _published(outs[kind]) == local, kind
    near = run_status(str(outs["slurm"]))["stages"][1]
    assert near["executor"] == "slurm" and [j["state"] for j in near["jobs"]] == ["done"] * 3


def test_a_stage_overrides_the_recipes_executor(slurm, tmp_path):
    """verify on Slurm, select where the recipe says (local): the runner waits for the Slurm stage."""
    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    data["executor"] = {"type": "local", "tasks": 2, "workers": 2}
    reference = tmp_path / "ovr_local"
    run_recipe(Recipe.model_validate(data), str(reference))
    data["stages"][0]["executor"] = {"type": "slurm", "partition": "cpu", "poll_s": 0.5}
    mixed = tmp_path / "ovr_mixed"
    run_recipe(Recipe.model_validate(data), str(mixed))
    assert _published(mixed) == _published(reference)
    assert [s["executor"] for s in run_status(str(mixed))["stages"]] == ["slurm", "local"]
    # an override names only what changes (the type and partition come from the recipe's executor)
    gpu = json.loads(json.dumps(data))
    gpu["executor"] = {"type": "slurm", "partition": "cpu", "tasks": 2}
    gpu["stages"][0]["executor"] = {"partition": "gpu", "gpus": 1, "cpus_per_task": 8}
    spec = Recipe.model_validate(gpu).stage_executor(0)
    assert (spec.type, spec.partition, spec.gpus, spec.cpus_per_task, spec.tasks) == ("slurm", "gpu", 1, 8, 2)
    gpu["stages"][0]["executor"] = {"address": "auto"}
    with pytest.raises(ValueError, match="stage 'verify': executor"):
        Recipe.model_validate(gpu)
    with pytest.raises(ValueError, match="needs a `partition`"):
        Recipe.model_validate({**data, "executor": {"type": "slurm"}})
    with pytest.raises(ValueError, match="takes no \\['address'\\]"):
        Recipe.model_validate({**data, "executor": {"type": "slurm", "partition": "p", "address": "auto"}})


# --- kill and relaunch ------------------------------------------------------------------------------

N_PROMPTS, TASKS, LATENCY_S = 24, 4, 0.5


def _slow_recipe(tmp_path: Path, url: str, executor: dict) -> Path:
    """Generation against a slow scripted server (each task 6 requests × 0.5 s) → verify → select."""
    prompts = tmp_path / "prompts.jsonl"
    with open(prompts, "w") as f:
        for i in range(N_PROMPTS):
            record = {
                "id": f"p{i}",
                "domain": "math",
                "prompt": f"What is {i} + {i}?",
                "reference": {"answer": str(2 * i)},
            }
            f.write(json.dumps(record) + "\n")
    recipe = {
        "name": "slow",
        "input": {"path": str(prompts)},
        "executor": {**executor, "tasks": TASKS, "workers": 2},
        "stages": [
            {"name": "generate", "steps": [{"generate": {"endpoints": [url], "model": "fake", "n": 1, "concurrency": 1}},
                                           "parse_traces", {"verify": {"domain": "math"}}]},
            {"name": "select", "steps": ["select", "format_r1"]},
        ],
    }  # fmt: skip
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(recipe))
    return path


def _reply(prompt: str):
    time.sleep(LATENCY_S)
    i = int(re.search(r"What is (\d+)", prompt).group(1))
    return 200, f"<think>\n{i} plus {i} makes {2 * i}.\n</think>\n\nThe sum is $\\boxed{{{2 * i}}}$."


def _run_cli(recipe: Path, out: Path, env=None, **kw) -> subprocess.Popen:
    code = "import json,sys; from r1data.pipelines import Recipe, run_recipe; " \
           "run_recipe(Recipe.model_validate(json.load(open(sys.argv[1]))), sys.argv[2])"  # fmt: skip
    return subprocess.Popen([sys.executable, "-c", code, str(recipe), str(out)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, **kw)  # fmt: skip


def _completions(out: Path, stage: str) -> dict[str, float]:
    folder = out / "logs" / stage / "completions"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} if folder.is_dir() else {}


def _wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _rows(out: Path) -> list[tuple]:
    import pyarrow.parquet as pq

    rows = [r for p in sorted((out / "data").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    return sorted((r["id"], r["prompt_id"], r["messages"][-1]["content"]) for r in rows)


@pytest.fixture(scope="module")
def slow_reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slow_ref")
    with FakeChatServer(reply=_reply) as server:
        recipe = _slow_recipe(tmp, server.url, {"type": "local"})
        run_recipe(Recipe.model_validate(json.loads(recipe.read_text())), str(tmp / "out"))
    rows = _rows(tmp / "out")
    assert len(rows) == N_PROMPTS
    return rows, json.loads((tmp / "out" / "stats.json").read_text())["funnel"]


def _running_rank(out: Path) -> int | None:
    """A generate task that has started (its request cache exists) and not finished."""
    done = _completions(out, "generate")
    caches = (
        sorted((out / "cache" / "generate").glob("*.sqlite")) if (out / "cache" / "generate").is_dir() else []
    )
    started = [int(p.stem) for p in caches if p.stat().st_size > 0]
    running = [r for r in started if f"{r:05d}" not in done]
    return running[0] if running and done else None


@TIMING
def test_ray_worker_killed_mid_stage_then_relaunch(tmp_path, slow_reference):
    rows, funnel = slow_reference
    out = tmp_path / "out"
    with FakeChatServer(reply=_reply) as server:
        recipe = _slow_recipe(tmp_path, server.url, {"type": "ray"})
        proc = _run_cli(recipe, out)
        try:
            rank = _wait_for(lambda: _running_rank(out), 120, "a running Ray task after a finished one")
            done_before = _completions(out, "generate")
            # SIGKILL the Ray worker running that task: the process holding its cache open (the pool
            # process datatrove's actor runs ranks in) and that actor
            cache = str(out / "cache" / "generate" / f"{rank:05d}.sqlite")
            holders = [p for p in psutil.process_iter(["cmdline"]) if "ray::" in " ".join(p.info["cmdline"] or [])
                       and any(f.path == cache for f in _open_files(p))]  # fmt: skip
            assert len(holders) == 1, f"{len(holders)} Ray processes hold rank {rank}'s cache open"
            parent = holders[0].parent()
            for p in [holders[0], *([parent] if "ray::" in " ".join(parent.cmdline()) else [])]:
                p.send_signal(signal.SIGKILL)
            first = proc.communicate(timeout=300)[0]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        # datatrove resubmits a task whose worker died; either way a relaunch completes the run
        again = _run_cli(recipe, out)
        log = again.communicate(timeout=300)[0]
        assert again.returncode == 0, first[-3000:] + log[-3000:]
    assert _rows(out) == rows
    assert json.loads((out / "stats.json").read_text())["funnel"] == funnel
    after = _completions(out, "generate")
    assert {k: after[k] for k in done_before} == done_before, "a task finished before the kill was redone"
    assert f"{rank:05d}" in after
    status = run_status(str(out))
    assert status["finished"] and [s["done"] for s in status["stages"]] == [TASKS, TASKS]


def _open_files(p):
    try:
        return p.open_files()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return []


@TIMING
def test_slurm_task_cancelled_mid_stage_then_relaunch(slurm, tmp_path, slow_reference):
    rows, funnel = slow_reference
    out = tmp_path / "out"
    with FakeChatServer(reply=_reply) as server:
        recipe = _slow_recipe(tmp_path, server.url, {"type": "slurm", "partition": "cpu", "poll_s": 0.5})
        proc = _run_cli(recipe, out, env=slurm.env)
        try:
            rank = _wait_for(
                lambda: _running_rank(out), 120, "a running Slurm array task after a finished one"
            )
            done_before = _completions(out, "generate")
            # while it runs, status shows the stage part done and the run's jobs in the queue
            status = run_status(str(out))
            stage = status["stages"][0]
            assert not status["finished"] and stage["executor"] == "slurm" and 1 <= stage["done"] < TASKS
            assert any(j["state"] == "RUNNING" for j in status["slurm_jobs"])
            # (array index = rank modulo the array cap: the next array starts where the previous ended)
            job = next(
                j["job"]
                for j in status["slurm_jobs"]
                if j["state"] == "RUNNING"
                and "-generate-" in j["name"]
                and j["job"].endswith(f"_{rank % MAX_ARRAY}")
            )
            subprocess.run(["scancel", job], env=slurm.env, check=True)
            first = proc.communicate(timeout=300)[0]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
        assert proc.returncode != 0 and "unfinished" in first, first[-3000:]
        status = run_status(str(out))
        assert not status["finished"] and status["stages"][0]["done"] < TASKS
        again = _run_cli(recipe, out, env=slurm.env)
        log = again.communicate(timeout=300)[0]
        assert again.returncode == 0, log[-3000:]
    assert _rows(out) == rows
    assert json.loads((out / "stats.json").read_text())["funnel"] == funnel
    after = _completions(out, "generate")
    assert {k: after[k] for k in done_before} == done_before, "a task finished before the cancel was redone"
    # the relaunch submitted only the tasks that had not finished
    ranks = json.loads((out / "logs" / "generate" / "ranks_to_run.json").read_text())
    assert rank in ranks and not set(ranks) & {int(k) for k in done_before}


@TIMING
def test_detach_submits_and_status_follows_the_run_to_its_end(slurm, tmp_path):
    data = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    recipe = tmp_path / "qs_slurm.json"
    data["executor"] = {"type": "slurm", "partition": "cpu", "tasks": 2}
    recipe.write_text(json.dumps(data))
    yaml_path = tmp_path / "qs_slurm.yaml"
    import yaml

    yaml_path.write_text(yaml.safe_dump(json.loads(recipe.read_text())))
    out = tmp_path / "detached"
    r1data = [sys.executable, "-m", "r1data.cli"]
    run = subprocess.run([*r1data, "run", str(yaml_path), "--output", str(out), "--detach"],
                         capture_output=True, text=True, env=slurm.env, timeout=120)  # fmt: skip
    assert run.returncode == 0 and "submitted to Slurm: jobs" in run.stdout, run.stderr[-2000:]
    assert not (out / "stats.json").exists()  # it returned before the run ended
    # relaunching while its jobs are queued would run the missing tasks twice: refused
    again = subprocess.run([*r1data, "run", str(yaml_path), "--output", str(out)],
                           capture_output=True, text=True, env=slurm.env, timeout=120)  # fmt: skip
    assert again.returncode == 1 and "still queued or running" in again.stderr, again.stderr[-1000:]
    texts = []

    def finished():
        status = subprocess.run([*r1data, "status", str(out)], capture_output=True, text=True, env=slurm.env)
        assert status.returncode == 0, status.stderr
        texts.append(status.stdout)
        return "finished" in status.stdout.splitlines()[0] and "not finished" not in status.stdout

    _wait_for(finished, 120, "the detached run to finish")
    assert "not finished" in texts[0] and any(" slurm " in line for line in texts[-1].splitlines())
    assert "records in 43, completions kept 60" in texts[-1]
    as_json = json.loads(
        subprocess.run([*r1data, "status", str(out), "--json"], capture_output=True, text=True).stdout
    )
    assert [(s["name"], s["done"], s["tasks"]) for s in as_json["stages"]] == [
        ("verify", 2, 2),
        ("select", 2, 2),
    ]
    # a local run cannot detach: there is nothing to hand the work to
    local = subprocess.run([*r1data, "run", str(REPO / "recipes/quickstart.yaml"), "--output", str(tmp_path / "l"), "--detach"],
                           capture_output=True, text=True)  # fmt: skip
    assert local.returncode == 2 and "--detach needs a run that ends on Slurm" in local.stderr
