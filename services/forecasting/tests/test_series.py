"""Series validation and frequency inference for /predict."""

from __future__ import annotations

import pytest

from opticall_forecasting.series import SeriesError, infer_freq, normalize_freq, parse_points
from opticall_forecasting.specs import Limits, build_predict

LIMITS = Limits(max_points=100, max_periods=50, uncertainty_samples=10)


def points(n: int, freq: str, start: str = "2025-01-01") -> list[dict[str, object]]:
    import pandas as pd

    return [
        {"ds": ts.isoformat(), "y": float(i)}
        for i, ts in enumerate(pd.date_range(start, periods=n, freq=freq))
    ]


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("D", "D"), ("h", "h"), ("30min", "30min"), ("15min", "15min"), ("5min", "5min")],
)
def test_frequency_is_inferred_from_ds(freq: str, expected: str) -> None:
    series = parse_points(points(10, freq), "body", 100)
    assert infer_freq(series.ds) == expected


def test_two_points_infer_their_gap() -> None:
    series = parse_points([{"ds": "2025-01-01", "y": 150}, {"ds": "2025-01-02", "y": 170}], "b", 9)
    assert infer_freq(series.ds) == "D"


def test_business_hours_gaps_infer_the_common_step() -> None:
    day1 = points(8, "h", "2025-01-06T09:00:00")
    day2 = points(8, "h", "2025-01-07T09:00:00")
    series = parse_points(day1 + day2, "body", 100)
    assert infer_freq(series.ds) == "h"


def test_seed_example_gives_seven_daily_periods() -> None:
    request = build_predict(
        [{"ds": "2025-01-01", "y": 150}, {"ds": "2025-01-02", "y": 170}],
        None,
        None,
        None,
        None,
        LIMITS,
    )
    spec = request.spec
    assert request.freq == "D"
    assert request.model == "prophet" and not request.backtest
    assert len(spec.future) == 7
    assert str(spec.future[0])[:10] == "2025-01-03"


def test_object_form_takes_explicit_future() -> None:
    body = {"history": points(5, "h"), "future": ["2025-01-02T09:00:00Z", "2025-01-02T10:00Z"]}
    spec = build_predict(body, None, None, None, None, LIMITS).spec
    assert [str(t)[:16] for t in spec.future] == ["2025-01-02T09:00", "2025-01-02T10:00"]


def test_offsets_are_converted_to_utc() -> None:
    series = parse_points(
        [{"ds": "2025-01-01T10:00:00+02:00", "y": 1}, {"ds": "2025-01-01T09:00:00Z", "y": 2}],
        "body",
        9,
    )
    assert [str(t) for t in series.ds] == ["2025-01-01 08:00:00", "2025-01-01 09:00:00"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"ds": "2025-01-01", "y": 1}], "body"),
        ([{"ds": "2025-01-01", "y": 1}, {"ds": "2025-01-01", "y": 2}], "body[1].ds"),
        ([{"ds": "yesterday", "y": 1}, {"ds": "2025-01-01", "y": 2}], "body[0].ds"),
        ([{"ds": "2025-01-01", "y": "many"}, {"ds": "2025-01-02", "y": 2}], "body[0].y"),
        ([{"ds": "2025-01-01", "y": True}, {"ds": "2025-01-02", "y": 2}], "body[0].y"),
        ([{"ds": "2025-01-01", "y": "NaN"}, {"ds": "2025-01-02", "y": 2}], "body[0].y"),
        ([{"ds": "2025-01-01"}, {"ds": "2025-01-02", "y": 2}], "body[0].y"),
        (points(101, "h"), "body"),
        ({"history": points(3, "h"), "periods": 51}, "body.periods"),
        ({"history": points(3, "h"), "freq": "fortnightly"}, "freq"),
        ({"history": points(3, "h"), "future": ["not a time"]}, "body.future[0]"),
        ({"periods": 3}, "body.history"),
        ("just text", "body"),
    ],
)
def test_bad_input_names_the_field(body: object, field: str) -> None:
    with pytest.raises(SeriesError) as info:
        build_predict(body, None, None, None, None, LIMITS)
    assert info.value.field == field


def test_too_large_horizon_in_query_is_refused() -> None:
    with pytest.raises(SeriesError) as info:
        build_predict(points(3, "D"), 51, None, None, None, LIMITS)
    assert info.value.field == "periods"


def test_unknown_country_is_refused() -> None:
    with pytest.raises(SeriesError) as info:
        build_predict(points(3, "D"), 3, None, "XX", None, LIMITS)
    assert info.value.field == "country"


@pytest.mark.parametrize(("given", "expected"), [("H", "h"), ("15T", "15min"), ("1D", "D")])
def test_old_frequency_aliases_are_accepted(given: str, expected: str) -> None:
    assert normalize_freq(given) == expected


def test_business_hours_gaps_infer_the_step_whatever_the_index_unit() -> None:
    import pandas as pd

    stamps = [f"2025-01-06T{h:02d}:{m:02d}" for h in range(7, 21) for m in (0, 30)]
    stamps += [f"2025-01-07T{h:02d}:{m:02d}" for h in range(7, 21) for m in (0, 30)]
    # Rows read from the database become a microsecond index.
    ds = pd.DatetimeIndex(pd.to_datetime(stamps).to_pydatetime()).as_unit("us")
    assert infer_freq(ds) == "30min"
