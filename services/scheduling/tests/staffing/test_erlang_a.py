"""Erlang A against an independent computation: the truncated birth-death chain of M/M/n+M."""

from __future__ import annotations

import math

import numpy as np
import pytest

from opticall_scheduling.staffing.erlang_a import erlang_a_metrics, staff_erlang_a
from opticall_scheduling.staffing.erlang_c import erlang_c_metrics


def chain(n: int, lam: float, aht: float, patience: float) -> tuple[float, float, float]:
    """P(wait), P(abandon), mean wait of answered contacts, from the chain's stationary law.

    The ASA uses the stage argument independently of the module under test: a caller who
    finds m waiting moves up at rate nμ + iθ with i ahead, and is answered if patience lasts.
    """
    mu, theta = 1 / aht, 1 / patience
    size = n + 20_000
    log_p = np.zeros(size)
    for k in range(1, size):
        rate = min(k, n) * mu + max(k - n, 0) * theta
        log_p[k] = log_p[k - 1] + math.log(lam) - math.log(rate)
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    p_wait = float(p[n:].sum())
    queue = float(sum((k - n) * p[k] for k in range(n, size)))
    p_ab = theta * queue / lam
    wait_answered = 0.0
    for m in range(0, 3000):
        rates = n * mu + theta * np.arange(m + 1)
        served = float(np.prod(rates / (rates + theta)))
        wait_answered += p[n + m] * served * float(np.sum(1 / (rates + theta)))
    return p_wait, p_ab, wait_answered / (1 - p_ab)


@pytest.mark.parametrize(
    ("n", "lam", "aht", "patience"),
    [(12, 100 / 1800, 180, 120), (3, 3.5 / 100, 100, 60), (50, 0.3, 180, 300), (8, 0.2, 60, 30)],
)
def test_matches_birth_death_chain(n: int, lam: float, aht: float, patience: float) -> None:
    p_wait, p_ab, asa = chain(n, lam, aht, patience)
    m = erlang_a_metrics(n, lam, aht, patience, 20)
    assert m.p_wait == pytest.approx(p_wait, rel=1e-7)
    assert m.abandonment == pytest.approx(p_ab, rel=1e-6)
    assert m.asa_seconds == pytest.approx(asa, rel=1e-6)
    assert m.occupancy == pytest.approx(lam * aht * (1 - p_ab) / n, rel=1e-6)


def test_service_level_at_zero_threshold_is_no_wait() -> None:
    m = erlang_a_metrics(12, 100 / 1800, 180, 120, 0.0)
    assert m.service_level == pytest.approx(1 - m.p_wait, abs=1e-12)


def test_patient_callers_reduce_to_erlang_c() -> None:
    a = erlang_a_metrics(14, 100 / 1800, 180, 1e8, 20)
    c = erlang_c_metrics(14, 10.0, 180, 20)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-5)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-5)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-4)


def test_overload_serves_what_agents_can() -> None:
    # 180 Erlangs on 5 agents: they serve 5 Erlangs' worth, the rest hang up.
    m = erlang_a_metrics(5, 1.0, 180, 60, 20)
    assert m.abandonment == pytest.approx(1 - 5 / 180, rel=1e-6)
    assert m.occupancy == pytest.approx(1.0)


def test_stable_at_two_thousand_agents() -> None:
    lam, aht, patience = 2000 / 180 * 0.97, 180.0, 90.0
    m = staff_erlang_a(lam, aht, patience, 20, 0.9, 1.0)
    assert 1500 < m.agents < 2100
    assert m.service_level >= 0.9
    assert erlang_a_metrics(m.agents - 1, lam, aht, patience, 20).service_level < 0.9
    for v in (m.p_wait, m.abandonment, m.asa_seconds, m.occupancy):
        assert v is not None and math.isfinite(v)


def test_staffing_is_minimal_and_needs_fewer_than_erlang_c() -> None:
    lam, aht = 400 / 1800, 240.0
    a = staff_erlang_a(lam, aht, 120, 20, 0.8, 1.0)
    assert a.service_level >= 0.8
    assert erlang_a_metrics(a.agents - 1, lam, aht, 120, 20).service_level < 0.8
    c = erlang_c_metrics(a.agents, lam * aht, aht, 20)
    assert c.service_level < a.service_level  # abandonment shortens the queue
