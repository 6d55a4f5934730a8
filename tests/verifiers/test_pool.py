import os
import time

import pytest

from r1data.verifiers.pool import BoundedPool

CHECKER = "tests.verifiers.checkers:Misbehaving"


@pytest.fixture(autouse=True)
def _importable_tests(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.getcwd())


def labels(results):
    return [[(v["label"], v["reason"]) for v in r] for r in results]


def test_hung_busy_crashing_and_memory_hungry_items_are_bounded_and_the_pool_recovers():
    tasks = [
        ("r1", [{"text": "a"}, {"text": "hang"}, {"text": "b"}]),
        ("r2", [{"text": "crash"}, {"text": "c"}]),
        ("r3", []),
        ("r4", [{"text": "memory"}, {"text": "busy"}, {"text": "d"}]),
        ("r5", [{"text": "e"}]),
    ]
    start = time.monotonic()
    with BoundedPool(CHECKER, workers=2, timeout_s=1.0, memory_mb=256) as pool:
        out = labels(pool.imap(tasks))
        stats = dict(pool.stats)
    assert out == [
        [("pass", "a:r1"), ("unknown", "timeout"), ("pass", "b:r1")],
        [("unknown", "worker_crashed"), ("pass", "c:r2")],
        [],
        [("unknown", "memory"), ("unknown", "timeout"), ("pass", "d:r4")],
        [("pass", "e:r5")],
    ]
    assert stats == {"items_timeout": 2, "items_worker_crashed": 1, "workers_replaced": 3}
    assert time.monotonic() - start < 15


def test_results_come_back_in_input_order_with_many_tasks():
    tasks = [(str(i), [{"text": str(j)} for j in range(i % 4)]) for i in range(200)]
    with BoundedPool(CHECKER, workers=2, timeout_s=5) as pool:
        out = list(pool.imap(tasks, window=8))
    assert [[v["reason"] for v in r] for r in out] == [[f"{j}:{i}" for j in range(i % 4)] for i in range(200)]


def test_workers_do_not_inherit_secrets(monkeypatch):
    from r1data.verifiers.pool import _is_secret

    assert [
        n for n in ("HF_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY", "PATH", "HOME") if _is_secret(n)
    ] == ["HF_TOKEN", "OPENAI_API_KEY", "AWS_SECRET_ACCESS_KEY"]
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    with BoundedPool(CHECKER, workers=1) as pool:
        (result,) = pool.imap([(None, [{"text": "env"}])])
    assert result[0]["reason"] == "no-token"


def test_no_worker_survives_the_pool():
    with BoundedPool(CHECKER, workers=2, timeout_s=0.5) as pool:
        list(pool.imap([(None, [{"text": "hang"}])]))
        pids = [w.proc.pid for w in pool._workers]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_checker_that_cannot_start_is_a_clear_error():
    with (
        BoundedPool("tests.verifiers.checkers:DoesNotExist", workers=1) as pool,
        pytest.raises(RuntimeError, match="exited during start-up"),
    ):
        list(pool.imap([(None, [{"text": "a"}])]))
