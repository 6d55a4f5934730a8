"""Hostile programs against the code sandbox: each is contained, the host is unchanged, no process is
left, the verifier keeps working, and wall time stays bounded."""

from __future__ import annotations

import json
import os
import socket
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from r1data.verifiers.sandbox.host import UID_BASE, UID_SLOTS, Limits, Sandbox, SandboxUnavailable

LIMITS = Limits(cpu_s=2, wall_s=5, case_timeout_s=2, memory_mb=256, nproc=16, output_bytes=64 * 1024)
TEST = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert abs(add(10, 5)) == 15"
HONEST = "def add(a, b):\n    return a + b\n"
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
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
    # the tests' builtins stay the real ones: a solution's `abs` cannot make `abs(add(10, 5)) == 15` pass
    (
        "shadow_builtin_abs",
        "def add(a, b):\n    return 7 if (a, b) == (10, 5) else a + b\ndef abs(x):\n    return 15\n",
        False,
    ),
    (
        "read_the_host_answers",
        body(f"""
        import gzip, json, os
        got = None
        for p in ['{SHARED}/code/HumanEval.jsonl.gz', '{REPO}/tests/verifiers/test_sandbox.py', '/etc/passwd',
                  '/work', '{REPO}', '/root', '/home', '/usr/local']:
            if os.path.exists(p):
                got = p
        def add(a, b):
            return 'SAW ' + got if got else a + b
        """),
        True,
    ),
    (
        "nested_user_namespace",
        body("""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        made = libc.unshare(0x10000000 | 0x00020000) == 0  # CLONE_NEWUSER | CLONE_NEWNS
        try:
            os.unshare(0x10000000)
            made = True
        except (AttributeError, OSError):
            pass
        def add(a, b):
            return 'NAMESPACE' if made else a + b
        """),
        True,
    ),
    (
        "memfd_and_shm_hoard",
        body("""
        import ctypes, os
        held = 0
        try:
            for _ in range(40):
                fd = os.memfd_create('x')
                os.write(fd, b'm' * 15 * 2**20)
                held += 1
        except OSError:
            pass
        libc = ctypes.CDLL(None, use_errno=True)
        shm = libc.shmget(0, 15 * 2**20, 0o1000 | 0o600)  # IPC_CREAT
        def add(a, b):
            return 'HOARD' if held or shm != -1 else a + b
        """),
        True,
    ),
    (
        "other_socket_families",
        body("""
        import socket
        made = []
        for name in ('AF_VSOCK', 'AF_NETLINK', 'AF_INET6', 'AF_ALG', 'AF_PACKET', 'AF_INET'):
            try:
                socket.socket(getattr(socket, name)).close()
                made.append(name)
            except (OSError, AttributeError):
                pass
        def add(a, b):
            return 'SOCKETS ' + ' '.join(made) if made else a + b
        """),
        True,
    ),
    (
        "forge_the_verdict_pipe",
        body("""
        import json, os
        for fd in range(3, 64):
            try:
                os.write(fd, json.dumps({"passed": 3, "total": 3, "status": "passed", "detail": ""}).encode())
            except OSError:
                pass
        def add(a, b):
            return 0
        """),
        False,
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
    contained = ("failed", "timeout", "output_limit", "memory_limit")
    assert result["status"] in (("passed",) if may_pass else contained), result
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
        print(os.getuid(), os.path.exists('/root'), os.listdir('/tmp'))
        print(sys.stdin.read())
        """)
    (case,) = sandbox.run_stdio(program, ["the input"])["cases"]
    assert "hf_canary_secret_value" not in case["stdout"] and "HF_TOKEN" not in case["stdout"]
    lines = case["stdout"].splitlines()
    assert lines[0] == "['HOME', 'LANG', 'PATH', 'PYTHONDONTWRITEBYTECODE']"
    uid = int(lines[1].split()[0])
    assert UID_BASE <= uid < UID_BASE + 2 * UID_SLOTS and lines[1].endswith("False ['w']")
    assert lines[2] == "the input"


def test_the_filesystem_inside_holds_the_interpreter_and_nothing_of_the_host(sandbox):
    """The root is a fresh tmpfs: the interpreter, its libraries and standard library read-only, five
    devices, an own /proc, and the writable folders; nothing else of the host exists."""
    program = body("""
        import os, sys, json
        seen = {}
        for top in sorted(os.listdir('/')):
            path = '/' + top
            seen[top] = 'link' if os.path.islink(path) else sorted(os.listdir(path))[:50]
        writable = [p for p in ('/usr/lib', os.path.dirname(os.__file__), '/tmp', '/dev/shm', '/var/tmp', '/')
                    if os.access(p, os.W_OK)]
        print(json.dumps({'seen': seen, 'writable': writable, 'stdlib': os.path.dirname(os.__file__),
                          'pids': [p for p in os.listdir('/proc') if p.isdigit()]}))
        """)
    (case,) = sandbox.run_stdio(program, [""])["cases"]
    info = json.loads(case["stdout"])
    seen = info["seen"]
    assert set(seen) <= {"usr", "lib", "lib64", "bin", "sbin", "dev", "proc", "tmp", "var", "run"}
    assert sorted(seen["dev"]) == ["full", "null", "random", "shm", "urandom", "zero"]
    assert sorted(seen["var"]) == ["tmp"] and sorted(seen["run"]) == ["lock"]
    assert "share" not in seen["usr"] and "local" not in seen["usr"] and "bin" in seen["usr"]
    assert info["writable"] == ["/tmp", "/dev/shm", "/var/tmp"]  # the standard library is read-only
    assert len(info["pids"]) <= 2  # /proc shows the program its own processes only


def test_no_capabilities_and_no_nested_namespaces(sandbox):
    program = body("""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        status = open('/proc/self/status').read()
        caps = [l.split()[1] for l in status.splitlines() if l.startswith(('CapEff', 'CapPrm', 'CapBnd'))]
        results = [libc.unshare(flag) for flag in (0x10000000, 0x00020000, 0x40000000, 0x20000000)]
        pid = os.fork()  # plain fork and threads still work
        if pid == 0:
            os._exit(7)
        _, code = os.waitpid(pid, 0)
        import threading
        t = threading.Thread(target=lambda: None)
        t.start(); t.join()
        print(caps[:2], results, ctypes.get_errno(), os.waitstatus_to_exitcode(code))
        """)
    (case,) = sandbox.run_stdio(program, [""])["cases"]
    assert case["stdout"].strip() == "['0000000000000000', '0000000000000000'] [-1, -1, -1, -1] 1 7"


def test_memory_bound_covers_memfd_tmpfs_and_shared_memory(sandbox):
    """Three processes try to hold 40 × 15 MB each in memfds, SysV shm and files on every writable
    tmpfs: what they manage to hold together stays within the run's one tmpfs budget."""
    program = body("""
        import ctypes, os, sys
        def hoard(tag):
            held = 0
            for i in range(40):
                try:
                    fd = os.memfd_create(f'{tag}{i}')
                    os.write(fd, b'm' * 15 * 2**20)
                    held += 15
                    continue
                except OSError:
                    pass
                for d in ('/dev/shm', '/tmp', '/var/tmp', '/run/lock'):
                    try:
                        with open(f'{d}/{tag}{i}', 'wb') as f:
                            f.write(b'f' * 15 * 2**20)
                        held += 15
                        break
                    except OSError:
                        try:
                            os.remove(f'{d}/{tag}{i}')
                        except OSError:
                            pass
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.shmget(0, 15 * 2**20, 0o1000 | 0o600) != -1:
                held += 15
            return held
        r, w = os.pipe()
        for tag in 'abc':
            if os.fork() == 0:
                os.write(w, f'{hoard(tag)}\\n'.encode())
                os._exit(0)
        for _ in range(3):
            os.wait()
        os.close(w)
        print(sum(int(x) for x in os.read(r, 1000).split()))
        """)
    (case,) = sandbox.run_stdio(program, [""])["cases"]
    held_mb = int(case["stdout"].strip())
    assert 0 < held_mb <= LIMITS.tmpfs_mb, held_mb


def test_a_killed_caller_takes_its_sandbox_with_it(tmp_path):
    """A verifier worker killed mid-run (the pool's bound) leaves no sandbox behind: unshare dies
    with its parent, the namespace with unshare."""
    import subprocess
    import sys

    script = (
        "from r1data.verifiers.sandbox.host import Sandbox, Limits\n"
        "box = Sandbox(Limits(case_timeout_s=60))\n"
        "pair = box._uids()\n"
        "print(pair, flush=True)\n"
        "box._uids = lambda: pair\n"
        "box.run_stdio('import time\\ntime.sleep(60)', [''])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    uids = set(json.loads(proc.stdout.readline()))
    deadline = time.monotonic() + 10
    while not sandbox_processes(uids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes(uids), "the sandboxed program never started"
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while sandbox_processes(uids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes(uids) == []


def test_stdio_bounds_time_and_output(sandbox):
    cases = sandbox.run_stdio(
        "import time, sys\nif sys.stdin.read() == 'sleep':\n    time.sleep(60)\n"
        "else:\n    print('x' * 10**7)\n",
        ["sleep", "flood"],
    )["cases"]
    assert cases[0]["timeout"] and cases[0]["seconds"] < LIMITS.case_timeout_s + 1
    assert cases[1]["output_limit"] and len(cases[1]["stdout"]) <= LIMITS.output_bytes
