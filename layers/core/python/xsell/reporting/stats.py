"""The statistics of the A/B and holdout reports, in pure Python (the standard library only).

Every rate here is a share of customers (the unit decide randomises): ``x`` successes of ``n``.

- absolute lift: p_t - p_c with a Wald (unpooled) interval;
- relative lift: p_t / p_c - 1, by the delta method, or as a log-ratio interval
  (exp(log(p_t/p_c) +- z se)) when a rate is small (< 10 %) or has few successes, where the
  delta interval is too symmetric to be right;
- p-value: the two-sided pooled two-proportion z-test;
- chance to beat control: P(p_t > p_c) under Beta(1 + x, 1 + n - x) posteriors (exact sum for
  moderate counts, normal approximation beyond);
- sample ratio mismatch: Pearson's chi-square of the customers per variant against the
  configured weights; a warning below p = 0.001.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

_N = NormalDist()
SRM_ALPHA = 0.001
SMALL_RATE = 0.10
SMALL_COUNT = 10
_EXACT_LIMIT = 5000  # successes of the treatment up to which chance-to-beat is summed exactly


def z_value(confidence: float = 0.95) -> float:
    return _N.inv_cdf(0.5 + confidence / 2)


def two_sided_p(z: float) -> float:
    return 2 * (1 - _N.cdf(abs(z)))


def two_proportion_p(x_c: int, n_c: int, x_t: int, n_t: int) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when undefined."""
    if n_c <= 0 or n_t <= 0:
        return None
    pooled = (x_c + x_t) / (n_c + n_t)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    if se == 0:
        return None
    return two_sided_p((x_t / n_t - x_c / n_c) / se)


def absolute_lift(
    x_c: int, n_c: int, x_t: int, n_t: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """p_t - p_c and its Wald interval (unpooled variance)."""
    p_c, p_t = x_c / n_c, x_t / n_t
    se = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    z = z_value(confidence)
    diff = p_t - p_c
    return diff, diff - z * se, diff + z * se


def relative_lift(
    x_c: int, n_c: int, x_t: int, n_t: int, confidence: float = 0.95
) -> tuple[float | None, float | None, float | None, str]:
    """p_t / p_c - 1 with its interval and the method used ('delta' or 'log-ratio')."""
    p_c, p_t = x_c / n_c, x_t / n_t
    if x_c == 0 or x_t == 0:
        return (None if x_c == 0 else -1.0), None, None, "undefined"
    ratio = p_t / p_c
    z = z_value(confidence)
    small = min(p_c, p_t) < SMALL_RATE or min(x_c, x_t) < SMALL_COUNT
    if small:
        se_log = math.sqrt((1 - p_t) / x_t + (1 - p_c) / x_c)
        return (
            ratio - 1,
            math.exp(math.log(ratio) - z * se_log) - 1,
            math.exp(math.log(ratio) + z * se_log) - 1,
            ("log-ratio"),
        )
    se = ratio * math.sqrt((1 - p_t) / (n_t * p_t) + (1 - p_c) / (n_c * p_c))
    return ratio - 1, ratio - 1 - z * se, ratio - 1 + z * se, "delta"


def _log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def chance_to_beat(x_c: int, n_c: int, x_t: int, n_t: int) -> float:
    """P(p_t > p_c) with uniform priors: Beta(1 + x, 1 + n - x) posteriors."""
    a_c, b_c, a_t, b_t = 1 + x_c, 1 + n_c - x_c, 1 + x_t, 1 + n_t - x_t
    if a_t <= _EXACT_LIMIT:
        # Evan Miller's closed form: sum over i < a_t of
        # B(a_c+i, b_c+b_t) / ((b_t+i) B(1+i, b_t) B(a_c, b_c)).
        total = 0.0
        for i in range(a_t):
            total += math.exp(
                _log_beta(a_c + i, b_c + b_t)
                - math.log(b_t + i)
                - _log_beta(1 + i, b_t)
                - _log_beta(a_c, b_c)
            )
        return min(1.0, max(0.0, total))
    mean_c, mean_t = a_c / (a_c + b_c), a_t / (a_t + b_t)
    var_c = a_c * b_c / ((a_c + b_c) ** 2 * (a_c + b_c + 1))
    var_t = a_t * b_t / ((a_t + b_t) ** 2 * (a_t + b_t + 1))
    return _N.cdf((mean_t - mean_c) / math.sqrt(var_c + var_t))


def _gamma_q(a: float, x: float) -> float:
    """The regularised upper incomplete gamma function Q(a, x) (series / continued fraction)."""
    if x <= 0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:  # series for P, then Q = 1 - P
        term = total = 1 / a
        ap = a
        for _ in range(10_000):
            ap += 1
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1 - total * math.exp(log_prefix))
    # Lentz's continued fraction for Q.
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def chi2_sf(statistic: float, dof: int) -> float:
    """P(X >= statistic) for X ~ chi-square with ``dof`` degrees of freedom."""
    return _gamma_q(dof / 2, statistic / 2)


def srm(observed: Sequence[int], weights: Sequence[float]) -> tuple[float, float | None]:
    """Pearson's chi-square of ``observed`` against shares proportional to ``weights``: (chi2, p)."""
    total, weight = sum(observed), sum(weights)
    if total == 0 or weight <= 0 or len(observed) < 2:
        return 0.0, None
    chi2 = 0.0
    for count, w in zip(observed, weights, strict=True):
        expected = total * w / weight
        if expected > 0:
            chi2 += (count - expected) ** 2 / expected
    return chi2, chi2_sf(chi2, len(observed) - 1)


@dataclass(frozen=True)
class Comparison:
    rate_control: float
    rate_treatment: float
    absolute_lift: float
    absolute_low: float
    absolute_high: float
    relative_lift: float | None
    relative_low: float | None
    relative_high: float | None
    relative_method: str
    p_value: float | None
    chance_to_beat: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compare(x_c: int, n_c: int, x_t: int, n_t: int, confidence: float = 0.95) -> Comparison | None:
    """Treatment against control; None when an arm has no customers."""
    if n_c <= 0 or n_t <= 0:
        return None
    diff, low, high = absolute_lift(x_c, n_c, x_t, n_t, confidence)
    rel, rel_low, rel_high, method = relative_lift(x_c, n_c, x_t, n_t, confidence)
    return Comparison(
        rate_control=x_c / n_c,
        rate_treatment=x_t / n_t,
        absolute_lift=diff,
        absolute_low=low,
        absolute_high=high,
        relative_lift=rel,
        relative_low=rel_low,
        relative_high=rel_high,
        relative_method=method,
        p_value=two_proportion_p(x_c, n_c, x_t, n_t),
        chance_to_beat=chance_to_beat(x_c, n_c, x_t, n_t),
    )


def mean_difference(
    sum_c: float, sq_c: float, n_c: int, sum_t: float, sq_t: float, n_t: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Difference of per-customer means (treatment - control) with a Welch interval, from each arm's
    sum and sum of squares."""
    mean_c, mean_t = sum_c / n_c, sum_t / n_t
    var_c = max(0.0, (sq_c - n_c * mean_c**2) / (n_c - 1)) if n_c > 1 else 0.0
    var_t = max(0.0, (sq_t - n_t * mean_t**2) / (n_t - 1)) if n_t > 1 else 0.0
    se = math.sqrt(var_c / n_c + var_t / n_t)
    z = z_value(confidence)
    diff = mean_t - mean_c
    return diff, diff - z * se, diff + z * se
