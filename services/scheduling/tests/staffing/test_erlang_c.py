"""Erlang C: the canonical case, equality with pyworkforce, stability at 2,000 agents."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pyworkforce.queuing import ErlangC
from scipy.stats import poisson

from opticall_scheduling.staffing.erlang_c import (
    erlang_b,
    erlang_c_metrics,
    productive_agents,
    staff_erlang_c,
    with_shrinkage,
)
from opticall_scheduling.staffing.schemas import (
    EvaluateInterval,
    EvaluateRequest,
    StaffingInterval,
    StaffingRequest,
)
from opticall_scheduling.staffing.service import evaluate, required_staff

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def request(volume: float, aht: float, **params: object) -> StaffingRequest:
    return StaffingRequest.model_validate(
        {
            "interval_minutes": 30,
            "service_level": 0.8,
            "answer_seconds": 20,
            "max_occupancy": 0.85,
            "shrinkage": 0.3,
            **params,
            "intervals": [{"start": T0, "volume": volume, "aht_seconds": aht}],
        }
    )


def test_canonical_case() -> None:
    req = request(100, 180)
    [r] = required_staff(req, req.intervals)
    assert (r.agents_raw, r.agents_required) == (14, 20)
    assert r.service_level == pytest.approx(0.88835, abs=1e-5)
    assert r.occupancy == pytest.approx(10 / 14)
    assert r.p_wait == pytest.approx(0.174132, abs=1e-6)
    # True ASA = P(wait) · AHT / (n - A): 0.1741 · 180 / 4.
    assert r.asa_seconds == pytest.approx(r.p_wait * 180 / 4)


def test_occupancy_cap_binds() -> None:
    # 1,000 calls of 180 s in 30 minutes: 100 Erlangs; the SL alone needs ~107 agents.
    req = request(1000, 180, max_occupancy=0.85, shrinkage=0.0)
    [r] = required_staff(req, req.intervals)
    assert r.agents_raw == math.ceil(100 / 0.85) == 118
    assert r.occupancy <= 0.85


def test_zero_volume_needs_nobody() -> None:
    req = request(0, 180)
    [r] = required_staff(req, req.intervals)
    assert (r.agents_raw, r.agents_required, r.service_level, r.occupancy) == (0, 0, 1.0, 0.0)


def test_erlang_b_matches_poisson_ratio() -> None:
    # B(n, a) = P(X = n) / P(X ≤ n) for X ~ Poisson(a): an independent, stable formula.
    for n, a in [(1, 0.5), (10, 7.3), (150, 140.0), (2000, 1950.0)]:
        expected = poisson.pmf(n, a) / poisson.cdf(n, a)
        assert erlang_b(n, a) == pytest.approx(expected, rel=1e-9)


def test_stable_at_two_thousand_agents() -> None:
    aht = 300.0
    load = 1900.0  # 11,400 calls per 30 minutes
    [m] = staff_erlang_c(np.array([load]), np.array([aht]), 20.0, 0.8, 1.0)
    assert load < m.agents < load * 1.05
    assert 0.8 <= m.service_level < 1
    assert all(math.isfinite(v) for v in (m.p_wait, m.asa_seconds or 0.0, m.occupancy))
    below = erlang_c_metrics(m.agents - 1, load, aht, 20.0)
    assert below.service_level < 0.8  # truly the fewest
    # P(wait) at 2,000 agents against the Poisson form of Erlang B.
    b = poisson.pmf(2000, load) / poisson.cdf(2000, load)
    p_wait = 2000 * b / (2000 - load * (1 - b))
    assert erlang_c_metrics(2000, load, aht, 20.0).p_wait == pytest.approx(p_wait, rel=1e-9)


def test_shrinkage_rounding_is_exact() -> None:
    assert with_shrinkage(14, 0.3) == 20
    assert with_shrinkage(7, 0.3) == 10  # 7 / 0.7 is 10.000000000000002 in binary
    assert productive_agents(20, 0.3) == 14  # 20 * 0.7 is 13.999999999999998
    assert productive_agents(with_shrinkage(33, 0.17), 0.17) >= 33


def _grid() -> list[tuple[float, float, int, float, float, float, float]]:
    rnd = random.Random(20260302)
    cases = []
    for _ in range(300):
        cases.append(
            (
                float(rnd.randint(1, 3000)),  # contacts per interval
                rnd.uniform(30, 900),  # AHT seconds
                rnd.choice([15, 30, 60]),
                rnd.uniform(0.5, 0.95),  # service level target
                float(rnd.choice([10, 15, 20, 30, 60])),  # answer seconds
                rnd.choice([1.0, rnd.uniform(0.7, 1.0)]),  # occupancy cap
                rnd.choice([0.0, rnd.uniform(0.05, 0.45)]),  # shrinkage
            )
        )
    return cases


def test_equals_pyworkforce_on_random_grid() -> None:
    """Same agents, service level, occupancy and P(wait) as pyworkforce's ErlangC.

    Two known pyworkforce quirks are accounted for, not papered over: it starts its search at
    ``round(A + 1)`` and so can miss ``floor(A) + 1`` agents when A's fraction is ≥ 0.5, and it
    rounds ``raw / (1 - shrinkage)`` up without tolerance, so 7 / 0.7 = 10.000000000000002
    becomes 11. Both are counted and must stay rare.
    """
    quirks = 0
    cases = _grid()
    for volume, aht, minutes, sl, answer, occ, shrink in cases:
        start = T0
        req = StaffingRequest.model_validate(
            {
                "interval_minutes": minutes,
                "service_level": sl,
                "answer_seconds": answer,
                "max_occupancy": occ,
                "shrinkage": shrink,
                "intervals": [{"start": start, "volume": volume, "aht_seconds": aht}],
            }
        )
        [ours] = required_staff(req, req.intervals)
        theirs = ErlangC(
            transactions=volume, aht=aht / 60, asa=answer / 60, interval=minutes, shrinkage=shrink
        ).required_positions(service_level=sl, max_occupancy=occ)
        load = volume / minutes * aht / 60
        if ours.agents_raw != theirs["raw_positions"]:
            assert ours.agents_raw == math.floor(load) + 1 < round(load + 1)
            quirks += 1
            continue
        if ours.agents_required != theirs["positions"]:
            assert theirs["positions"] == ours.agents_required + 1
            assert ours.agents_required * (1 - shrink) >= ours.agents_raw - 1e-9
            quirks += 1
        assert ours.service_level == pytest.approx(theirs["service_level"], rel=1e-9, abs=1e-12)
        assert ours.occupancy == pytest.approx(theirs["occupancy"], rel=1e-12)
        assert ours.p_wait == pytest.approx(theirs["waiting_probability"], rel=1e-9, abs=1e-12)
    assert quirks <= len(cases) // 50


def test_evaluate_round_trip() -> None:
    rnd = random.Random(7)
    intervals = [
        StaffingInterval(
            start=T0 + timedelta(minutes=30 * i),
            volume=float(rnd.randint(0, 800)),
            aht_seconds=rnd.uniform(60, 600),
        )
        for i in range(48)
    ]
    req = StaffingRequest(
        service_level=0.85, answer_seconds=30, max_occupancy=0.9, shrinkage=0.25,
        intervals=intervals,
    )  # fmt: skip
    staffed = required_staff(req, intervals)
    ev = evaluate(
        EvaluateRequest(
            service_level=0.85,
            answer_seconds=30,
            max_occupancy=0.9,
            shrinkage=0.25,
            intervals=[
                EvaluateInterval(**iv.model_dump(), agents=r.agents_required)
                for iv, r in zip(intervals, staffed, strict=True)
            ],
        )
    )
    for r, e in zip(staffed, ev, strict=True):
        assert e.agents_productive == r.agents_raw
        assert e.service_level == pytest.approx(r.service_level)
        assert e.meets_target
    # One agent fewer on the phones misses the target wherever the SL (not the cap) bound.
    fewer = evaluate(
        EvaluateRequest(
            service_level=0.85,
            answer_seconds=30,
            max_occupancy=1.0,
            intervals=[
                EvaluateInterval(**iv.model_dump(), agents=r.agents_raw - 1)
                for iv, r in zip(intervals, staffed, strict=True)
                if r.agents_raw > 0
            ],
        )
    )
    assert any(not e.meets_target for e in fewer)
