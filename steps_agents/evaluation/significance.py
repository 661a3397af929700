"""Small, exact statistics for evaluation reports (stdlib ``math`` only).

Everything here is a pure function over counts or per-item outcomes so the report code stays a
thin layer and the tests can check each formula against a brute-force computation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054
"""The 0.975 quantile of the standard normal: a two-sided 95% interval."""


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion.

    With ``p = s/n``: ``centre = (p + z^2/2n) / (1 + z^2/n)`` and
    ``half = z / (1 + z^2/n) * sqrt(p(1-p)/n + z^2/4n^2)``; the interval is
    ``[centre - half, centre + half]`` clipped to ``[0, 1]``. Unlike the normal (Wald) interval it
    stays inside [0, 1] and is sensible at ``p = 0`` or ``p = 1``, which is where small pass rates
    for large k live. ``n = 0`` gives ``(0, 1)``: nothing is known. ``successes`` may be
    fractional (a mean pass rate times the number of independent units, used with repeats).
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = (z / denom) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # At p = 0 or 1 the bound is exactly 0 or 1 in theory; rounding would leave 1e-18 off it.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def binomial_two_sided_p(k: int, n: int) -> float:
    """Exact two-sided p-value of ``k`` successes in ``n`` fair coin flips (the sign test).

    ``p = min(1, 2 * sum_{i <= min(k, n-k)} C(n, i) / 2^n)``. The sum is taken over Python
    integers and divided once, so it is exact for any ``n`` (no float underflow).
    """
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got {k}/{n}")
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1))
    return min(1.0, 2 * tail / 2**n)


def exact_mcnemar(only_a: int, only_b: int) -> float:
    """Exact McNemar test on paired binary outcomes.

    ``only_a`` = pairs where A passed and B failed, ``only_b`` = the reverse; concordant pairs
    carry no information about the difference. Under H0 each discordant pair is a fair coin, so
    the p-value is the two-sided binomial test of ``only_a`` out of ``only_a + only_b``.
    """
    return binomial_two_sided_p(only_a, only_a + only_b)


def sign_test(differences: Sequence[float]) -> tuple[int, int, float]:
    """Two-sided exact sign test on paired differences; zeros (ties) are dropped.

    Returns ``(positives, negatives, p)``.
    """
    pos = sum(1 for d in differences if d > 0)
    neg = sum(1 for d in differences if d < 0)
    return pos, neg, binomial_two_sided_p(pos, pos + neg)


def pass_hat_k(successes: int, trials: int, k: int) -> float:
    """The unbiased estimate of pass^k for one task: ``C(c, k) / C(n, k)``.

    pass^k is the chance that ``k`` independent attempts *all* pass (tau-bench's consistency
    metric); with ``n`` attempts of which ``c`` passed, ``C(c,k)/C(n,k)`` is its unbiased
    estimator. Averaged over tasks it gives the benchmark's pass^k; ``k = n`` is the share of
    tasks passed every time.
    """
    if not 1 <= k <= trials:
        raise ValueError(f"need 1 <= k <= trials, got k={k}, trials={trials}")
    return math.comb(successes, k) / math.comb(trials, k)


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def sample_std(values: Sequence[float]) -> float | None:
    """Sample standard deviation (``n - 1`` in the denominator); ``None`` below two values."""
    if len(values) < 2:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def paired_difference_interval(
    differences: Sequence[float],
    z: float = Z95,
    bounds: tuple[float, float] = (-math.inf, math.inf),
) -> tuple[float, float, float] | None:
    """Mean paired difference with a normal-approximation 95% interval: ``d +- z * s_d / sqrt(n)``.

    Returns ``(mean, low, high)``; ``None`` for fewer than two pairs. The interval is clipped to
    ``bounds`` (a difference of pass rates lies in [-1, 1]; the normal approximation does not
    know that near the edges). Reported beside the exact test as an effect size, not as the
    test itself.
    """
    n = len(differences)
    if n < 2:
        return None
    m = sum(differences) / n
    s = sample_std(differences) or 0.0
    half = z * s / math.sqrt(n)
    return (m, max(bounds[0], m - half), min(bounds[1], m + half))
