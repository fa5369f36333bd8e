"""Erlang A (Palm's M/M/n+M): Erlang C plus callers who hang up after an exponential patience.

Notation of Mandelbaum & Zeltyn ("The Palm/Erlang-A queue, with applications to call
centers", 2007; Garnett, Mandelbaum & Reiman 2002): arrival rate λ, service rate μ,
abandonment rate θ = 1/patience, ``x = nμ/θ``, ``y = λ/θ`` and

    A(x, y) = Σ_{m≥0} y^m / ((x+1)(x+2)…(x+m)) = x·e^y·y^(-x)·lowergamma(x, y),

so the state probabilities above ``n`` are ``π_{n+m} = π_n·T_m`` with ``T_m`` the m-th term, and
``π_n = B / (1 - B + A·B)`` with B the Erlang B blocking probability. From there:

* P(wait) = π_n·A(x, y) (PASTA);
* the offered wait V has density ``nμ·π_n·exp(y(1-e^{-θv}) - nμv)`` on v > 0; a caller is
  answered iff their patience exceeds V, so P(answered, 0 < V ≤ t) integrates ``e^{-θv}``
  against it, which is the same shape with x → x+1:
  ``π_n·x/(x+1)·[A(x+1, y) - e^{y - y_t - θt(x+1)}·A(x+1, y_t)]`` with ``y_t = y·e^{-θt}``;
* a caller who finds m others waiting has V = Σ_{i=0..m} Exp(nμ + iθ), whence
  ``E[V·e^{-θV}] = π_n/θ · Σ_m T_m · x/(x+m+1) · (ψ(x+m+2) - ψ(x+1))`` for the true ASA of
  answered calls.

Every sum is taken in log space over the window of terms that matter (the terms peak at
``m ≈ y - x`` and fall off within a few ``√y``), so nothing overflows at thousands of agents or
at heavy overload.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.special import digamma, gammaln, logsumexp

from opticall_scheduling.staffing.erlang_c import QueueMetrics, erlang_b

# Terms this far below the peak (in log) cannot move a float64 sum.
_TAIL_SIGMAS = 12.0
_TAIL_PAD = 60


def _window(x: float, y: float) -> NDArray[np.float64]:
    peak = max(0.0, y - x)
    spread = _TAIL_SIGMAS * math.sqrt(y + 1.0) + _TAIL_PAD
    lo = max(0, math.floor(peak - spread))
    hi = math.ceil(peak + spread)
    return np.arange(lo, hi + 1, dtype=np.float64)


def _log_terms(x: float, y: float, m: NDArray[np.float64]) -> NDArray[np.float64]:
    """log T_m = m·log y - log Γ(x+m+1) + log Γ(x+1)."""
    return np.asarray(m * math.log(y) - gammaln(x + m + 1.0) + gammaln(x + 1.0))


def log_a(x: float, y: float) -> float:
    """log A(x, y)."""
    if y <= 0:
        return 0.0
    m = _window(x, y)
    return float(logsumexp(_log_terms(x, y, m)))


def erlang_a_metrics(
    agents: int, volume_rate: float, aht: float, patience: float, answer_seconds: float
) -> QueueMetrics:
    """Measures of M/M/n+M; ``volume_rate`` in contacts per second, times in seconds.

    ``service_level`` is the share of all offered contacts answered within ``answer_seconds``
    (abandoned ones count as missed); ``asa_seconds`` is the mean wait of answered contacts.
    """
    load = volume_rate * aht
    if volume_rate <= 0:
        return QueueMetrics(agents, 1.0, 0.0, 0.0, 0.0, 0.0)
    if agents <= 0:
        return QueueMetrics(agents, 0.0, None, 1.0, 1.0, 1.0)
    theta = 1.0 / patience
    x = agents / aht / theta
    y = volume_rate / theta
    b = erlang_b(agents, load)
    if b <= 0.0:  # so many agents that nobody ever waits (B underflowed)
        return QueueMetrics(agents, 1.0, 0.0, load / agents, 0.0, 0.0)
    la = log_a(x, y)
    log_pi_n = math.log(b) - float(np.logaddexp(math.log1p(-b), la + math.log(b)))
    p_wait = math.exp(log_pi_n + la)
    log_ratio = math.log(x) - math.log(x + 1.0)
    served_after_wait = math.exp(log_pi_n + log_ratio + log_a(x + 1.0, y))
    p_abandon = min(1.0, max(0.0, p_wait - served_after_wait))
    y_t = y * math.exp(-theta * answer_seconds)
    late = math.exp(
        log_pi_n + log_ratio + (y - y_t - theta * answer_seconds * (x + 1.0)) + log_a(x + 1.0, y_t)
    )
    sl = (1.0 - p_wait) + max(0.0, served_after_wait - late)
    p_served = 1.0 - p_abandon
    asa = _wait_of_answered(x, y, theta, log_pi_n) / p_served if p_served > 0 else None
    occupancy = min(1.0, load * p_served / agents)
    return QueueMetrics(agents, min(1.0, max(0.0, sl)), asa, occupancy, p_wait, p_abandon)


def _wait_of_answered(x: float, y: float, theta: float, log_pi_n: float) -> float:
    """E[V·1{answered}] = E[V·e^{-θV}] over all arrivals (zero for those not waiting)."""
    m = _window(x, y)
    log_w = _log_terms(x, y, m) + math.log(x) - np.log(x + m + 1.0)
    harmonic = digamma(x + m + 2.0) - digamma(x + 1.0)
    return float(math.exp(log_pi_n + float(logsumexp(log_w, b=harmonic))) / theta)


def staff_erlang_a(
    volume_rate: float,
    aht: float,
    patience: float,
    answer_seconds: float,
    service_level: float,
    max_occupancy: float,
) -> QueueMetrics:
    """Fewest agents whose service level and occupancy meet the targets (both are monotone in
    the number of agents, so a doubling search then bisection finds it in O(log n) steps)."""
    if volume_rate <= 0:
        return erlang_a_metrics(0, volume_rate, aht, patience, answer_seconds)

    def ok(n: int) -> QueueMetrics | None:
        m = erlang_a_metrics(n, volume_rate, aht, patience, answer_seconds)
        return m if m.service_level >= service_level and m.occupancy <= max_occupancy else None

    hi = max(1, math.ceil(volume_rate * aht))
    best = ok(hi)
    while best is None:
        hi *= 2
        best = ok(hi)
    lo = 0  # known not to satisfy (0 agents answer nobody)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        found = ok(mid)
        if found is None:
            lo = mid
        else:
            hi, best = mid, found
    return best
