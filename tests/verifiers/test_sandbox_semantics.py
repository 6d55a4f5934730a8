"""Functional tests see Python's semantics across the sandbox's boundary: what an honest solution does
in one process passes here, what a wrong one does fails, and nothing the solution makes can decide
a comparison. Each case is (solution, tests, expected status)."""

from __future__ import annotations

import gzip
import json

import pytest

from r1data.verifiers.code import CodeVerifier
from r1data.verifiers.sandbox.host import Limits, Sandbox, SandboxUnavailable
from tests.conftest import shared_file

LIMITS = Limits(cpu_s=3, wall_s=6, memory_mb=256, nproc=16)


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox(LIMITS)
    try:
        box.check()
    except SandboxUnavailable as exc:
        pytest.skip(f"no sandbox on this machine: {exc}")
    return box


# Honest solutions that pass in one process, and must pass here.
HONEST = {
    "mutation_the_test_expects": ("def f(a):\n    a.sort()\n", "x = [3, 1, 2]\nf(x)\nassert x == [1, 2, 3]"),
    "dict_updated_in_place": (
        "def f(d):\n    d['k'] = d.get('k', 0) + 1\n",
        "d = {}\nf(d)\nf(d)\nassert d == {'k': 2}",
    ),
    "nested_mutation_keeps_aliasing": (
        "def f(a):\n    a[0].append(9)\n    a.append(a[0])\n",
        "x = [[1]]\nf(x)\nassert x == [[1, 9], [1, 9]] and x[0] is x[1]",
    ),
    "returns_its_argument": (
        "def f(a):\n    a.append(1)\n    return a\n",
        "x = []\nassert f(x) is x and x == [1]",
    ),
    "raises_the_expected_builtin_exception": (
        "def f(a):\n    raise ValueError('negative')\n",
        "try:\n    f(-1)\n    assert False\nexcept ValueError as e:\n    assert str(e) == 'negative'",
    ),
    "raises_its_own_exception_with_a_builtin_base": (
        "class Bad(KeyError):\n    pass\ndef f(a):\n    raise Bad(a)\n",
        "try:\n    f(1)\n    assert False\nexcept KeyError as e:\n    assert e.args == (1,) and type(e).__name__ == 'Bad'",
    ),
    "the_tests_catch_the_solutions_class_by_name": (
        "class InvalidInput(ValueError):\n    pass\ndef f(a):\n    raise InvalidInput('x')\n",
        "try:\n    f(1)\n    assert False\nexcept InvalidInput:\n    pass",
    ),
    "returns_a_generator": (
        "def f(n):\n    for i in range(n):\n        yield i * i\n",
        "assert list(f(4)) == [0, 1, 4, 9]\nassert sum(f(3)) == 5\nassert next(iter(f(2))) == 0",
    ),
    "returns_its_own_object": (
        "class P:\n    def __init__(self, x):\n        self.x = x\n    def double(self):\n        return self.x * 2\n"
        "def f(x):\n    return P(x)\n",
        "p = f(3)\nassert p.x == 3 and p.double() == 6\np.x = 5\nassert p.double() == 10",
    ),
    "entry_point_class_leetcode_style": (
        "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n"
        "        for i, n in enumerate(nums):\n            if target - n in seen:\n"
        "                return [seen[target - n], i]\n            seen[n] = i\n",
        "s = Solution()\nassert s.twoSum([2, 7, 11, 15], 9) == [0, 1]\nassert s.twoSum([3, 3], 6) == [0, 1]",
    ),
    "stateful_design_class": (
        "class MinStack:\n    def __init__(self):\n        self.s = []\n    def push(self, x):\n        self.s.append(x)\n"
        "    def top(self):\n        return self.s[-1]\n    def getMin(self):\n        return min(self.s)\n"
        "    def __len__(self):\n        return len(self.s)\n",
        "m = MinStack()\nm.push(3)\nm.push(1)\nassert m.getMin() == 1 and m.top() == 1 and len(m) == 2",
    ),
    "a_custom_iterator_and_membership": (
        "class It:\n    def __init__(self):\n        self.i = 0\n    def __iter__(self):\n        return self\n"
        "    def __next__(self):\n        self.i += 1\n        if self.i > 3:\n            raise StopIteration\n"
        "        return self.i\ndef f():\n    return It()\n",
        "assert list(f()) == [1, 2, 3]\nassert 2 in f() and 7 not in f()",
    ),
    "callbacks_from_the_tests": (
        "def f(g, xs):\n    return [g(x) for x in xs]\n",
        "assert f(lambda v: v + 1, [1, 2]) == [2, 3]\nassert f(len, ['ab']) == [2]\nassert f(str.upper, ['a']) == ['A']",
    ),
    "stdlib_values_cross": (
        "from fractions import Fraction\nfrom collections import Counter, deque\nimport datetime\n"
        "def f():\n    return Fraction(1, 3), Counter('aab'), deque([1, 2]), datetime.date(2024, 1, 2), 1 + 2j\n",
        "from fractions import Fraction\nfrom collections import Counter, deque\nimport datetime\n"
        "assert f() == (Fraction(1, 3), Counter('aab'), deque([1, 2]), datetime.date(2024, 1, 2), 1 + 2j)",
    ),
    "returns_a_match_object": (
        "import re\ndef f(s):\n    return re.search(r'a+', s)\n",
        "m = f('baaad')\nassert m and m.group(0) == 'aaa' and m.span() == (1, 4)\nassert not f('xyz')",
    ),
    "cyclic_structures": (
        "def f(a):\n    a.append(a)\n    return {'self': a}\n",
        "x = []\nd = f(x)\nassert d['self'] is x and x[0] is x",
    ),
}

# Wrong solutions that one process would reject (or that only a foreign object could pass): must fail.
WRONG = {
    "sorts_the_input_the_tests_keep": (
        "def f(a):\n    a.sort()\n    return a\n",
        "x = [3, 1, 2]\nassert f(x) == [1, 2, 3]\nassert x == [3, 1, 2]",
    ),
    "raises_the_wrong_exception": (
        "def f(a):\n    raise TypeError('x')\n",
        "try:\n    f(1)\n    assert False\nexcept ValueError:\n    pass",
    ),
    "exits_inside_a_call_the_tests_guard": (
        "import sys\ndef f(a):\n    sys.exit(0)\n",
        "try:\n    f(1)\nexcept Exception:\n    pass\nassert True",
    ),
    "always_equal_object": (
        "class Yes:\n    def __eq__(self, o):\n        return True\n    def __ne__(self, o):\n        return False\n"
        "    __hash__ = object.__hash__\ndef f(x):\n    return Yes()\n",
        "assert f(1) == 5",
    ),
    "always_equal_list_subclass": (
        "class L(list):\n    def __eq__(s, o):\n        return True\ndef f(x):\n    return L()\n",
        "assert f(1) == [1, 2]",
    ),
    "always_equal_str_subclass": (
        "class S(str):\n    def __eq__(s, o):\n        return True\ndef f(x):\n    return S('no')\n",
        "assert f(1) == 'yes'",
    ),
    "generator_of_always_equal": (
        "class Yes:\n    def __eq__(self, o):\n        return True\ndef f(n):\n    yield Yes()\n",
        "assert list(f(1)) == [42]",
    ),
    "mutates_the_argument_into_an_always_equal": (
        "class Yes:\n    def __eq__(self, o):\n        return True\ndef f(a):\n    a[:] = [Yes()]\n",
        "x = [0]\nf(x)\nassert x == [7]",
    ),
    "contains_everything": (
        "class All:\n    def __contains__(self, x):\n        return True\n    def __iter__(self):\n        return iter(())\n"
        "def f():\n    return All()\n",
        "assert 3 in f()",
    ),
    "lying_class_attribute": (
        "class Fake:\n    __class__ = int\n    def __eq__(self, o):\n        return True\ndef f():\n    return Fake()\n",
        "r = f()\nassert isinstance(r, int) and r == 4",
    ),
    "catch_all_exception_metaclass": (
        "class Meta(type):\n    def __subclasscheck__(cls, sub):\n        return True\n    def __instancecheck__(cls, i):\n        return True\n"
        "class E(Exception, metaclass=Meta):\n    pass\ndef f(a):\n    raise E()\n",
        "try:\n    f(1)\n    assert False\nexcept ValueError:\n    pass",
    ),
    "forged_reply_on_the_socket": (
        # the solution answers the tests' call itself, with a pickle that would run os.system
        "import os, pickle, socket, struct\n"
        "class Boom:\n    def __reduce__(self):\n        return (os.system, ('touch /tmp/w/pwned',))\n"
        "def f(x):\n    for fd in range(3, 20):\n        try:\n            s = socket.socket(fileno=fd)\n"
        "            data = pickle.dumps(('ok', Boom(), []))\n            s.sendall(struct.pack('!I', len(data)) + data)\n"
        "        except OSError:\n            pass\n    return 0\n",
        "assert f(1) == 5",
    ),
    "forged_plain_reply": (
        # a well-formed reply smuggled ahead of the real one still only carries a value the solution chose
        "import pickle, socket, struct\n"
        "def f(x):\n    s = socket.socket(fileno=3)\n    data = pickle.dumps(('ok', 5, []))\n"
        "    s.sendall(struct.pack('!I', len(data)) + data)\n    return 0\n",
        "assert f(1) == 5\nassert f(2) == 6",
    ),
    "reply_over_the_message_bound": ("def f():\n    return 'x' * (40 * 2**20)\n", "assert len(f()) == 3"),
    "deeply_nested_result": (
        "import sys\nsys.setrecursionlimit(100000)\ndef f():\n    a = []\n    for _ in range(5000):\n        a = [a]\n    return a\n",
        "assert f() == [[1]]",
    ),
}


@pytest.mark.parametrize("name", sorted(HONEST))
def test_an_honest_solution_passes_as_in_one_process(sandbox, name):
    solution, tests = HONEST[name]
    result = sandbox.run_functional(solution, tests)
    assert result["status"] == "passed", result


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_solution_fails(sandbox, name):
    solution, tests = WRONG[name]
    result = sandbox.run_functional(solution, tests)
    assert result["status"] in ("failed", "output_limit", "memory_limit", "timeout"), result


def test_the_prompts_helpers_are_the_ones_the_tests_call(sandbox):
    """HumanEval/38, /50 and /32 build the tests' inputs with a helper the prompt defines: a solution
    that redefines the helper (and its entry point to match) changes only its own namespace."""
    hostile = {
        "HumanEval/38": "    return s\n\ndef encode_cyclic(s):\n    return s\n",
        "HumanEval/50": "    return s\n\ndef encode_shift(s):\n    return s\n",
        "HumanEval/32": "    return 0.0\n\ndef poly(xs, x):\n    return 0.0\n",
    }
    with gzip.open(shared_file("code/HumanEval.jsonl.gz"), "rt") as f:
        tasks = {t["task_id"]: t for t in map(json.loads, f) if t["task_id"] in hostile}
    for task_id, body in hostile.items():
        task = tasks[task_id]
        args = (task["test"], task["entry_point"], None, None)
        honest = sandbox.run_functional(task["canonical_solution"], *args, prefix=task["prompt"])
        wrong = sandbox.run_functional(body, *args, prefix=task["prompt"])
        assert honest["status"] == "passed", (task_id, honest)
        assert wrong["status"] == "failed", (task_id, wrong)


def test_shared_classes_cross_as_the_tests_own(sandbox):
    """A class the prompt defines (a linked list node) is the tests' own class on their side: a solution
    that redefines it with an always-true ``__eq__`` still has its lists compared by the prompt's."""
    prefix = (
        "class ListNode:\n    def __init__(self, val=0, next=None):\n        self.val = val\n        self.next = next\n"
        "    def __eq__(self, o):\n        return isinstance(o, ListNode) and (self.val, self.next) == (o.val, o.next)\n"
    )
    reverse = "def rev(h):\n    p = None\n    while h:\n        h.next, p, h = p, h, h.next\n    return p\n"
    rigged = "class ListNode:\n    def __init__(self, val=0, next=None):\n        self.val, self.next = val, next\n    def __eq__(self, o):\n        return True\n"
    tests = (
        "a = ListNode(1, ListNode(2))\nassert rev(a) == ListNode(2, ListNode(1))\n"
        "assert a.next is None  # reversed in place: the tests' own head is now the tail"
    )
    assert sandbox.run_functional(reverse, tests, prefix=prefix)["status"] == "passed"
    assert sandbox.run_functional(rigged + reverse, tests, prefix=prefix)["status"] == "passed"
    wrong = rigged + "def rev(h):\n    return ListNode(0)\n"
    assert sandbox.run_functional(wrong, tests, prefix=prefix)["status"] == "failed"


def test_classes_the_tests_define_cross_by_value(sandbox):
    """LeetCode-style tests build their inputs from their own TreeNode: the solution reads and returns
    such trees, and the tests compare them with their own class."""
    setup = (
        "class TreeNode:\n    def __init__(self, val=0, left=None, right=None):\n"
        "        self.val, self.left, self.right = val, left, right\n"
        "def same(a, b):\n    return (a is None and b is None) or (a is not None and b is not None and "
        "a.val == b.val and same(a.left, b.left) and same(a.right, b.right))\n"
    )
    solution = (
        "class Solution:\n    def invertTree(self, root):\n        if root:\n"
        "            root.left, root.right = self.invertTree(root.right), self.invertTree(root.left)\n"
        "        return root\n"
    )
    tests = (
        "t = TreeNode(1, TreeNode(2), TreeNode(3))\nr = Solution().invertTree(t)\n"
        "assert isinstance(r, TreeNode) and same(r, TreeNode(1, TreeNode(3), TreeNode(2)))\nassert r is t"
    )
    assert sandbox.run_functional(solution, tests, setup=setup)["status"] == "passed"


@pytest.mark.parametrize(
    ("reference", "why"),
    [
        ({"test": "assert f(1) ==", "entry_point": None}, "SyntaxError"),
        (
            {"test": "def check(candidate):\n    assert candidate(1) == 1\n", "entry_point": None},
            "entry_point",
        ),
        ({"test": "x = 1\n", "entry_point": None}, "no assert"),
        (
            {
                "test": "def check(c):\n    assert c() == 1\n",
                "entry_point": "f",
                "prefix": "import nonexistent_module_zz\ndef f():\n",
            },
            "ModuleNotFoundError",
        ),
        (
            {"test": "assert f() == 1", "entry_point": None, "setup": "raise RuntimeError('setup')\n"},
            "RuntimeError",
        ),
    ],
)
def test_a_reference_that_cannot_run_is_unknown_for_every_sample(reference, why):
    """Found at the start of the prompt's first run, before any test meets a solution; the prompt's
    other samples then get the same verdict without running."""
    checker = CodeVerifier()
    runs = []
    run_functional = checker.sandbox.run_functional
    checker.sandbox.run_functional = lambda *a, **k: runs.append(a) or run_functional(*a, **k)
    state = checker.prepare({"tests": {"kind": "functional", **reference}})
    verdicts = [
        checker.check(state, {"text": text})
        for text in ("```python\ndef f(*a):\n    return 1\n```", "```python\nprint('hi')\n```", "x = 1")
    ]
    assert [(v["label"], v["reason"]) for v in verdicts] == [("unknown", "bad_reference")] * 3
    assert why in verdicts[0]["detail"] and len(runs) == 1


def test_the_verified_program_is_the_published_one():
    """A correct function, a comment past the program bound, then a wrong redefinition: the program is
    refused whole (``program_too_long``), never cut to its correct prefix."""
    checker = CodeVerifier()
    state = checker.prepare({"tests": {"kind": "functional", "test": "assert add(1, 2) == 3"}})
    padded = "def add(a, b):\n    return a + b\n#" + "x" * 200_000 + "\nadd = lambda a, b: 0\n"
    verdict = checker.check(state, {"text": f"```python\n{padded}```"})
    assert (verdict["label"], verdict["reason"]) == ("fail", "program_too_long")
    assert (
        checker.check(state, {"text": "```python\ndef add(a, b):\n    return a + b\n```"})["label"] == "pass"
    )


def test_output_the_program_controls_is_a_fail_never_unknown():
    """Twenty stdio cases that each print 512 KB of control bytes: the program's output is over its
    bound (fail/output_limit), not a sandbox failure a judge would then decide."""
    checker = CodeVerifier()
    cases = [{"input": "", "output": "ok"}] * 20
    state = checker.prepare({"tests": {"kind": "stdio", "cases": cases}})
    flood = "```python\nimport sys\nsys.stdout.write('\\x01\\x02\\x1b' * (512 * 1024 // 3))\n```"
    verdict = checker.check(state, {"text": flood})
    assert (verdict["label"], verdict["reason"]) == ("fail", "output_limit")
    functional = checker.prepare({"tests": {"kind": "functional", "test": "assert f() == 1"}})
    noisy = "```python\ndef f():\n    print('\\x00' * 10**7)\n    return 1\n```"
    assert checker.check(functional, {"text": noisy})["reason"] == "output_limit"


@pytest.mark.parametrize(
    "family",
    ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET", "AF_ALG", "AF_VSOCK", "AF_BLUETOOTH", "AF_CAN"],
)
def test_only_unix_sockets_can_be_created(sandbox, family):
    program = (
        "import socket\n"
        f"family = getattr(socket, {family!r}, None)\n"
        "try:\n    socket.socket(family or 40)\n    print('created')\nexcept OSError as e:\n    print('refused', e.errno)\n"
        "a, b = socket.socketpair()\nprint('unix ok')\n"
    )
    (case,) = sandbox.run_stdio(program, [""])["cases"]
    assert case["stdout"].split("\n")[:2] == ["refused 97", "unix ok"], case
