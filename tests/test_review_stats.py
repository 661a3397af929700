"""Independent review of the weightings, the power-law fit and the evaluation statistics.

References: hand computations from the spec's formulas (section 1); Clauset, Shalizi & Newman
(2009) for the discrete power-law MLE, recomputed with scipy's Hurwitz zeta and optimiser;
Wilson (1927) / Newcombe (1998) and the exact binomial test (scipy) for the evaluation numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from steps_agents.corpus.cooccurrence import build_skill_graph, count_cooccurrence
from steps_agents.corpus.powerlaw import _ks_distance, _mle_alpha, fit_power_law, hurwitz_zeta
from steps_agents.evaluation.significance import (
    binomial_two_sided_p,
    exact_mcnemar,
    sign_test,
    wilson_interval,
)
from steps_agents.taxonomy.entropy import structural_entropy
from steps_agents.taxonomy.skillgraph import SkillGraph

# N = 5 records; c_a = 3, c_b = 3, c_c = 2, c_d = 1; c_ab = 2, c_ac = 1, c_cd = 1.
RECORDS = [["a", "b"], ["b", "a"], ["a", "c"], ["b"], ["c", "d"], []]


def _edges(g: SkillGraph) -> dict[tuple[str, str], float]:
    return {
        (g.skills[int(u)], g.skills[int(v)]): float(w)
        for u, v, w in zip(g.src, g.dst, g.weight, strict=True)
    }


def test_weightings_by_hand() -> None:
    counts = count_cooccurrence(RECORDS)
    assert counts.n_records == 5  # the empty record is not a record of any skill
    steps = _edges(build_skill_graph(counts, weighting="steps"))
    assert steps == {
        ("a", "b"): pytest.approx((2 + 2) / (4 * 4)),
        ("a", "c"): pytest.approx((1 + 2) / (4 * 3)),
        ("c", "d"): pytest.approx((1 + 2) / (3 * 2)),
    }
    assert _edges(build_skill_graph(counts, weighting="count")) == {
        ("a", "b"): 2.0,
        ("a", "c"): 1.0,
        ("c", "d"): 1.0,
    }
    # PMI(a,b) = ln(5*2/9) > 0, PMI(a,c) = ln(5/6) < 0 (no edge), PMI(c,d) = ln(5/2).
    assert _edges(build_skill_graph(counts, weighting="ppmi")) == {
        ("a", "b"): pytest.approx(math.log(10 / 9)),
        ("c", "d"): pytest.approx(math.log(5 / 2)),
    }


def test_ppmi_log_base_does_not_change_structural_entropy() -> None:
    """The module uses ln where the spec writes log: every weight scales by the same factor,
    which leaves H^T unchanged (g/V and vol ratios are scale-free)."""
    rng = np.random.default_rng(0)
    n = 8
    edges = [(u, v, float(rng.uniform(0.1, 2))) for u in range(n) for v in range(u + 1, n)]
    g = SkillGraph.from_edges([str(i) for i in range(n)], edges)
    g2 = SkillGraph.from_edges(
        [str(i) for i in range(n)], [(u, v, w / math.log(2)) for u, v, w in edges]
    )
    parent = np.array([8, 8, 8, 9, 9, 10, 10, 10, 11, 11, 11, -1])
    assert structural_entropy(g, parent) == pytest.approx(structural_entropy(g2, parent))


@pytest.fixture()
def scipy() -> Any:
    """scipy is not a dependency of the package: tests that use it skip without it."""
    return pytest.importorskip("scipy")


def test_hurwitz_zeta_against_scipy_near_alpha_one(scipy: Any) -> None:
    import scipy.special as scipy_special

    for s in (1.01, 1.5, 2.0, 2.5, 3.7, 8.0):
        for q in (1.0, 2.0, 7.0, 150.0):
            assert float(hurwitz_zeta(s, q)) == pytest.approx(
                float(scipy_special.zeta(s, q)), rel=1e-10
            )


def _scipy_alpha(tail: np.ndarray, xmin: float) -> float:
    import scipy.optimize as scipy_optimize
    import scipy.special as scipy_special

    n, log_sum = tail.shape[0], float(np.log(tail).sum())

    def neg(a: float) -> float:
        return n * math.log(float(scipy_special.zeta(a, xmin))) + a * log_sum

    res = scipy_optimize.minimize_scalar(
        neg, bounds=(1.0001, 12.0), method="bounded", options={"xatol": 1e-9}
    )
    return float(res.x)


def test_discrete_mle_and_xmin_choice_against_scipy(scipy: Any) -> None:
    import scipy.special as scipy_special

    rng = np.random.default_rng(5)
    # Zipf(2.3) tail above a geometric body: the body should be cut off by xmin.
    data = np.concatenate([rng.zipf(2.3, 600), rng.integers(1, 4, 300)]).astype(float)
    fit = fit_power_law(data.astype(int).tolist())
    assert fit is not None
    x = np.sort(data)
    best_ks, best = math.inf, None
    for xmin in np.unique(x)[:-1]:
        tail = x[x >= xmin]
        if tail.shape[0] < 10 or np.unique(tail).shape[0] < 2:
            continue
        a = _scipy_alpha(tail, float(xmin))
        # Independent KS: tail CDF of the fitted discrete power law from scipy's zeta.
        values, cnt = np.unique(tail, return_counts=True)
        emp = np.cumsum(cnt) / tail.shape[0]
        cdf = 1 - scipy_special.zeta(a, values + 1) / scipy_special.zeta(a, xmin)
        ks = float(np.max(np.abs(emp - cdf)))
        assert _mle_alpha(float(np.log(tail).sum()), tail.shape[0], float(xmin)) == pytest.approx(
            a, abs=1e-5
        )
        assert _ks_distance(tail, a, float(xmin)) == pytest.approx(ks, abs=1e-9)
        if np.unique(x).shape[0] <= 60 and ks < best_ks:
            best_ks, best = ks, (float(xmin), a)
    if best is not None:  # every distinct value was a candidate: the same xmin must win
        assert fit["xmin"] == best[0]
        assert fit["alpha"] == pytest.approx(best[1], abs=1e-5)
    # Only 55 points lie above xmin = 5 here; on a pure Zipf(2.3) sample xmin = 1 and alpha is
    # recovered within its standard error.
    pure = fit_power_law(np.random.default_rng(1).zipf(2.3, 2000).tolist())
    assert pure is not None and pure["xmin"] == 1
    assert pure["alpha"] == pytest.approx(2.3, abs=2 * pure["sigma"])
    assert fit["sigma"] == pytest.approx((fit["alpha"] - 1) / math.sqrt(fit["n_tail"]))


def test_wilson_textbook_values(scipy: Any) -> None:
    import scipy.stats as scipy_stats

    z2 = 1.959963984540054**2
    # 0/10 and 10/10: the bounds are z^2/(n+z^2) and n/(n+z^2) (Wilson 1927, closed form).
    assert wilson_interval(0, 10) == (0.0, pytest.approx(z2 / (10 + z2)))
    assert wilson_interval(10, 10) == (pytest.approx(10 / (10 + z2)), 1.0)
    assert wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=5e-5)
    assert wilson_interval(10, 10)[0] == pytest.approx(0.7225, abs=5e-5)
    # Newcombe (1998), table I: 15/148 -> 0.0624..0.1605; 0/20 -> 0..0.1611; 1/29 -> 0.0061..0.1718.
    for (s, n), (lo, hi) in {
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
        (1, 29): (0.0061, 0.1718),
        (5, 10): (0.2366, 0.7634),
    }.items():
        got = wilson_interval(s, n)
        assert got[0] == pytest.approx(lo, abs=5e-5) and got[1] == pytest.approx(hi, abs=5e-5)
    # Against statsmodels-free scipy: binomtest's Wilson interval.
    for s, n in ((3, 17), (0, 5), (9, 9), (40, 41)):
        ci = scipy_stats.binomtest(s, n).proportion_ci(confidence_level=0.95, method="wilson")
        got = wilson_interval(s, n)
        assert got[0] == pytest.approx(ci.low, abs=1e-9) and got[1] == pytest.approx(
            ci.high, abs=1e-9
        )


def test_exact_mcnemar_and_sign_test_against_a_direct_binomial_sum(scipy: Any) -> None:
    import scipy.stats as scipy_stats

    def direct(b: int, c: int) -> float:
        n = b + c
        tail = sum(math.comb(n, i) * 0.5**n for i in range(0, min(b, c) + 1))
        return min(1.0, 2 * tail)

    assert exact_mcnemar(0, 5) == pytest.approx(0.0625)
    assert exact_mcnemar(1, 5) == pytest.approx(14 / 64)
    assert exact_mcnemar(2, 8) == pytest.approx(2 * 56 / 1024)
    for b in range(0, 13):
        for c in range(0, 13):
            want = direct(b, c)
            assert exact_mcnemar(b, c) == pytest.approx(want, rel=1e-12)
            assert exact_mcnemar(c, b) == exact_mcnemar(b, c)
            if b + c:
                assert want == pytest.approx(scipy_stats.binomtest(b, b + c).pvalue, rel=1e-9)
    pos, neg, p = sign_test([0.3, -1.0, 0.0, 2.0, 5.0, 0.0, 1.0])
    assert (pos, neg) == (4, 1) and p == pytest.approx(binomial_two_sided_p(4, 5)) and p == 0.375
