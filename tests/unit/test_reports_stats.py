"""xsell.reporting.stats against textbook values (no scipy: the numbers are the tables')."""

from __future__ import annotations

import math

import pytest

from xsell.reporting import stats


@pytest.mark.parametrize(
    ("statistic", "dof", "p"),
    [
        (3.841458820694124, 1, 0.05),  # chi-square table, 95 % critical values
        (5.991464547107979, 2, 0.05),
        (11.344866730144373, 3, 0.01),
        (10.827566170662733, 1, 0.001),
        (18.307038053275146, 10, 0.05),
        (0.0, 4, 1.0),
    ],
)
def test_chi_square_tail(statistic, dof, p):
    assert stats.chi2_sf(statistic, dof) == pytest.approx(p, rel=1e-9, abs=1e-12)


def test_z_test_and_wald_interval():
    # 200/1000 vs 250/1000: pooled p = 0.225, z = 0.05 / sqrt(0.225 * 0.775 * 2/1000) = 2.6774
    assert stats.two_proportion_p(200, 1000, 250, 1000) == pytest.approx(2 * (1 - 0.996291), abs=2e-5)
    diff, low, high = stats.absolute_lift(200, 1000, 250, 1000)
    se = math.sqrt(0.2 * 0.8 / 1000 + 0.25 * 0.75 / 1000)
    assert (diff, low, high) == pytest.approx((0.05, 0.05 - 1.959964 * se, 0.05 + 1.959964 * se), abs=1e-6)
    assert stats.two_sided_p(1.959963984540054) == pytest.approx(0.05)


def test_relative_lift_delta_and_log_ratio():
    rel, low, high, method = stats.relative_lift(200, 1000, 250, 1000)
    assert method == "delta" and rel == pytest.approx(0.25)
    se = 1.25 * math.sqrt(0.75 / 250 + 0.8 / 200)
    assert (low, high) == pytest.approx((0.25 - 1.959964 * se, 0.25 + 1.959964 * se), abs=1e-6)
    # Small rates: the interval is asymmetric on the ratio scale (log-ratio).
    rel, low, high, method = stats.relative_lift(20, 10000, 30, 10000)
    assert method == "log-ratio" and rel == pytest.approx(0.5)
    se_log = math.sqrt((1 - 0.003) / 30 + (1 - 0.002) / 20)
    assert low == pytest.approx(math.exp(math.log(1.5) - 1.959964 * se_log) - 1, abs=1e-6)
    assert high == pytest.approx(math.exp(math.log(1.5) + 1.959964 * se_log) - 1, abs=1e-6)
    assert (high - rel) > (rel - low)
    assert stats.relative_lift(0, 100, 3, 100)[3] == "undefined"


def test_chance_to_beat_control():
    assert stats.chance_to_beat(50, 1000, 50, 1000) == pytest.approx(0.5, abs=1e-9)
    # Exact sum and the normal approximation agree where both apply.
    exact = stats.chance_to_beat(200, 1000, 230, 1000)
    a_c, b_c, a_t, b_t = 201, 801, 231, 771
    m_c, m_t = a_c / (a_c + b_c), a_t / (a_t + b_t)
    v_c = a_c * b_c / ((a_c + b_c) ** 2 * (a_c + b_c + 1))
    v_t = a_t * b_t / ((a_t + b_t) ** 2 * (a_t + b_t + 1))
    approx = stats.NormalDist().cdf((m_t - m_c) / math.sqrt(v_c + v_t))
    assert exact == pytest.approx(approx, abs=0.003)
    assert 0.94 < exact < 0.96
    assert stats.chance_to_beat(30, 100, 10, 100) < 0.001


def test_sample_ratio_mismatch():
    chi2, p = stats.srm([5000, 5000], [1, 1])
    assert chi2 == 0 and p == pytest.approx(1.0)
    chi2, p = stats.srm([5200, 4800], [1, 1])  # chi2 = 2 * 200^2 / 5000 = 16
    assert chi2 == pytest.approx(16.0) and p == pytest.approx(6.334e-5, rel=1e-3) and p < stats.SRM_ALPHA
    chi2, p = stats.srm([6000, 3000, 1000], [6, 3, 1])
    assert chi2 == 0
    assert stats.srm([10], [1]) == (0.0, None)


def test_compare_and_mean_difference():
    result = stats.compare(100, 1000, 150, 1000)
    assert result.rate_control == 0.1 and result.rate_treatment == 0.15
    assert result.p_value < 0.001 and result.chance_to_beat > 0.99
    assert stats.compare(1, 0, 1, 10) is None
    # Means 2 and 3 from sums and sums of squares: var = 1 in both arms of 100.
    diff, low, high = stats.mean_difference(200, 100 * 4 + 99, 100, 300, 100 * 9 + 99, 100)
    se = math.sqrt(1 / 100 + 1 / 100)
    assert (diff, low, high) == pytest.approx((1.0, 1 - 1.959964 * se, 1 + 1.959964 * se), abs=1e-5)
