"""Runs *inside* the sandbox; stdlib only (it is executed by the system Python with ``-I -S``).

Processes:

* ``zygote`` (the only entry point): process 1 of the outer namespaces (network with no interface,
  UTS, mount), root, started once per host thread and kept warm: its imports, the seccomp filter and
  the list of visible paths are made once. For each job it forks a child.
* the job's child (root): joins the run's memory cgroup, unshares a mount, IPC and PID namespace of
  its own, forks the run's init, then reads the tests and hands them over a pipe; it bounds the
  init's time and passes the result back once the run's namespace is empty.
* the run's init: process 1 of the run's PID namespace. Builds the root (a tmpfs with the visible
  paths bound read-only), starts the roles below under two unprivileged uids with rlimits and the
  seccomp filter, enforces the time and output bounds, and exits, which makes the kernel kill every
  process left in the namespace.
* ``solution``: uid A. Executes the untrusted code, then serves calls of its functions over a socket.
  It never sees the tests: it is forked before the tests exist anywhere in its ancestors' memory.
* ``tests``: uid B. Runs the test code, where the solution's functions (only those the tests name)
  are proxies that call into the other process. Arguments go out pickled; results come back through
  an unpickler that accepts builtin values only, so an object with an always-true ``__eq__`` cannot
  cross. The verdict is written to a pipe only this process holds, after the last test, so exiting
  early with status 0 or patching builtins in the solution's process proves nothing.
* stdio programs are run by the init directly (uid A), one process per case; their output goes back
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


def _bindable(named, defined, entry):
    """Which of the solution's names the tests get: those the tests use, never under a builtin's name
    (a solution's `abs` or `set` must not replace the builtin an assertion calls), except the function
    under test itself: the ``entry_point`` or, without one, when every name the tests use that the
    solution defines is a builtin's (MBPP 126 asks for a function called ``sum``)."""
    import builtins

    used = named & defined
    plain = used - set(dir(builtins))
    if entry:
        return plain | ({entry} & defined)
    return plain or used


def _names_used(tree):
    import ast

    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


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

    proxies = {name: _proxy(sock, name) for name in hello["names"]}
    entry = job.get("entry_point")
    for alias, module in hello.get("modules", {}).items():
        top = module.split(".")[0]
        if top in sys.stdlib_module_names and top not in NEVER_IMPORT:
            proxies.setdefault(alias, importlib.import_module(module))
    named = _names_used(tree) | (_names_used(ast.parse(job["setup"])) if job.get("setup") else set())
    env.update({name: proxies[name] for name in _bindable(named, set(proxies), entry)})
    if entry and entry not in proxies:
        result["detail"] = f"the solution does not define {entry!r}"
        out.write(json.dumps(result))
        return
    failures = []
    try:
        if job.get("setup"):
            exec(compile(job["setup"], "setup.py", "exec"), env)
        if uses_check:
            exec(compile(job["test"], "test.py", "exec"), env)
            try:
                env["check"](proxies[entry])
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


# -- confinement: seccomp filter and the minimal root ----------------------------------------------
# Syscalls the sandboxed processes may not make, per architecture: new namespaces (unshare, setns,
# clone with CLONE_NEW* flags; clone3 answers ENOSYS so that libc falls back to clone, whose flags
# the filter can read), mounts, memory that no address-space limit covers (memfd, SysV shm), and
# kernel interfaces code under test never needs (keyrings, bpf, perf, userfaultfd, io_uring, ptrace).
_BLOCKED = {
    "x86_64": dict(
        arch=0xC000003E, clone=56, clone3=435,
        nr=(272, 308, 165, 166, 155, 161, 319, 29, 250, 248, 249, 321, 298, 323, 425, 426, 427, 101,
            428, 429, 430, 431, 432, 433, 447),
    ),
    "aarch64": dict(
        arch=0xC00000B7, clone=220, clone3=435,
        nr=(97, 268, 40, 39, 41, 51, 279, 194, 219, 217, 218, 280, 241, 282, 425, 426, 427, 117,
            428, 429, 430, 431, 432, 433, 447),
    ),
}  # fmt: skip
_CLONE_NEW_FLAGS = 0x7E020000  # NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_EPERM, _ENOSYS = 1, 38


def _seccomp_program():
    """The BPF filter as bytes (struct sock_filter[]), or None on an architecture we have no table for."""
    spec = _BLOCKED.get(os.uname().machine)
    if spec is None:
        return None
    ld, jeq, jset, ret = 0x20, 0x15, 0x45, 0x06
    allow, errno, kill = 0x7FFF0000, 0x00050000, 0x80000000
    prog = [(ld, 0, 0, 4), (jeq, 1, 0, spec["arch"]), (ret, 0, 0, kill), (ld, 0, 0, 0)]
    if spec["arch"] == 0xC000003E:  # the x32 ABI numbers its syscalls from 0x40000000
        prog += [(0x35, 0, 1, 0x40000000), (ret, 0, 0, kill)]
    for nr in spec["nr"]:
        prog += [(jeq, 0, 1, nr), (ret, 0, 0, errno | _EPERM)]
    prog += [(jeq, 0, 1, spec["clone3"]), (ret, 0, 0, errno | _ENOSYS)]
    prog += [(jeq, 0, 3, spec["clone"]), (ld, 0, 0, 16), (jset, 0, 1, _CLONE_NEW_FLAGS)]
    prog += [(ret, 0, 0, errno | _EPERM), (ret, 0, 0, allow)]
    return b"".join(struct.pack("HBBI", *insn) for insn in prog), len(prog)


_SECCOMP = None


def _load_seccomp():
    """Build the filter and load ctypes in the zygote, before any fork: the roles only call prctl."""
    global _SECCOMP
    import ctypes

    program = _seccomp_program()
    if program is None:
        return
    code, n = program
    buf = ctypes.create_string_buffer(code)

    class Prog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    _SECCOMP = (libc, Prog(n, ctypes.addressof(buf)), buf)


def _confine():
    if _SECCOMP is None:
        return
    import ctypes

    libc, prog, _ = _SECCOMP
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
    if libc.prctl(22, 2, ctypes.byref(prog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp filter refused")


_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND = 1, 2, 4, 8, 32, 4096
DEVICES = ("null", "zero", "full", "random", "urandom")
WRITABLE = ("tmp", "var/tmp", "dev/shm", "run/lock")


def _interpreter(exe):
    """PT_INTERP of an ELF executable (the dynamic loader path it names), or None."""
    with open(exe, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return None
        (phoff,) = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == 3:
                f.seek(p_offset)
                return f.read(p_filesz).rstrip(b"\0").decode()
    return None


def _resolve(path, links, depth=0):
    """The real path of ``path``; every symlink met on the way is recorded in ``links``."""
    parts = [p for p in path.split("/") if p]
    current = "/"
    for i, part in enumerate(parts):
        step = os.path.join(current, part)
        if os.path.islink(step) and depth < 40:
            target = os.readlink(step)
            links[step] = target
            base = os.path.normpath(os.path.join(current, target))
            return _resolve(os.path.join(base, *parts[i + 1 :]), links, depth + 1)
        current = step
    return current


def _visible_paths(extra):
    """What the code may see: the interpreter (with its loader and symlinks), the standard library,
    the directories of every file this interpreter has mapped (shared libraries, extension modules,
    locale data), and the paths a recipe declares. Returns (symlinks to recreate, paths to bind)."""
    links, binds = {}, set()
    wanted = [sys.executable, os.path.dirname(os.__file__), *extra]
    interp = _interpreter(os.path.realpath(sys.executable))
    if interp:
        wanted.append(interp)
    with open("/proc/self/maps") as f:
        mapped = {line.split(None, 5)[5].strip() for line in f if len(line.split(None, 5)) == 6}
    wanted += [os.path.dirname(p) for p in mapped if p.startswith("/") and os.path.isfile(p)]
    for path in wanted:
        if os.path.exists(path):
            binds.add(_resolve(os.path.abspath(path), links))
    binds = {b for b in binds if not any(b != o and b.startswith(o.rstrip("/") + "/") for o in binds)}
    inside = lambda p: any(p == b or p.startswith(b.rstrip("/") + "/") for b in binds)  # noqa: E731
    return {k: v for k, v in links.items() if not inside(k)}, sorted(binds)


def _enter_root(job):
    """Build a fresh root on a tmpfs (one size budget for every writable folder in it), bind the
    visible paths read-only, mount a /proc that shows only the caller's own processes, chroot."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def mount(source, target, fstype, flags, data=None):
        if libc.mount(source.encode(), target.encode(), fstype.encode(), flags, data and data.encode()):
            err = ctypes.get_errno()
            raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")

    root = "/tmp"  # any existing folder works: this mount namespace is private
    links, binds = job["visible"]
    mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={job['limits']['tmpfs_mb']}m,mode=755")
    for d in WRITABLE:
        os.makedirs(f"{root}/{d}", exist_ok=True)
        os.chmod(f"{root}/{d}", 0o1777)
    for link, target in sorted(links.items()):
        os.makedirs(os.path.dirname(root + link), exist_ok=True)
        if not os.path.lexists(root + link):
            os.symlink(target, root + link)
    ro = _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | _MS_NODEV
    for path in binds:
        target = root + path
        if os.path.isdir(path):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        mount(path, target, "", _MS_BIND)
        mount("", target, "", ro)
    for dev in DEVICES:
        open(f"{root}/dev/{dev}", "a").close()
        mount(f"/dev/{dev}", f"{root}/dev/{dev}", "", _MS_BIND)
        mount("", f"{root}/dev/{dev}", "", _MS_BIND | _MS_REMOUNT | _MS_NOSUID | _MS_NOEXEC)
    os.makedirs(f"{root}/proc")
    mount("proc", f"{root}/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, "hidepid=2")
    os.chroot(root)
    os.chdir("/")


# -- the run's init ------------------------------------------------------------------------------
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
        _confine()

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


def _remaining(job):
    return job["deadline"] - time.monotonic()


def _run_stdio_case(job, stdin_text):
    limits = job["limits"]
    budget = min(limits["case_timeout_s"], _remaining(job))
    if budget <= 0.05:  # the run's whole budget is spent: the case is not started
        return {"stdout": "", "exit": None, "timeout": True, "output_limit": False, "seconds": 0.0}
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
        code = proc.wait(timeout=budget)
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


def _run_functional(job, tests_fd):
    limits = job["limits"]
    sol_sock, test_sock = socket.socketpair()
    solution = _Forked(
        lambda: role_solution(sol_sock.fileno(), job["solution"]),
        job["uids"][0],
        limits,
        (sol_sock.fileno(),),
    )
    sol_sock.close()
    job.update(json.loads(_read_exact(tests_fd, 1 << 26) or b"{}"))  # now the tests
    os.close(tests_fd)
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
        tests.wait(timeout=max(0.0, min(limits["wall_s"], _remaining(job))))
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


_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
_VISIBLE = {}  # extra paths → what _visible_paths found (computed once per zygote)


def _run_init(job, tests_fd):
    """PID 1 of one run's PID namespace: build the root, run the job, return the result."""
    job["deadline"] = time.monotonic() + job["budget_s"]
    _enter_root(job)
    os.makedirs(WORKDIR, exist_ok=True)
    os.chown(WORKDIR, job["uids"][0], job["uids"][0])
    if job["mode"] == "stdio":
        with open(f"{WORKDIR}/solution.py", "w") as f:
            f.write(job["solution"])
        os.chmod(f"{WORKDIR}/solution.py", 0o644)
        return {"cases": [_run_stdio_case(job, case) for case in job["inputs"]]}
    return _run_functional(job, tests_fd)


def _write_within(fd, data, deadline):
    """Write ``data`` to a pipe, giving up at ``deadline`` (the reader may never read)."""
    import select

    os.set_blocking(fd, False)
    view = memoryview(data)
    while view and time.monotonic() < deadline:
        _, ready, _ = select.select([], [fd], [], max(0.0, deadline - time.monotonic()))
        if ready:
            try:
                view = view[os.write(fd, view[: 1 << 16]) :]
            except BrokenPipeError:
                return
    os.close(fd)


def _run_job(job, tests_len, out_fd):
    """A child of the zygote, root, one per run: a new mount, IPC and PID namespace (and the run's
    memory cgroup) for the run's init; then the tests are read from the zygote's stdin (after the
    init, and so the solution, was forked: no copy of them exists in the solution's memory) and handed
    to the init, which waits to have forked the solution before it reads them."""
    import ctypes

    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # only the zygote speaks to the host
    os.close(null)
    if job.get("cgroup"):
        with open(os.path.join(job["cgroup"], "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNS | _CLONE_NEWIPC | _CLONE_NEWPID) != 0:
        raise OSError(ctypes.get_errno(), "unshare of the run's namespaces failed")
    result_r, result_w = os.pipe()
    tests_r, tests_w = os.pipe()
    init = os.fork()
    if init == 0:
        code = 0
        try:
            os.close(result_r)
            os.close(tests_w)
            os.close(out_fd)
            result = _run_init(job, tests_r)
        except BaseException as exc:
            result, code = {"error": "sandbox_error", "detail": f"{type(exc).__name__}: {exc}"[:500]}, 1
        try:
            _write_all(result_w, json.dumps(result).encode())
        finally:
            os._exit(code)
    os.close(tests_r)
    os.close(result_w)
    deadline = time.monotonic() + job["budget_s"] + 2
    tests = _read_exact(0, tests_len)
    _write_within(tests_w, tests, deadline)
    import select

    chunks = []
    while time.monotonic() < deadline:  # read the result as it comes (it may not fit in the pipe)
        if select.select([result_r], [], [], max(0.0, deadline - time.monotonic()))[0]:
            chunk = os.read(result_r, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    else:  # the init overran its own bound: kill the namespace
        with contextlib.suppress(ProcessLookupError):
            os.kill(init, signal.SIGKILL)
        chunks = []
    os.waitpid(init, 0)  # returns once every process of the namespace is gone
    raw = b"".join(chunks)
    _write_all(
        out_fd, raw or json.dumps({"error": "timeout", "detail": "the run overran its bound"}).encode()
    )


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def role_zygote():
    """Process 1 of the sandbox's outer namespaces (network, UTS, mount), warm: imports, the seccomp
    filter and the list of visible paths are made once; each job is run by a forked child in
    namespaces of its own. Protocol on stdin: ``<len job> <len tests>\\n<job JSON><tests JSON>``; one
    result JSON line on stdout per job, written once every process of the run is gone."""
    import ast  # noqa: F401  (warm for the tests' process)

    _load_seccomp()
    while True:
        header = b""
        while (ch := os.read(0, 1)) not in (b"\n", b""):
            header += ch
        if not header:
            return
        job_len, tests_len = map(int, header.split())
        job = json.loads(_read_exact(0, job_len))
        extra = tuple(job.get("extra_paths") or ())
        if extra not in _VISIBLE:
            _VISIBLE[extra] = _visible_paths(extra)
        job["visible"] = _VISIBLE[extra]
        out_r, out_w = os.pipe()
        child = os.fork()
        if child == 0:
            try:
                os.close(out_r)
                _run_job(job, tests_len, out_w)
            except BaseException as exc:
                with contextlib.suppress(BaseException):
                    _write_all(
                        out_w, json.dumps({"error": "sandbox_error", "detail": repr(exc)[:500]}).encode()
                    )
            finally:
                os._exit(0)
        os.close(out_w)
        raw = _read_exact(out_r, 1 << 24)
        os.close(out_r)
        os.waitpid(child, 0)
        sys.stdout.write(
            (raw.decode() if raw else '{"error": "sandbox_error", "detail": "no result"}') + "\n"
        )
        sys.stdout.flush()


if __name__ == "__main__":
    role = sys.argv[1]
    if role == "zygote":
        role_zygote()
