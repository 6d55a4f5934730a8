"""Hostile programs against the code sandbox: each is contained, the host is unchanged, no process is
left, the verifier keeps working, and wall time stays bounded."""

from __future__ import annotations

import os
import socket
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from r1data.verifiers.sandbox.runner import UID_BASE, UID_SLOTS, Limits, Sandbox, SandboxUnavailable

LIMITS = Limits(cpu_s=2, wall_s=5, case_timeout_s=2, memory_mb=256, nproc=16, output_bytes=64 * 1024)
TEST = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert add(10, 5) == 15"
HONEST = "def add(a, b):\n    return a + b\n"
REPO = Path(__file__).resolve().parents[2]
CANARY = f"r1data_canary_{os.getpid()}"


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(LIMITS)
    try:
        box.check()
    except SandboxUnavailable as exc:
        pytest.skip(f"no sandbox on this machine: {exc}")
    return box


@pytest.fixture(scope="module")
def listener():
    """A TCP listener on 127.0.0.1 (never any other address) that counts connections."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    accepted = []
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn.recv(100))
                conn.close()
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join(2)
    server.close()


def canaries():
    return [
        Path("/tmp") / CANARY,
        Path("/var/tmp") / CANARY,
        Path("/dev/shm") / CANARY,
        REPO / CANARY,
        Path.home() / CANARY,
    ]


def sandbox_processes(uids: set[int] | None = None) -> list[str]:
    """Processes running as sandbox uids (``uids``: only those; other test runs on the machine may be
    sandboxing at the same time)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if (uid in uids) if uids is not None else UID_BASE <= uid < UID_BASE + 2 * UID_SLOTS:
            found.append(f"{pid} uid={uid}")
    return found


def body(code: str) -> str:
    return textwrap.dedent(code).replace("CANARY", CANARY)


# (name, program, may_pass): may_pass is True only for programs that still solve the task honestly.
HOSTILE = [
    (
        "fork_bomb",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        False,
    ),
    ("fork_bomb_in_call", HONEST.replace("return a + b", "import os\n    while True: os.fork()"), False),
    ("memory_bomb", "x = bytearray(8 * 2**30)\n" + HONEST, False),
    ("memory_creep", "x = []\nwhile True:\n    x.append(' ' * 2**20)\n", False),
    ("infinite_loop", "while True:\n    pass\n", False),
    ("infinite_loop_in_call", "def add(a, b):\n    while True:\n        pass\n", False),
    ("sleep", "import time\ntime.sleep(3600)\n" + HONEST, False),
    ("output_flood", "while True:\n    print('x' * 100000)\n", False),
    ("stderr_flood", "import sys\nwhile True:\n    sys.stderr.write('y' * 100000)\n", False),
    (
        "disk_fill",
        body("""
        try:
            with open('/tmp/CANARY', 'wb') as f:
                while True:
                    f.write(b'z' * 2**20)
        except OSError:
            pass
        def add(a, b):
            return a + b
        """),
        True,
    ),
    (
        "write_outside",
        body(f"""
        for p in ['/tmp/CANARY', '/var/tmp/CANARY', '/dev/shm/CANARY', '{REPO}/CANARY', '/root/CANARY',
                  '/CANARY', '/etc/CANARY']:
            try:
                open(p, 'w').write('pwned')
            except OSError:
                pass
        def add(a, b):
            return a + b
        """),
        True,
    ),
    (
        "read_secrets",
        body("""
        import os
        leaked = os.environ.get('HF_TOKEN') or os.environ.get('OPENAI_API_KEY')
        for p in ['/root/.bashrc', '/root/.cache/huggingface/token', os.path.expanduser('~/.netrc')]:
            try:
                leaked = leaked or open(p).read(1)
            except OSError:
                pass
        home = [d for d in ('/root', '/home') if os.path.isdir(d) and os.listdir(d)]
        def add(a, b):
            return 'LEAK' if leaked or home else a + b
        """),
        True,
    ),
    (
        "socket_to_listener",
        body("""
        import socket
        ok = False
        try:
            socket.create_connection(('127.0.0.1', PORT), timeout=1).sendall(b'hello')
            ok = True
        except OSError:
            pass
        def add(a, b):
            return 'CONNECTED' if ok else a + b
        """),
        True,
    ),
    (
        "daemon_outlives",
        body("""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(30)
                open('/tmp/CANARY', 'w').write('daemon')
            os._exit(0)
        def add(a, b):
            return a + b
        """),
        True,
    ),
    (
        "kill_parent",
        "import os, signal\ntry:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass\n"
        + HONEST,
        True,
    ),
    ("kill_process_group", "import os, signal\nos.killpg(0, signal.SIGKILL)\n" + HONEST, False),
    # kill(-1) signals every process it may, except itself: it survives and still solves the task
    (
        "kill_everything",
        "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\n" + HONEST,
        True,
    ),
    (
        "kill_every_pid",
        body("""
        import os, signal
        for pid in os.listdir('/proc'):
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        def add(a, b):
            return 0
        """),
        False,
    ),
    ("segfault", "import ctypes\nctypes.string_at(0)\n" + HONEST, False),
    (
        "recursion_crash",
        "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)\n" + HONEST,
        False,
    ),
    ("exit_early_zero", "import sys\nsys.exit(0)\n" + HONEST, False),
    ("os_exit_zero_in_call", "import os\ndef add(a, b):\n    os._exit(0)\n", False),
    (
        "always_equal",
        "class Yes:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Yes()\n",
        False,
    ),
    (
        "int_subclass_equal",
        "class I(int):\n    def __eq__(self, o):\n        return True\ndef add(a, b):\n    return I(0)\n",
        False,
    ),
    (
        "patch_builtins",
        body("""
        import builtins
        builtins.AssertionError = type('Nope', (Exception,), {})
        builtins.__dict__['assert'] = None
        import sys
        sys.modules['builtins'].isinstance = lambda *a: True
        def add(a, b):
            return 0
        """),
        False,
    ),
    (
        "read_the_tests",
        body("""
        import os, re
        found = None
        for root in ['/proc', '/tmp', '.']:
            for dirpath, _, files in os.walk(root):
                for name in files:
                    try:
                        text = open(os.path.join(dirpath, name), errors='ignore').read(100000)
                    except OSError:
                        continue
                    m = re.search(r'assert add\\(1, 2\\) == (\\d+)', text)
                    if m:
                        found = int(m.group(1))
                if dirpath.count('/') > 3:
                    break
        def add(a, b):
            return found if found is not None else 0
        """),
        False,
    ),
    (
        "ptrace_the_tests",
        body("""
        import os
        got = None
        for pid in os.listdir('/proc'):
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    got = open(f'/proc/{pid}/mem', 'rb').read(1)
                except OSError:
                    pass
        def add(a, b):
            return 'READ' if got else 0
        """),
        False,
    ),
    (
        "become_root",
        "import os\ntry:\n    os.setuid(0)\n    ROOT = True\nexcept OSError:\n    ROOT = False\ndef add(a, b):\n    return 'ROOT' if ROOT else a + b\n",
        True,
    ),
    (
        "thread_bomb",
        "import threading, time\ntry:\n    while True:\n        threading.Thread(target=time.sleep, args=(60,)).start()\nexcept RuntimeError:\n    pass\n"
        + HONEST,
        True,
    ),
    (
        "fd_exhaustion",
        "fs = []\ntry:\n    while True:\n        fs.append(open('/dev/null'))\nexcept OSError:\n    pass\n"
        + HONEST,
        True,
    ),
]


@pytest.fixture(scope="module")
def hostile_results(sandbox, listener):
    port, _ = listener
    os.environ["HF_TOKEN"] = "hf_canary_secret_value"
    try:

        def run(case):
            name, program, _ = case
            start = time.monotonic()
            result = sandbox.run_functional(program.replace("PORT", str(port)), TEST)
            return name, result, time.monotonic() - start

        with ThreadPoolExecutor(2) as pool:
            results = {name: (result, seconds) for name, result, seconds in pool.map(run, HOSTILE)}
    finally:
        del os.environ["HF_TOKEN"]
    time.sleep(0.5)
    return results


def test_the_suite_is_large_enough():
    assert len(HOSTILE) >= 20


@pytest.mark.parametrize(("name", "may_pass"), [(name, may_pass) for name, _, may_pass in HOSTILE])
def test_hostile_program_is_contained(hostile_results, name, may_pass):
    result, seconds = hostile_results[name]
    assert result["status"] in (("passed",) if may_pass else ("failed", "error", "timeout")), result
    assert seconds < LIMITS.wall_s + 8, f"{name} took {seconds:.1f}s"


def test_host_is_unchanged_and_no_process_is_left(sandbox, hostile_results, listener):
    _, accepted = listener
    assert accepted == [], "a sandboxed program reached a host listener"
    assert [p for p in canaries() if p.exists()] == []
    assert len(sandbox.used_uids) >= 2 * len(HOSTILE)
    assert sandbox_processes(sandbox.used_uids) == []


def test_the_verifier_still_works_after_the_suite(sandbox, hostile_results):
    assert sandbox.run_functional(HONEST, TEST) == {"passed": 3, "total": 3, "status": "passed", "detail": ""}


def test_stdio_program_cannot_see_secrets_or_expected_outputs(sandbox, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_canary_secret_value")
    program = body("""
        import os, sys
        print(sorted(os.environ))
        print(os.getuid(), os.listdir('/root'), os.listdir('/tmp'))
        print(sys.stdin.read())
        """)
    (case,) = sandbox.run_stdio(program, ["the input"])["cases"]
    assert "hf_canary_secret_value" not in case["stdout"] and "HF_TOKEN" not in case["stdout"]
    lines = case["stdout"].splitlines()
    assert lines[0] == "['HOME', 'LANG', 'PATH', 'PYTHONDONTWRITEBYTECODE']"
    uid = int(lines[1].split()[0])
    assert UID_BASE <= uid < UID_BASE + 2 * UID_SLOTS and "[] " in lines[1]
    assert lines[2] == "the input"


def test_stdio_bounds_time_and_output(sandbox):
    cases = sandbox.run_stdio(
        "import time, sys\nif sys.stdin.read() == 'sleep':\n    time.sleep(60)\n"
        "else:\n    print('x' * 10**7)\n",
        ["sleep", "flood"],
    )["cases"]
    assert cases[0]["timeout"] and cases[0]["seconds"] < LIMITS.case_timeout_s + 1
    assert cases[1]["output_limit"] and len(cases[1]["stdout"]) <= LIMITS.output_bytes
