from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "VERIFIERS": "r1data.verifiers.registry",
    "verifier_pool": "r1data.verifiers.registry",
    "iter_verified": "r1data.verifiers.stream",
    "BoundedPool": "r1data.verifiers.pool",
    "Verifier": "r1data.verifiers.base",
    "correct_of": "r1data.verifiers.base",
    "verdict": "r1data.verifiers.base",
    "MathVerifier": "r1data.verifiers.math_verifier",
    "boxed_contents": "r1data.core.answers",
    "CodeVerifier": "r1data.verifiers.code",
    "Verify": "r1data.verifiers.verify_step",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
