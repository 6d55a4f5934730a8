"""`r1data publish` against a loopback fake of the Hub's endpoints (tests.doubles.fake_hub; no Hub is
reachable here): exactly README.md and data/ are committed, the token never shows, bad folders are
refused before anything is sent, and the pushed repo loads back with `datasets` through the same server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from r1data.pipelines import load_recipe, run_recipe
from tests.conftest import REPO
from tests.doubles.fake_hub import FakeHub

TOKEN = "hf_r1dataTestSecret0123456789"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("pub") / "qs"
    run_recipe(load_recipe(str(REPO / "recipes/quickstart.yaml")), str(out))
    return out


@pytest.fixture
def hub():
    with FakeHub() as server:
        yield server


def _env(tmp_path, **extra):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_OFFLINE") and k not in ("HF_TOKEN", "HF_ENDPOINT")
    }
    env.update(HF_HOME=str(tmp_path / "hf_home"), HF_HUB_DISABLE_XET="1", **extra)
    return env


def _publish(*args, env):
    return subprocess.run([sys.executable, "-m", "r1data.cli", "publish", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=120)  # fmt: skip


def test_publish_commits_the_card_and_data_only_and_loads_back(run_dir, hub, tmp_path):
    assert (run_dir / "work").is_dir() and (run_dir / "logs").is_dir() and (run_dir / "quarantine").is_dir()
    out = _publish(str(run_dir), "org/quickstart", "--endpoint", hub.url, env=_env(tmp_path, HF_TOKEN=TOKEN))
    assert out.returncode == 0, out.stderr
    assert f"{hub.url}/datasets/org/quickstart" in out.stdout
    assert TOKEN not in out.stdout + out.stderr
    shards = sorted(f"data/{p.name}" for p in (run_dir / "data").glob("*.parquet"))
    assert [c["files"] for c in hub.commits] == [["README.md", *shards]]
    assert hub.commits[0]["auth"] == f"Bearer {TOKEN}" and hub.commits[0]["revision"] == "main"
    # the card goes up as written, but for its load snippet, which names the repo instead of the folder
    uploaded = hub.repos["org/quickstart"]["main"]["README.md"].decode()
    local = (run_dir / "README.md").read_text()
    assert f'load_dataset("{run_dir.name}"' in local and 'load_dataset("org/quickstart"' in uploaded
    assert uploaded == local.replace(f'load_dataset("{run_dir.name}"', 'load_dataset("org/quickstart"')
    # loaded back with `datasets` through the same server (HF_ENDPOINT is read when the Hub client imports)
    code = "import datasets, json; ds = datasets.load_dataset('org/quickstart', split='train'); print(json.dumps(list(ds['id'])))"
    env = _env(tmp_path, HF_TOKEN=TOKEN, HF_ENDPOINT=hub.url, HF_DATASETS_CACHE=str(tmp_path / "ds_cache"))
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    local = [i for s in shards for i in pq.read_table(run_dir / s, columns=["id"]).column("id").to_pylist()]
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == local


def test_dry_run_lists_the_files_and_sends_nothing(run_dir, hub, tmp_path):
    out = _publish(str(run_dir), "org/x", "--dry-run", "--endpoint", hub.url, env=_env(tmp_path))
    assert out.returncode == 0, out.stderr
    listed = [line.split() for line in out.stdout.splitlines()[1:]]
    files = ["README.md", *sorted(f"data/{p.name}" for p in (run_dir / "data").glob("*.parquet"))]
    assert [row[0] for row in listed] == [*files, "total"]  # every file with its size, then the total
    sizes = [(run_dir / f).stat().st_size for f in files]
    assert all(row[2] in ("B", "KB", "MB") for row in listed) and listed[-1][1] == f"{sum(sizes) / 1024:,.1f}"
    assert hub.requests == []


def test_branch_and_pull_request(run_dir, hub, tmp_path):
    env = _env(tmp_path, HF_TOKEN=TOKEN)
    assert (
        _publish(
            str(run_dir), "org/b", "--revision", "v1", "--private", "--endpoint", hub.url, env=env
        ).returncode
        == 0
    )
    pr = _publish(str(run_dir), "org/b", "--create-pr", "--endpoint", hub.url, env=env)
    assert pr.returncode == 0, pr.stderr
    assert [(c["revision"], c["pr"]) for c in hub.commits] == [("v1", False), ("refs/pr/1", True)]
    assert hub.private["org/b"] and "pull request:" in pr.stdout


def _copy(run_dir, tmp_path, name):
    dst = tmp_path / name
    shutil.copytree(run_dir, dst)
    return dst


def test_refusals_send_nothing_and_say_why(run_dir, hub, tmp_path):
    env = _env(tmp_path, HF_TOKEN=TOKEN)
    broken = _copy(run_dir, tmp_path, "broken_funnel")
    stats = json.loads((broken / "stats.json").read_text())
    stats["funnel"]["completions"]["kept"] += 1  # a row nobody accounts for
    (broken / "stats.json").write_text(json.dumps(stats))
    out = _publish(str(broken), "org/x", "--endpoint", hub.url, env=env)
    assert out.returncode == 2 and "funnel does not add up" in out.stderr
    unlicensed = _copy(run_dir, tmp_path, "unlicensed")
    card = (unlicensed / "README.md").read_text()
    (unlicensed / "README.md").write_text(card.replace("license: apache-2.0", "license: unknown", 1))
    out = _publish(str(unlicensed), "org/x", "--endpoint", hub.url, env=env)
    assert out.returncode == 2 and "license is unknown" in out.stderr
    bad_yaml = _copy(run_dir, tmp_path, "bad_yaml")
    (bad_yaml / "README.md").write_text(
        card.replace("license: apache-2.0", "license: apache-2.0\n  : [oops", 1)
    )
    out = _publish(str(bad_yaml), "org/x", "--endpoint", hub.url, env=env)
    assert out.returncode == 2 and ("does not validate" in out.stderr or "metadata" in out.stderr), out.stderr
    assert hub.commits == []
    out = _publish(str(run_dir), "org/x", "--endpoint", hub.url, env=_env(tmp_path))  # no token anywhere
    assert out.returncode == 2 and "no Hugging Face token" in out.stderr
    offline = _publish(
        str(run_dir), "org/x", "--endpoint", hub.url, env=_env(tmp_path, HF_TOKEN=TOKEN, HF_HUB_OFFLINE="1")
    )
    assert offline.returncode == 2 and "HF_HUB_OFFLINE" in offline.stderr
    assert hub.commits == []


def test_a_server_error_that_echoes_the_token_is_shown_masked(run_dir, hub, tmp_path):
    hub.fail_commits_with = f"internal error for token {TOKEN}"
    out = _publish(str(run_dir), "org/echo", "--endpoint", hub.url, env=_env(tmp_path, HF_TOKEN=TOKEN))
    assert out.returncode == 2 and "upload to" in out.stderr and "***" in out.stderr
    assert TOKEN not in out.stdout + out.stderr


def test_a_recipe_pushes_when_it_says_push_to_hub(hub, tmp_path):
    recipe = load_recipe(str(REPO / "recipes/quickstart.yaml")).model_dump()
    recipe["output"]["push_to_hub"] = "org/from-recipe"
    import yaml

    path = tmp_path / "push.yaml"
    path.write_text(yaml.safe_dump(recipe))
    env = _env(tmp_path, HF_TOKEN=TOKEN, HF_ENDPOINT=hub.url)
    out = subprocess.run([sys.executable, "-m", "r1data.cli", "run", str(path), "--output", str(tmp_path / "o")],
                         capture_output=True, text=True, env=env, cwd=REPO, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pushed: " in out.stdout and [c["repo"] for c in hub.commits] == ["org/from-recipe"]
    assert hub.commits[0]["files"][0] == "README.md" and all(
        f.startswith("data/") for f in hub.commits[0]["files"][1:]
    )


def test_republishing_with_other_shards_leaves_no_old_shard(run_dir, hub, tmp_path):
    env = _env(tmp_path, HF_TOKEN=TOKEN)
    first = _copy(run_dir, tmp_path, "first")
    old = tmp_path / "old_shard"
    shutil.copy(next((first / "data").glob("*.parquet")), old)
    # the same repo first received a shard under another name (as a run with other task counts writes)
    (first / "data" / "train-00000-of-00001.parquet").rename(first / "data" / "train-00000-of-00002.parquet")
    shutil.copy(old, first / "data" / "train-00001-of-00002.parquet")
    assert _publish(str(first), "org/re", "--endpoint", hub.url, env=env).returncode == 0
    assert _publish(str(run_dir), "org/re", "--endpoint", hub.url, env=env).returncode == 0
    files = sorted(hub.repos["org/re"]["main"])
    assert files == ["README.md", *sorted(f"data/{p.name}" for p in (run_dir / "data").glob("*.parquet"))]
    assert hub.commits[-1]["deleted"] == [
        "data/train-00000-of-00002.parquet",
        "data/train-00001-of-00002.parquet",
    ]
