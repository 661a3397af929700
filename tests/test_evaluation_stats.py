"""Evaluation statistics against brute force and known values."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steps_agents.evaluation.significance import (
    binomial_two_sided_p,
    exact_mcnemar,
    paired_difference_interval,
    pass_hat_k,
    sample_std,
    sign_test,
    wilson_interval,
)


def test_wilson_known_values() -> None:
    # Textbook value (Newcombe 1998): 81/263 -> 0.2553..0.3662.
    low, high = wilson_interval(81, 263)
    assert low == pytest.approx(0.2553, abs=5e-4)
    assert high == pytest.approx(0.3662, abs=5e-4)
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(5, 3)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_p_and_stays_in_unit_interval(sn: tuple[int, int]) -> None:
    s, n = sn
    low, high = wilson_interval(s, n)
    assert 0.0 <= low <= s / n <= high <= 1.0


def _brute_two_sided(k: int, n: int) -> float:
    """Sum the probabilities of all outcomes at most as likely as k (fair coin, symmetric)."""
    probs = [Fraction(math.comb(n, i), 2**n) for i in range(n + 1)]
    return float(min(Fraction(1), sum(p for p in probs if p <= probs[k])))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_binomial_p_matches_brute_force(kn: tuple[int, int]) -> None:
    k, n = kn
    assert binomial_two_sided_p(k, n) == pytest.approx(_brute_two_sided(k, n), rel=1e-12)


def test_mcnemar_and_sign_test() -> None:
    assert exact_mcnemar(0, 0) == 1.0
    assert exact_mcnemar(10, 0) == pytest.approx(2 / 2**10)
    assert exact_mcnemar(3, 3) == 1.0
    # Large counts stay exact (no float underflow of 0.5**n).
    assert 0.0 < exact_mcnemar(600, 500) < 0.01
    assert sign_test([1.0, 0.5, 0.0, -0.2, 2.0]) == (3, 1, pytest.approx(0.625))


def test_pass_hat_k_is_the_all_pass_probability() -> None:
    # Brute force: over all k-subsets of n attempts with c passes, the share that are all passes.
    for n in range(1, 7):
        for c in range(n + 1):
            attempts = [True] * c + [False] * (n - c)
            for k in range(1, n + 1):
                subsets = list(itertools.combinations(attempts, k))
                share = sum(all(s) for s in subsets) / len(subsets)
                assert pass_hat_k(c, n, k) == pytest.approx(share)
    with pytest.raises(ValueError):
        pass_hat_k(1, 2, 3)


def test_std_and_paired_interval() -> None:
    assert sample_std([1.0]) is None
    assert sample_std([1.0, 3.0]) == pytest.approx(math.sqrt(2))
    m, lo, hi = paired_difference_interval([1.0, 1.0, 0.0, 0.0]) or (0, 0, 0)
    assert m == 0.5 and lo < 0.5 < hi
    assert paired_difference_interval([1.0]) is None


def test_paired_difference_interval_is_clipped_to_its_bounds() -> None:
    diffs = [1.0] * 139 + [0.0]  # nearly all pairs favour A: the raw interval crosses 1
    m, lo, hi = paired_difference_interval(diffs) or (0, 0, 0)
    assert hi > 1.0
    m, lo, hi = paired_difference_interval(diffs, bounds=(-1.0, 1.0)) or (0, 0, 0)
    assert hi == 1.0 and lo < m < hi
