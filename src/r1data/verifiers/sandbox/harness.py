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
* ``solution``: uid A. Executes the untrusted code, then serves operations on its objects over a
  socket. It never sees the tests: it is forked before the tests exist anywhere in its ancestors'
  memory.
* ``tests``: uid B. Runs the prompt's code (its helpers are the prompt's, whatever the solution
  redefines), then the test code, where the solution's functions and objects are references that
  operate in the other process with Python's semantics (see "values across the boundary"). Nothing
  the solution sends can run code here: messages are plain trees, rebuilt with this process's own
  classes. The verdict is written to a pipe only this process holds, after the last test, so exiting
  early with status 0 or patching builtins in the solution's process proves nothing.
* stdio programs are run by the init directly (uid A), one process per case; their output goes back
  to the host, which holds the expected outputs and compares them: they never enter the sandbox.
"""

import base64
import builtins
import collections
import contextlib
import datetime
import decimal
import fractions
import io
import json
import operator
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
MAX_MESSAGE = 32 * 2**20
NEVER_IMPORT = {"antigravity", "this", "webbrowser", "turtle", "tkinter", "idlelib"}


# -- the wire ------------------------------------------------------------------------------------
# Messages between the two processes are pickles of plain trees (tuples, lists, str, bytes, numbers,
# None) and nothing else: the reading side refuses every global, so no bytes the solution writes can
# make the tests' process build an object of the solution's choosing or run its code.
class SolutionGone(BaseException):
    """The solution process ended or broke the protocol. Not an Exception: test code's ``except
    Exception`` must not swallow it."""


class ProtocolError(SolutionGone):
    pass


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")


def _recv_exact(sock, n):
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        if not chunk:
            raise EOFError("peer closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _send(sock, tree):
    data = pickle.dumps(tree, protocol=5)
    if len(data) > MAX_MESSAGE:
        raise ProtocolError(f"a message of {len(data)} bytes is over the {MAX_MESSAGE}-byte bound")
    sock.sendall(struct.pack("!I", len(data)) + data)


def _recv(sock):
    (size,) = struct.unpack("!I", _recv_exact(sock, 4))
    if size > MAX_MESSAGE:
        raise ProtocolError(f"a message of {size} bytes is over the bound")
    try:
        return _NoGlobals(io.BytesIO(_recv_exact(sock, size))).load()
    except Exception as exc:
        raise ProtocolError(f"unreadable message: {exc}") from exc


# -- values across the boundary ---------------------------------------------------------------------
# What crosses by value is rebuilt on the other side from that side's own classes: builtins, a few
# stdlib value types, and instances of the *shared* classes (the classes the prompt, the setup and the
# tests define), rebuilt attribute by attribute as the tests' own class. Anything else stays where it
# lives and the other side gets a reference that forwards operations (calls, attributes, iteration,
# indexing, arithmetic). A reference to a solution object never forwards comparisons or hashing: its
# equality is identity, so an object "equal to everything" equals nothing in the tests.
# Containers that went into a call and were changed there are sent back and updated in place, so
# the caller sees mutations of its arguments as in one process, aliasing and cycles included.
_ATOMS = frozenset({type(None), bool, int, float, str, bytes})
_MUTABLE = ("l", "d", "s", "ba", "dq", "od", "ctr", "dd", "I")
# builtins that cross by name (both sides hold the same ones); any other builtin stays a reference
_PURE_BUILTINS = frozenset(
    [
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "bool",
        "bytes",
        "callable",
        "chr",
        "complex",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "format",
        "frozenset",
        "hash",
        "hex",
        "int",
        "isinstance",
        "issubclass",
        "iter",
        "len",
        "list",
        "map",
        "max",
        "min",
        "next",
        "object",
        "oct",
        "ord",
        "pow",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "slice",
        "sorted",
        "str",
        "sum",
        "tuple",
        "type",
        "zip",
    ]
)
_FACTORIES = ("list", "int", "set", "dict", "str", "float", "tuple", "bool", "frozenset")


class Memo:
    """Containers of one call, numbered in the order they are met: the arguments first, then what the
    reply adds. Both sides number alike, so a reply can name an argument (``("ref", k)``)."""

    def __init__(self):
        self.objs = []
        self.ids = {}

    def add(self, obj):
        self.ids[id(obj)] = len(self.objs)
        self.objs.append(obj)
        return self.ids[id(obj)]

    def register(self, k, obj):
        if k != len(self.objs):
            raise ProtocolError("container numbering out of order")
        self.ids[id(obj)] = k
        self.objs.append(obj)
        return obj


def _builtin_name(value):
    name = getattr(value, "__name__", None)
    if isinstance(name, str) and name in _PURE_BUILTINS and getattr(builtins, name, None) is value:
        return name
    return None


def _first_builtin_base(cls):
    for base in cls.__mro__:
        if getattr(builtins, base.__name__, None) is base:
            return base.__name__
    return "Exception"


def _state(obj):
    """A shallow copy of what a mutable container holds (compared by identity after a call)."""
    t = type(obj)
    if t is bytearray:
        return bytes(obj)
    if isinstance(obj, dict):
        return list(obj.items())
    if isinstance(obj, list | set | collections.deque):
        return list(obj)
    return list(vars(obj).items()) if hasattr(obj, "__dict__") else None


def _changed(before, obj):
    after = _state(obj)
    if type(before) is bytes or before is None:
        return before != after
    if len(before) != len(after):
        return True
    if type(obj) is set:
        return any(x not in obj for x in before)
    for a, b in zip(before, after, strict=True):
        if type(a) is tuple:  # (key, value) pairs
            if a[0] is not b[0] or a[1] is not b[1]:
                return True
        elif a is not b:
            return True
    return False


class Wire:
    """One side's encoder/decoder and its table of objects the other side holds references to.

    ``restricted``: what the other side may do with this side's objects (the tests' side lets the
    solution only call and iterate the callbacks a test passes it)."""

    def __init__(self, sock, lookup, restricted):
        self.sock = sock
        self.lookup = lookup  # name → this side's class of that name (or None)
        self.shared = set()  # names of the classes whose instances cross by value
        self.restricted = restricted
        self.exports = []  # rid → object
        self.export_ids = {}
        self.refs = {}  # rid → local stand-in for the other side's object
        self.mirrors = {}  # rid → local exception class standing for the other side's
        self.plain_classes = {}

    # -- encoding
    def export(self, value):
        rid = self.export_ids.get(id(value))
        if rid is None:
            rid = self.export_ids[id(value)] = len(self.exports)
            self.exports.append(value)
        return rid

    def enc(self, v, memo):
        t = type(v)
        if t in _ATOMS:
            return v
        if id(v) in memo.ids:
            return ("ref", memo.ids[id(v)])
        if t is tuple:
            return ("t", [self.enc(x, memo) for x in v])
        if t is list:
            k = memo.add(v)
            if all(type(x) in _ATOMS for x in v):
                return ("la", k, v)
            return ("l", k, [self.enc(x, memo) for x in v])
        if t is dict:
            k = memo.add(v)
            return ("d", k, [self.enc(x, memo) for item in v.items() for x in item])
        if t is set:
            return ("s", memo.add(v), [self.enc(x, memo) for x in v])
        if t is frozenset:
            return ("fs", [self.enc(x, memo) for x in v])
        if t is bytearray:
            return ("ba", memo.add(v), bytes(v))
        if t is complex:
            return ("c", v.real, v.imag)
        if t is range:
            return ("rg", v.start, v.stop, v.step)
        if t is slice:
            return ("sl", self.enc(v.start, memo), self.enc(v.stop, memo), self.enc(v.step, memo))
        if t is Ref:
            if v._r1_wire is self:
                return ("L", v._r1_rid)  # the receiver's own object, back home
            raise ProtocolError("a reference from another run")
        if t is collections.OrderedDict or t is collections.Counter:
            tag = "od" if t is collections.OrderedDict else "ctr"
            return (tag, memo.add(v), [self.enc(x, memo) for item in v.items() for x in item])
        if t is collections.defaultdict:
            factory = v.default_factory
            name = None if factory is None else _builtin_name(factory)
            if factory is None or name in _FACTORIES:
                k = memo.add(v)
                return ("dd", k, name, [self.enc(x, memo) for item in v.items() for x in item])
        if t is collections.deque:
            return ("dq", memo.add(v), [self.enc(x, memo) for x in v], v.maxlen)
        if t is fractions.Fraction:
            return ("fr", v.numerator, v.denominator)
        if t is decimal.Decimal:
            return ("dec", str(v))
        if t is datetime.date or t is datetime.datetime or t is datetime.time or t is datetime.timedelta:
            return ("dt", t.__name__, pickle.dumps(v, protocol=5))
        name = _builtin_name(v)
        if name is not None:
            return ("B", name)
        if isinstance(v, BaseException):
            return self.enc_exc(v, memo)
        if isinstance(v, type) and issubclass(v, BaseException) and v.__name__ not in self.shared:
            if getattr(builtins, v.__name__, None) is v:
                return ("B", v.__name__)
            return ("xc", self.export(v), v.__name__, _first_builtin_base(v))
        if t.__name__ in self.shared and not isinstance(v, type) and hasattr(v, "__dict__"):
            k = memo.add(v)
            return ("I", k, t.__name__, [self.enc(x, memo) for item in vars(v).items() for x in item])
        if self.restricted and not _may_lend(v):
            raise TypeError(f"the tests cannot pass {type(v).__name__} objects to the solution")
        return ("R", self.export(v))

    def enc_exc(self, e, memo):
        t = type(e)
        args = self.enc(tuple(e.args), memo)
        attrs = [self.enc(x, memo) for item in getattr(e, "__dict__", {}).items() for x in item]
        if getattr(builtins, t.__name__, None) is t:
            return ("xb", t.__name__, args, attrs)
        if t.__name__ in self.shared:
            return ("xs", t.__name__, args, attrs)
        return ("xo", self.export(t), t.__name__, _first_builtin_base(t), args, attrs)

    # -- decoding (of what the other side sent: checked shape by shape)
    def dec(self, node, memo):
        t = type(node)
        if t is not tuple:
            if t in _ATOMS:
                return node
            raise ProtocolError(f"unexpected {t.__name__} on the wire")
        tag = node[0]
        if tag == "ref":
            k = node[1]
            if type(k) is not int or not 0 <= k < len(memo.objs):
                raise ProtocolError("reference to an unknown container")
            return memo.objs[k]
        if tag == "t":
            return tuple(self.dec(x, memo) for x in _items(node[1]))
        if tag == "la":
            items = _items(node[2])
            if not all(type(x) in _ATOMS for x in items):
                raise ProtocolError("plain list")
            return memo.register(node[1], list(items))
        if tag == "l":
            obj = memo.register(node[1], [])
            obj.extend(self.dec(x, memo) for x in _items(node[2]))
            return obj
        if tag in ("d", "od", "ctr", "dd"):
            if tag == "dd":
                factory = node[2]
                if factory is not None and factory not in _FACTORIES:
                    raise ProtocolError("defaultdict factory")
                obj = collections.defaultdict(factory and getattr(builtins, factory))
                flat = node[3]
            else:
                obj = {"d": dict, "od": collections.OrderedDict, "ctr": collections.Counter}[tag]()
                flat = node[2]
            memo.register(node[1], obj)
            self._fill_pairs(obj, flat, memo)
            return obj
        if tag == "s":
            obj = memo.register(node[1], set())
            obj.update(self.dec(x, memo) for x in _items(node[2]))
            return obj
        if tag == "fs":
            return frozenset(self.dec(x, memo) for x in _items(node[1]))
        if tag == "ba":
            return memo.register(node[1], bytearray(_typed(node[2], bytes)))
        if tag == "dq":
            obj = memo.register(node[1], collections.deque(maxlen=_typed(node[3], int, type(None))))
            obj.extend(self.dec(x, memo) for x in _items(node[2]))
            return obj
        if tag == "c":
            return complex(_typed(node[1], float), _typed(node[2], float))
        if tag == "rg":
            return range(_typed(node[1], int), _typed(node[2], int), _typed(node[3], int))
        if tag == "sl":
            return slice(self.dec(node[1], memo), self.dec(node[2], memo), self.dec(node[3], memo))
        if tag == "fr":
            return fractions.Fraction(_typed(node[1], int), _typed(node[2], int))
        if tag == "dec":
            return decimal.Decimal(_typed(node[1], str))
        if tag == "dt":
            cls = getattr(datetime, _typed(node[1], str), None)
            if cls not in (datetime.date, datetime.datetime, datetime.time, datetime.timedelta):
                raise ProtocolError("date type")
            value = _DatetimeOnly(io.BytesIO(_typed(node[2], bytes))).load()
            if type(value) is not cls:
                raise ProtocolError("date value")
            return value
        if tag == "B":
            name = _typed(node[1], str)
            if name not in _PURE_BUILTINS and not _is_builtin_exception(name):
                raise ProtocolError("builtin name")
            return getattr(builtins, name)
        if tag == "R":
            return self._ref(_typed(node[1], int))
        if tag == "L":
            rid = _typed(node[1], int)
            if not 0 <= rid < len(self.exports):
                raise ProtocolError("unknown object")
            return self.exports[rid]
        if tag == "I":
            name = _typed(node[2], str)
            cls = self.lookup(name) or self._plain_class(name)
            obj = memo.register(node[1], _blank(cls))
            attrs = {}
            self._fill_pairs(attrs, node[3], memo)
            if not all(type(a) is str for a in attrs):
                raise ProtocolError("attribute names must be strings")
            _set_attrs(obj, attrs)
            return obj
        if tag == "xc":
            return self._mirror(_typed(node[1], int), _typed(node[2], str), _typed(node[3], str))
        if tag in ("xb", "xs", "xo"):
            return self.dec_exc(node, memo)
        raise ProtocolError(f"unknown tag {tag!r}")

    def dec_exc(self, node, memo):
        tag = node[0]
        if tag == "xb":
            name = _typed(node[1], str)
            if not _is_builtin_exception(name):
                raise ProtocolError("not a builtin exception")
            cls, rest = getattr(builtins, name), node[2:]
        elif tag == "xs":
            cls = self.lookup(_typed(node[1], str))
            if not (isinstance(cls, type) and issubclass(cls, BaseException)):
                cls = self._mirror(-1, node[1], "Exception")
            rest = node[2:]
        else:
            cls, rest = (
                self._mirror(_typed(node[1], int), _typed(node[2], str), _typed(node[3], str)),
                node[4:],
            )
        args = self.dec(rest[0], memo)
        if type(args) is not tuple:
            raise ProtocolError("exception arguments")
        exc = BaseException.__new__(cls, *args)
        exc.args = args
        attrs = {}
        self._fill_pairs(attrs, rest[1], memo)
        for key, value in attrs.items():
            if type(key) is str and not key.startswith("__"):
                with contextlib.suppress(Exception):
                    setattr(exc, key, value)
        return exc

    def _fill_pairs(self, target, flat, memo):
        flat = _items(flat)
        if len(flat) % 2:
            raise ProtocolError("odd mapping")
        for i in range(0, len(flat), 2):
            target[self.dec(flat[i], memo)] = self.dec(flat[i + 1], memo)

    def _ref(self, rid):
        ref = self.refs.get(rid)
        if ref is None:
            ref = self.refs[rid] = Ref(self, rid)
        return ref

    def _mirror(self, rid, name, base):
        """A local exception class standing for one the other side defined (same name; its first
        builtin base, so that ``except ValueError`` catches a ``class E(ValueError)``)."""
        key = (rid, name, base)
        cls = self.mirrors.get(key)
        if cls is None:
            if not _is_builtin_exception(base):
                raise ProtocolError("exception base")
            cls = self.mirrors[key] = type(name, (getattr(builtins, base),), {"__module__": "solution"})
        return cls

    def _plain_class(self, name):
        cls = self.plain_classes.get(name)
        if cls is None:
            cls = self.plain_classes[name] = type(name, (), {"__module__": "tests"})
        return cls

    # -- state of the arguments after a call
    def changed_states(self, memo, snapshots, known):
        return [
            (k, [self.enc(x, memo) for x in _flat_state(memo.objs[k])])
            for k in range(known)
            if _changed(snapshots[k], memo.objs[k])
        ]

    def apply_states(self, states, memo, known):
        decoded = []
        for k, items in _items(states):
            if type(k) is not int or not 0 <= k < known:
                raise ProtocolError("state of an unknown argument")
            decoded.append((memo.objs[k], [self.dec(x, memo) for x in _items(items)]))
        for obj, items in decoded:
            _restore(obj, items)

    # -- calls, both ways
    def request(self, op, target, args=(), kwargs=None):
        memo = Memo()
        payload = self.enc((tuple(args), dict(kwargs or {})), memo)
        try:
            _send(self.sock, ("q", op, target, payload))
            return self._wait(memo, len(memo.objs))
        except (EOFError, OSError) as exc:
            raise SolutionGone("the solution process exited") from exc

    def _wait(self, memo, known):
        while True:
            msg = _recv(self.sock)
            kind = msg[0] if type(msg) is tuple and msg else None
            if kind == "q":
                self.serve(msg)
            elif kind in ("ok", "raise") and len(msg) == 3:
                value = self.dec(msg[1], memo)
                self.apply_states(msg[2], memo, known)
                if kind == "ok":
                    return value
                if not isinstance(value, BaseException):
                    raise ProtocolError("raised something that is not an exception")
                if not isinstance(value, Exception):
                    raise SolutionGone(f"the solution raised {type(value).__name__}")
                raise value
            else:
                raise ProtocolError("unexpected message")

    def serve(self, msg):
        _, op, rid, payload = (*msg, None, None, None)[:4]
        memo = Memo()
        try:
            if type(rid) is not int or not 0 <= rid < len(self.exports):
                raise ProtocolError("unknown object")
            if op not in _OPS or (self.restricted and op not in ("call", "iter", "next")):
                raise TypeError(f"operation {op!r} is not allowed here")
            args, kwargs = self.dec(payload, memo)
            if type(args) is not tuple or type(kwargs) is not dict:
                raise ProtocolError("call arguments")
        except ProtocolError:
            raise
        except Exception as exc:
            _send(self.sock, ("raise", self.enc_exc(exc, memo), []))
            return
        known = len(memo.objs)
        snapshots = [_state(o) for o in memo.objs]
        try:
            result = _OPS[op](self.exports[rid], *args, **kwargs)
            reply = "ok"
        except SolutionGone:
            raise
        except BaseException as exc:  # the call's own outcome, as in one process
            result, reply = exc, "raise"
        try:
            node = self.enc(result, memo) if reply == "ok" else self.enc_exc(result, memo)
            states = self.changed_states(memo, snapshots, known)
        except Exception as exc:
            reply, node, states = "raise", self.enc_exc(exc, Memo()), []
        _send(self.sock, (reply, node, states))

    def serve_forever(self):
        while True:
            try:
                msg = _recv(self.sock)
            except EOFError:
                return
            if type(msg) is tuple and msg and msg[0] == "q":
                self.serve(msg)
            elif type(msg) is tuple and msg and msg[0] == "shared":
                self.shared = set(_typed(msg[1], list))
            else:
                raise ProtocolError("unexpected message")


def _items(value):
    if type(value) is not list:
        raise ProtocolError("expected a list")
    return value


def _typed(value, *types):
    if type(value) not in types:
        raise ProtocolError(f"expected {types[0].__name__}")
    return value


def _is_builtin_exception(name):
    cls = getattr(builtins, name, None) if type(name) is str else None
    return isinstance(cls, type) and issubclass(cls, BaseException)


class _DatetimeOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "datetime" and name in ("date", "datetime", "time", "timedelta", "timezone"):
            return super().find_class(module, name)
        raise pickle.UnpicklingError("not a date")


def _may_lend(value):
    """What the tests may hand the solution as a reference it can call or iterate: their own
    functions, iterators and objects, never a builtin that reaches the interpreter (eval, exec …)."""
    import types

    if isinstance(value, types.BuiltinFunctionType):
        owner = getattr(value, "__self__", None)
        return owner is not None and not isinstance(owner, types.ModuleType)
    return True


def _blank(cls):
    try:
        return object.__new__(cls)
    except TypeError:
        return cls.__new__(cls)


def _set_attrs(obj, attrs):
    if hasattr(obj, "__dict__"):
        obj.__dict__.update(attrs)
    else:
        for key, value in attrs.items():
            object.__setattr__(obj, key, value)


def _flat_state(obj):
    if type(obj) is bytearray:
        return [bytes(obj)]
    if isinstance(obj, dict):
        return [x for item in obj.items() for x in item]
    if isinstance(obj, list | set | collections.deque):
        return list(obj)
    return [x for item in vars(obj).items() for x in item]


def _restore(obj, items):
    """Put a changed argument's new content into the caller's own object (same identity)."""
    if type(obj) is bytearray:
        obj[:] = _typed(items[0], bytes)
    elif isinstance(obj, list):
        obj[:] = items
    elif isinstance(obj, set | collections.deque):
        obj.clear()
        (obj.update if isinstance(obj, set) else obj.extend)(items)
    elif isinstance(obj, dict) or hasattr(obj, "__dict__"):
        if len(items) % 2:
            raise ProtocolError("odd mapping")
        pairs = dict(zip(items[::2], items[1::2], strict=True))
        target = obj if isinstance(obj, dict) else obj.__dict__
        if not isinstance(obj, dict) and not all(type(k) is str for k in pairs):
            raise ProtocolError("attribute names must be strings")
        target.clear()
        target.update(pairs)
    else:
        raise ProtocolError("state of an immutable value")


def _op_getattr(obj, name):
    return getattr(obj, name)


_OPS = {
    "call": lambda o, *a, **k: o(*a, **k),
    "getattr": _op_getattr,
    "setattr": setattr,
    "delattr": delattr,
    "iter": iter,
    "next": next,
    "len": len,
    "bool": bool,
    "str": str,
    "repr": repr,
    "format": format,
    "int": int,
    "float": float,
    "index": operator.index,
    "abs": abs,
    "neg": operator.neg,
    "pos": operator.pos,
    "invert": operator.invert,
    "round": round,
    "reversed": reversed,
    "getitem": operator.getitem,
    "setitem": operator.setitem,
    "delitem": operator.delitem,
    "enter": lambda o: o.__enter__(),
    "exit": lambda o, *a: o.__exit__(*a),
}
_BINARY = (
    "add",
    "sub",
    "mul",
    "truediv",
    "floordiv",
    "mod",
    "pow",
    "lshift",
    "rshift",
    "and",
    "or",
    "xor",
    "matmul",
)
for _name in _BINARY:
    _fn = getattr(operator, _name + "_" if _name in ("and", "or") else _name)
    _OPS[_name] = _fn
    _OPS["r" + _name] = lambda o, other, _fn=_fn: _fn(other, o)


class Ref:
    """Stands for an object of the other process: operations go there, results come back by the rules
    above. Equality and hashing are identity: nothing the solution defines decides a comparison."""

    __slots__ = ("__weakref__", "_r1_rid", "_r1_wire")

    def __init__(self, wire, rid):
        object.__setattr__(self, "_r1_wire", wire)
        object.__setattr__(self, "_r1_rid", rid)

    def _r1(self, op, *args, **kwargs):
        return self._r1_wire.request(op, self._r1_rid, args, kwargs)

    def __getattr__(self, name):
        return self._r1("getattr", name)

    def __setattr__(self, name, value):
        self._r1("setattr", name, value)

    def __delattr__(self, name):
        self._r1("delattr", name)

    def __call__(self, *args, **kwargs):
        return self._r1("call", *args, **kwargs)

    def __iter__(self):
        return self._r1("iter")

    def __next__(self):
        return self._r1("next")

    def __len__(self):
        return self._r1("len")

    def __bool__(self):
        return self._r1("bool")

    def __str__(self):
        return self._r1("str")

    def __repr__(self):
        return self._r1("repr")

    def __format__(self, spec):
        return self._r1("format", spec)

    def __int__(self):
        return self._r1("int")

    def __float__(self):
        return self._r1("float")

    def __index__(self):
        return self._r1("index")

    def __abs__(self):
        return self._r1("abs")

    def __neg__(self):
        return self._r1("neg")

    def __pos__(self):
        return self._r1("pos")

    def __invert__(self):
        return self._r1("invert")

    def __round__(self, *args):
        return self._r1("round", *args)

    def __reversed__(self):
        return self._r1("reversed")

    def __getitem__(self, key):
        return self._r1("getitem", key)

    def __setitem__(self, key, value):
        self._r1("setitem", key, value)

    def __delitem__(self, key):
        self._r1("delitem", key)

    def __enter__(self):
        return self._r1("enter")

    def __exit__(self, *exc):
        return self._r1("exit", *exc)


for _name in _BINARY:
    _dunder = _name + "_" if _name in ("and", "or") else _name
    setattr(Ref, f"__{_name}__", lambda self, other, _op=_name: self._r1(_op, other))
    setattr(Ref, f"__r{_name}__", lambda self, other, _op="r" + _name: self._r1(_op, other))


# -- role: solution ----------------------------------------------------------------------------
def _class_names(source):
    """Top-level classes a piece of reference code defines (the classes both sides share)."""
    import ast

    try:
        tree = ast.parse(source or "")
    except SyntaxError:
        return []
    return [node.name for node in tree.body if isinstance(node, ast.ClassDef)]


def role_solution(fd, code, prefix):
    sock = socket.socket(fileno=fd)
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    shared = _class_names(prefix)
    try:
        exec(compile(code, "solution.py", "exec"), namespace)
    except BaseException as exc:  # the solution's own failure, reported to the tests
        _send(sock, ("hello", False, f"{type(exc).__name__}: {exc}"[:2000]))
        return

    def lookup(name):
        value = namespace.get(name)
        return value if isinstance(value, type) else None

    wire = Wire(sock, lookup, restricted=False)
    wire.shared = set(shared)
    names, modules = {}, {}
    for key, value in list(namespace.items()):
        if key.startswith("__"):
            continue
        if type(value).__name__ == "module":
            # imported by name in the tests' process too (MBPP tests use them, e.g. `sys.getsizeof`);
            # only standard-library names, so nothing of the solution's runs there
            if value.__name__.split(".")[0] in sys.stdlib_module_names:
                modules[key] = value.__name__
        elif callable(value):
            with contextlib.suppress(Exception):
                names[key] = wire.enc(value, Memo())
    _send(sock, ("hello", True, names, modules))
    wire.serve_forever()


# -- role: tests -------------------------------------------------------------------------------
def _bindable(named, defined, entry):
    """Which of the solution's names the tests get: those the tests use, never under a builtin's name
    (a solution's `abs` or `set` must not replace the builtin an assertion calls), except the function
    under test itself: the ``entry_point`` or, without one, when every name the tests use that the
    solution defines is a builtin's (MBPP 126 asks for a function called ``sum``)."""
    used = named & defined
    plain = used - set(dir(builtins))
    if entry:
        return plain | ({entry} & defined)
    return plain or used


def _names_used(tree):
    import ast

    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _compile_prefix(prefix):
    """The prompt's code on its own. A prefix that ends in a ``def`` line waiting for its body (the
    completion) gets a ``pass`` body, so that its other definitions exist in the tests' process."""
    if not prefix.strip():
        return None
    try:
        return compile(prefix, "prompt.py", "exec")
    except SyntaxError as first:
        for indent in ("    ", "\t", "        "):
            with contextlib.suppress(SyntaxError):
                return compile(prefix.rstrip("\n") + "\n" + indent + "pass\n", "prompt.py", "exec")
        raise first


def _reference_problem(job, tree):
    """Why the reference itself cannot run, whatever the solution (None when it can): checked in the
    tests' process before any test runs, so a broken reference is ``bad_reference``, never a fail."""
    import ast

    checks = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if checks and not job.get("entry_point"):
        return "the tests define check(candidate) but the reference names no entry_point"
    if not checks and not any(isinstance(n, ast.Assert) for stmt in tree.body for n in ast.walk(stmt)):
        return "the tests hold no assert statement and no check(candidate)"
    return None


def role_tests(fd, result_fd, job):
    import ast

    out = os.fdopen(result_fd, "w")
    sock = socket.socket(fileno=fd)
    result = {"passed": 0, "total": 0, "status": "error", "detail": ""}

    def finish():
        result["detail"] = result["detail"][:2000]
        out.write(json.dumps(result))
        out.flush()

    env = {"__name__": "__main__", "__builtins__": builtins}
    try:  # the reference alone: tests, setup and prompt must compile, the prompt must run
        tree = ast.parse(job["test"])
        setup = compile(job.get("setup") or "", "setup.py", "exec")
        setup_tree = ast.parse(job.get("setup") or "")
        prefix = _compile_prefix(job.get("prefix") or "")
        problem = _reference_problem(job, tree)
        if problem is None:
            if prefix is not None:
                exec(prefix, env)
            exec(setup, env)
    except BaseException as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if problem:
        result.update(status="bad_reference", detail=problem)
        return finish()
    reference_names = {k for k in env if not k.startswith("__")}
    uses_check = any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body)
    statements = [
        n for n in tree.body if not (uses_check and isinstance(n, ast.FunctionDef) and n.name == "check")
    ]
    tested = [any(isinstance(n, ast.Assert) for n in ast.walk(s)) for s in statements]
    result["total"] = 1 if uses_check else sum(tested)
    shared = list(
        dict.fromkeys(
            n for src in (job.get("prefix"), job.get("setup"), job["test"]) for n in _class_names(src)
        )
    )
    try:
        hello = _recv(sock)
    except (EOFError, ProtocolError):
        hello = ("hello", False, "the solution process exited before it was ready")
    if type(hello) is not tuple or len(hello) < 3 or hello[0] != "hello" or hello[1] is not True:
        reason = hello[2] if type(hello) is tuple and len(hello) > 2 and type(hello[2]) is str else "?"
        result["detail"] = "solution failed to load: " + reason
        return finish()
    classes = {}  # the tests' own classes by name, as they come to exist
    wire = Wire(sock, classes.get, restricted=True)
    try:
        _send(sock, ("shared", sorted(shared)))
        solution_names, modules = hello[2], hello[3]
        if type(solution_names) is not dict or type(modules) is not dict:
            raise ProtocolError("hello")
        proxies = {name: wire.dec(node, Memo()) for name, node in solution_names.items() if type(name) is str}
    except (EOFError, SolutionGone, OSError) as exc:
        result["detail"] = f"solution failed to load: {exc}"
        return finish()
    import importlib

    entry = job.get("entry_point")
    for alias, module in modules.items():
        top = module.split(".")[0] if type(module) is str else ""
        if type(alias) is str and top in sys.stdlib_module_names and top not in NEVER_IMPORT:
            with contextlib.suppress(Exception):
                proxies.setdefault(alias, importlib.import_module(module))
    named = _names_used(tree) | _names_used(setup_tree)
    bound = _bindable(named, set(proxies), entry)
    # what the prompt and the setup define stay theirs (the reference's helpers), but for the function
    # under test
    env.update({n: proxies[n] for n in bound if n not in reference_names or n == entry})
    if entry and entry not in proxies:
        result["detail"] = f"the solution does not define {entry!r}"
        return finish()
    failures = []
    try:
        _adopt_classes(wire, classes, env, shared)
        if uses_check:
            exec(compile(tree, "test.py", "exec"), env)
            _adopt_classes(wire, classes, env, shared)
            try:
                env["check"](proxies[entry])
                result["passed"] = 1
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
        else:
            for statement, is_test in zip(statements, tested, strict=True):
                try:
                    code = compile(ast.Module(body=[statement], type_ignores=[]), "test.py", "exec")
                    exec(code, env)
                    if is_test:
                        result["passed"] += 1
                    _adopt_classes(wire, classes, env, shared)
                except Exception as exc:
                    failures.append(f"line {statement.lineno}: {type(exc).__name__}: {exc}")
        result["status"] = "passed" if result["passed"] == result["total"] and not failures else "failed"
    except SolutionGone as exc:
        result["status"], failures = "failed", [*failures, str(exc)]
    except ProtocolError as exc:
        result["status"], failures = "failed", [*failures, f"the solution broke the protocol: {exc}"]
    except Exception as exc:
        result["status"], failures = "failed", [*failures, f"test code raised {type(exc).__name__}: {exc}"]
    result["detail"] = "; ".join(failures)
    finish()


def _adopt_classes(wire, classes, env, shared):
    """The prompt's, setup's and tests' classes, as they come to exist, are the local class of the
    instances the solution sends (and the tests' instances of them cross by value)."""
    for name in shared:
        if name not in classes and isinstance(env.get(name), type):
            classes[name] = env[name]
            wire.shared.add(name)


# -- confinement: seccomp filter and the minimal root ----------------------------------------------
# Syscalls the sandboxed processes may not make, per architecture: new namespaces (unshare, setns,
# clone with CLONE_NEW* flags; clone3 answers ENOSYS so that libc falls back to clone, whose flags
# the filter can read), mounts, memory that no address-space limit covers (memfd, SysV shm), and
# kernel interfaces code under test never needs (keyrings, bpf, perf, userfaultfd, io_uring, ptrace).
_BLOCKED = {
    "x86_64": dict(
        arch=0xC000003E, clone=56, clone3=435, sockets=(41, 53),
        nr=(272, 308, 165, 166, 155, 161, 319, 29, 250, 248, 249, 321, 298, 323, 425, 426, 427, 101,
            428, 429, 430, 431, 432, 433, 447),
    ),
    "aarch64": dict(
        arch=0xC00000B7, clone=220, clone3=435, sockets=(198, 199),
        nr=(97, 268, 40, 39, 41, 51, 279, 194, 219, 217, 218, 280, 241, 282, 425, 426, 427, 117,
            428, 429, 430, 431, 432, 433, 447),
    ),
}  # fmt: skip
_CLONE_NEW_FLAGS = 0x7E020000  # NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_EPERM, _ENOSYS, _EAFNOSUPPORT = 1, 38, 97
_AF_UNIX = 1


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
    for nr in spec["sockets"]:  # socket() and socketpair(): AF_UNIX only (no inet, vsock, netlink …)
        prog += [(jeq, 0, 4, nr), (ld, 0, 0, 16), (jeq, 0, 1, _AF_UNIX), (ret, 0, 0, allow)]
        prog += [(ret, 0, 0, errno | _EAFNOSUPPORT)]
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


def _run_stdio(job):
    """Every case in turn; once the cases' outputs together pass ``output_total_bytes``, the rest are
    not started (the program's output is what is over its bound)."""
    cases, total = [], 0
    for stdin_text in job["inputs"]:
        if total > job["limits"]["output_total_bytes"]:
            cases.append({"stdout": "", "exit": None, "timeout": False, "output_limit": True, "seconds": 0.0})
            continue
        case = _run_stdio_case(job, stdin_text)
        total += len(case["stdout"])
        case["stdout"] = base64.b64encode(case["stdout"]).decode()  # bytes as they were, 4/3 of the size
        cases.append(case)
    return {"cases": cases}


def _run_stdio_case(job, stdin_text):
    limits = job["limits"]
    budget = min(limits["case_timeout_s"], _remaining(job))
    if budget <= 0.05:  # the run's whole budget is spent: the case is not started
        return {"stdout": b"", "exit": None, "timeout": True, "output_limit": False, "seconds": 0.0}
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
        "stdout": b"".join(out),
        "exit": code,
        "timeout": timed_out,
        "output_limit": flags["output_limit"],
        "seconds": round(time.monotonic() - start, 3),
    }


def _run_functional(job, tests_fd):
    limits = job["limits"]
    sol_sock, test_sock = socket.socketpair()
    solution = _Forked(
        lambda: role_solution(sol_sock.fileno(), job["prefix"] + job["solution"], job["prefix"]),
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
    job["t_roles"] = time.monotonic()
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
    if flags["output_limit"] and result.get("status") != "bad_reference":
        result["status"] = "output_limit"
        result["detail"] = ("solution output exceeded the limit; " + result.get("detail", ""))[:2000]
    return result


_CLONE_NEWNS, _CLONE_NEWIPC, _CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
_VISIBLE = {}  # extra paths → what _visible_paths found (computed once per zygote)


def _run_init(job, tests_fd):
    """PID 1 of one run's PID namespace: build the root, run the job, return the result."""
    job["deadline"] = time.monotonic() + job["budget_s"]
    t_init = time.monotonic()
    _enter_root(job)
    os.makedirs(WORKDIR, exist_ok=True)
    os.chown(WORKDIR, job["uids"][0], job["uids"][0])
    t_root = time.monotonic()
    if job["mode"] == "stdio":
        with open(f"{WORKDIR}/solution.py", "w") as f:
            f.write(job["solution"])
        os.chmod(f"{WORKDIR}/solution.py", 0o644)
        result = _run_stdio(job)
    else:
        result = _run_functional(job, tests_fd)
    # where the run's time went (seconds): for the overhead split of bench/verify_code.py
    result["timing"] = {
        "fork_and_namespaces": round(job["t_namespaces"] - job["t_received"], 5),
        "init": round(t_init - job["t_namespaces"], 5),
        "root": round(t_root - t_init, 5),
        "roles": round(job.get("t_roles", t_root) - t_root, 5),
        "program_and_tests": round(time.monotonic() - job.get("t_roles", t_root), 5),
    }
    return result


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
    job["t_namespaces"] = time.monotonic()
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
        job["t_received"] = time.monotonic()
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
        raw = _read_exact(out_r, 1 << 27)
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
