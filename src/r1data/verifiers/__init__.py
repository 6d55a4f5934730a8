from r1data.verifiers.base import Checker, correct_of, verdict
from r1data.verifiers.math_checker import MathChecker, boxed_contents
from r1data.verifiers.pool import BoundedPool
from r1data.verifiers.runner import CHECKERS, iter_verified
from r1data.verifiers.step import Verify

__all__ = [
    "CHECKERS",
    "BoundedPool",
    "Checker",
    "MathChecker",
    "Verify",
    "boxed_contents",
    "correct_of",
    "iter_verified",
    "verdict",
]
