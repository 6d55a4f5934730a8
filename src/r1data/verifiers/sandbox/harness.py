"""Runs *inside* the sandbox; stdlib only (it is executed by the system Python with ``-I -S``).

Roles (first argument):

* ``init``: process 1 of the sandbox's PID namespace, still root there. Reads the job (JSON) on stdin,
  starts the roles below under two unprivileged uids with rlimits, enforces the time and output
  bounds, prints one JSON result line, and exits, which makes the kernel kill every process left in
  the namespace.
* ``solution``: uid A. Executes the untrusted code, then serves calls of its functions over a socket.
  It never sees the tests.
* ``tests``: uid B. Runs the test code, where the solution's functions are proxies that call into
  the other process. Arguments go out pickled; results come back through an unpickler that accepts
  builtin values only, so an object with an always-true ``__eq__`` cannot cross. The verdict is
  written to a pipe only this process holds, after the last test, so exiting early with status 0
  or patching builtins in the solution's process proves nothing.
* stdio programs are run by ``init`` directly (uid A), one process per case; their output goes back
  to the host, which holds the expected outputs and compares them: they never enter the sandbox.
"""

import contextlib
import json
import os
import pickle
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

WORKDIR = "/tmp/w"
MAX_MESSAGE = 16 * 2**20
# What a result may be made of: plain values, and stdlib value types whose class (and so whose __eq__)
# comes from the tests' own interpreter, never from the solution.
SAFE_GLOBALS = {
    *(
        ("builtins", n)
        for n in (
            "set",
            "frozenset",
            "complex",
            "slice",
            "range",
            "bytearray",
            "int",
            "float",
            "str",
            "bytes",
            "list",
            "dict",
            "tuple",
            "bool",
        )
    ),
    ("collections", "Counter"),
    ("collections", "OrderedDict"),
    ("collections", "deque"),
    ("collections", "defaultdict"),
    ("fractions", "Fraction"),
    ("decimal", "Decimal"),
    ("datetime", "date"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
}
NEVER_IMPORT = {"antigravity", "this", "webbrowser", "turtle", "tkinter", "idlelib"}


# -- framing -----------------------------------------------------------------------------------
def send(sock, obj):
    data = pickle.dumps(obj, protocol=4)
    sock.sendall(struct.pack("!I", len(data)) + data)


def _recv_exact(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError("peer closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class _BuiltinsOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"result of type {module}.{name} is not a plain value")


def recv(sock, trusted):
    (size,) = struct.unpack("!I", _recv_exact(sock, 4))
    if size > MAX_MESSAGE:
        raise pickle.UnpicklingError(f"message of {size} bytes is too large")
    data = _recv_exact(sock, size)
    if trusted:
        return pickle.loads(data)
    import io

    return _BuiltinsOnly(io.BytesIO(data)).load()


# -- role: solution ----------------------------------------------------------------------------
def role_solution(fd, code):
    sock = socket.socket(fileno=fd)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(code, "solution.py", "exec"), namespace)
    except BaseException as exc:  # the solution's own failure, reported to the tests
        send(sock, {"ready": False, "error": f"{type(exc).__name__}: {exc}"[:2000]})
        return
    names = [k for k, v in namespace.items() if callable(v) and not k.startswith("__")]
    # Modules the solution imported are imported by name in the tests' process too (MBPP tests use
    # them, e.g. `sys.getsizeof`); only standard-library names, so nothing of the solution's runs there.
    modules = {
        k: v.__name__
        for k, v in namespace.items()
        if type(v).__name__ == "module" and v.__name__.split(".")[0] in sys.stdlib_module_names
    }
    send(sock, {"ready": True, "names": names, "modules": modules})
    while True:
        try:
            msg = recv(sock, trusted=True)
        except EOFError:
            return
        try:
            result = namespace[msg["name"]](*msg["args"], **msg["kwargs"])
            reply = {"ok": result}
        except BaseException as exc:
            reply = {"raise": f"{type(exc).__name__}: {exc}"[:2000]}
        try:
            send(sock, reply)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            send(sock, {"raise": f"unpicklable result: {exc}"[:2000]})


# -- role: tests -------------------------------------------------------------------------------
class SolutionGone(BaseException):
    """Not an Exception: test code's ``except Exception`` must not swallow it."""


class SolutionRaised(Exception):
    pass


def _proxy(sock, name):
    def call(*args, **kwargs):
        send(sock, {"name": name, "args": args, "kwargs": kwargs})
        try:
            reply = recv(sock, trusted=False)
        except EOFError as exc:
            raise SolutionGone("the solution process exited") from exc
        except pickle.UnpicklingError as exc:
            raise SolutionRaised(str(exc)) from exc
        if "raise" in reply:
            raise SolutionRaised(reply["raise"])
        return reply["ok"]

    call.__name__ = name
    return call


def role_tests(fd, result_fd, job):
    import ast

    out = os.fdopen(result_fd, "w")
    sock = socket.socket(fileno=fd)
    result = {"passed": 0, "total": 0, "status": "error", "detail": ""}
    try:
        hello = recv(sock, trusted=False)
    except EOFError:
        hello = {"ready": False, "error": "the solution process exited before it was ready"}
    tree = ast.parse(job["test"])
    asserts = [node for node in tree.body if isinstance(node, ast.Assert)]
    uses_check = job.get("entry_point") and any(
        isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body
    )
    result["total"] = 1 if uses_check else len(asserts)
    if not hello.get("ready"):
        result["detail"] = "solution failed to load: " + hello.get("error", "")
        out.write(json.dumps(result))
        return
    env = {"__name__": "__main__", "__builtins__": __builtins__}
    import importlib

    for alias, module in hello.get("modules", {}).items():
        top = module.split(".")[0]
        if top in sys.stdlib_module_names and top not in NEVER_IMPORT:
            env[alias] = importlib.import_module(module)
    for name in hello["names"]:
        env[name] = _proxy(sock, name)
    if job.get("entry_point") and job["entry_point"] not in env:
        result["detail"] = f"the solution does not define {job['entry_point']!r}"
        out.write(json.dumps(result))
        return
    failures = []
    try:
        if job.get("setup"):
            exec(compile(job["setup"], "setup.py", "exec"), env)
        if uses_check:
            exec(compile(job["test"], "test.py", "exec"), env)
            try:
                env["check"](env[job["entry_point"]])
                result["passed"] = 1
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
        else:
            others = ast.Module(body=[n for n in tree.body if not isinstance(n, ast.Assert)], type_ignores=[])
            exec(compile(others, "test.py", "exec"), env)
            for node in asserts:
                try:
                    exec(compile(ast.Module(body=[node], type_ignores=[]), "test.py", "exec"), env)
                    result["passed"] += 1
                except Exception as exc:
                    failures.append(f"line {node.lineno}: {type(exc).__name__}: {exc}")
        result["status"] = "passed" if result["passed"] == result["total"] and result["total"] else "failed"
        if not result["total"]:
            result["detail"] = "no tests found"
    except SolutionGone as exc:
        result["status"], failures = "failed", [*failures, str(exc)]
    except Exception as exc:
        result["status"], failures = "error", [*failures, f"test code raised {type(exc).__name__}: {exc}"]
    result["detail"] = (result["detail"] + "; ".join(failures))[:2000]
    out.write(json.dumps(result))
    out.flush()


# -- role: init --------------------------------------------------------------------------------
def _demote(uid, limits):
    def apply():
        os.setsid()
        for name, value in (
            ("RLIMIT_CPU", limits["cpu_s"]),
            ("RLIMIT_AS", limits["memory_mb"] * 2**20),
            ("RLIMIT_NPROC", limits["nproc"]),
            ("RLIMIT_FSIZE", limits["file_bytes"]),
            ("RLIMIT_NOFILE", 64),
            ("RLIMIT_CORE", 0),
        ):
            resource.setrlimit(getattr(resource, name), (value, value))
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)

    return apply


ENV = {"PATH": "/usr/bin:/bin", "HOME": WORKDIR, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}


def _spawn(argv, uid, limits, pass_fds=()):
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=pass_fds,
        preexec_fn=_demote(uid, limits),
        cwd=WORKDIR,
        env=ENV,
        close_fds=True,
    )


class _Forked:
    """A role run in a forked copy of this process, demoted like ``_spawn`` (no interpreter start-up:
    ~30 ms instead of ~80 ms). Forked *before* the tests are read from the host, the solution's copy of
    this process never holds them; its stdin is /dev/null and every other descriptor is closed."""

    def __init__(self, target, uid, limits, keep_fds=()):
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # child
            code = 0
            try:
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out_w, 1)
                os.dup2(err_w, 2)
                keep = sorted({0, 1, 2, *keep_fds})
                for low, high in zip(keep, [*keep[1:], 65536], strict=True):
                    os.closerange(low + 1, high)
                os.chdir(WORKDIR)
                os.environ.clear()
                os.environ.update(ENV)
                _demote(uid, limits)()
                target()
            except BaseException:
                code = 1
            finally:
                with contextlib.suppress(BaseException):
                    sys.stdout.flush()
                os._exit(code)
        os.close(out_w)
        os.close(err_w)
        self.stdout = os.fdopen(out_r, "rb")
        self.stderr = os.fdopen(err_r, "rb")
        self.returncode = None

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired("role", timeout)
            time.sleep(0.002)
        return self.returncode


def _read_exact(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _read_header(fd):
    """The job arrives as ``<length>\n<part one><part two>``: part one (the program) is read exactly,
    without read-ahead, so that part two (the tests) is still in the pipe when the solution forks."""
    digits = b""
    while (ch := os.read(fd, 1)) not in (b"\n", b""):
        digits += ch
    return json.loads(_read_exact(fd, int(digits)))


def _drain(stream, limit, sink, on_overflow):
    """Read a stream to the end, keeping ``limit`` bytes; call ``on_overflow`` once past it."""
    kept, overflowed = 0, False
    while True:
        chunk = stream.read(65536)
        if not chunk:
            return
        if kept < limit:
            sink.append(chunk[: limit - kept])
        kept += len(chunk)
        if kept > limit and not overflowed:
            overflowed = True
            on_overflow()


def _kill(proc):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _run_stdio_case(job, stdin_text):
    limits = job["limits"]
    proc = _spawn([sys.executable, "-I", "-S", f"{WORKDIR}/solution.py"], job["uids"][0], limits)
    out, flags = [], {"output_limit": False}

    def overflow():
        flags["output_limit"] = True
        _kill(proc)

    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, limits["output_bytes"], out, overflow)),
        threading.Thread(target=_drain, args=(proc.stderr, 4096, [], lambda: None)),
    ]
    for t in readers:
        t.daemon = True
        t.start()
    try:
        proc.stdin.write(stdin_text.encode())
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    start = time.monotonic()
    try:
        code = proc.wait(timeout=limits["case_timeout_s"])
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill(proc)
        code, timed_out = proc.wait(), True
    _kill(proc)  # children it left behind
    for t in readers:
        t.join(1)
    return {
        "stdout": b"".join(out).decode("utf-8", "replace"),
        "exit": code,
        "timeout": timed_out,
        "output_limit": flags["output_limit"],
        "seconds": round(time.monotonic() - start, 3),
    }


def _run_functional(job):
    limits = job["limits"]
    sol_sock, test_sock = socket.socketpair()
    solution = _Forked(
        lambda: role_solution(sol_sock.fileno(), job["solution"]),
        job["uids"][0],
        limits,
        (sol_sock.fileno(),),
    )
    sol_sock.close()
    job.update(json.loads(_read_exact(0, 1 << 26) or b"{}"))  # now the tests
    result_r, result_w = os.pipe()
    tests = _Forked(
        lambda: role_tests(test_sock.fileno(), result_w, job),
        job["uids"][1],
        job["test_limits"],
        (test_sock.fileno(), result_w),
    )
    test_sock.close()
    os.close(result_w)
    flags = {"output_limit": False}

    def overflow():
        flags["output_limit"] = True
        _kill(solution)

    drains = [
        threading.Thread(target=_drain, args=(solution.stdout, limits["output_bytes"], [], overflow)),
        threading.Thread(target=_drain, args=(solution.stderr, limits["output_bytes"], [], overflow)),
        threading.Thread(target=_drain, args=(tests.stdout, 65536, [], lambda: None)),
        threading.Thread(target=_drain, args=(tests.stderr, 65536, [], lambda: None)),
    ]
    for t in drains:
        t.daemon = True
        t.start()
    try:
        tests.wait(timeout=limits["wall_s"])
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    _kill(tests)
    _kill(solution)
    solution.wait(timeout=5)
    with os.fdopen(result_r) as f:
        raw = f.read(1 << 20)
    if timed_out:
        return {"status": "timeout", "passed": 0, "total": None, "detail": "wall time exceeded"}
    try:
        result = json.loads(raw)
    except ValueError:
        return {"status": "error", "passed": 0, "total": None, "detail": "the test process gave no result"}
    if flags["output_limit"]:
        result["detail"] = ("solution output exceeded the limit; " + result.get("detail", ""))[:2000]
    return result


def role_init():
    job = _read_header(0)
    os.makedirs(WORKDIR, exist_ok=True)
    os.chown(WORKDIR, job["uids"][0], job["uids"][0])
    if job["mode"] == "stdio":
        with open(f"{WORKDIR}/solution.py", "w") as f:
            f.write(job["solution"])
        os.chmod(f"{WORKDIR}/solution.py", 0o644)
        result = {"cases": [_run_stdio_case(job, case) for case in job["inputs"]]}
    else:
        result = _run_functional(job)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "init":
        role_init()
