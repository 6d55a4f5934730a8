from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "CHECKERS": "r1data.verifiers.registry",
    "checker_pool": "r1data.verifiers.registry",
    "iter_verified": "r1data.verifiers.runner",
    "BoundedPool": "r1data.verifiers.pool",
    "Checker": "r1data.verifiers.base",
    "correct_of": "r1data.verifiers.base",
    "verdict": "r1data.verifiers.base",
    "MathChecker": "r1data.verifiers.math_checker",
    "boxed_contents": "r1data.core.answers",
    "CodeChecker": "r1data.verifiers.code",
    "Verify": "r1data.verifiers.step",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
