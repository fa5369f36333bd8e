"""``POST /predict``: one synchronous forecast, fitted in the model pool."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from opticall_common.app import ORJSONResponse
from opticall_forecasting.deps import Pool, SettingsDep, Staff, unprocessable
from opticall_forecasting.fitting import fit_prophet
from opticall_forecasting.predict import Limits, build_spec, rows
from opticall_forecasting.schemas import PredictPoint
from opticall_forecasting.series import SeriesError

router = APIRouter(tags=["forecasting"])

EXAMPLE = [{"ds": "2025-01-01", "y": 150}, {"ds": "2025-01-02", "y": 170}]


@router.post(
    "/predict",
    response_model=list[PredictPoint],
    summary="Forecast a series",
    description=(
        "Body: a list of `{ds, y}` points, or an object `{history, periods, freq, future, "
        "country}` (explicit `future` timestamps for business-hours series). Returns one row "
        "per period after the last `ds`. `freq` is inferred from `ds` when absent."
    ),
)
async def predict(
    _: Staff,
    settings: SettingsDep,
    pool: Pool,
    body: Annotated[Any, Body(examples=[EXAMPLE])],
    periods: Annotated[int | None, Query(description="How many steps ahead (default 7)")] = None,
    freq: Annotated[str | None, Query(max_length=16, description="e.g. D, h, 30min")] = None,
    country: Annotated[
        str | None, Query(max_length=8, description="Holidays of this country (ISO code)")
    ] = None,
) -> ORJSONResponse:
    limits = Limits(
        max_points=settings.max_points,
        max_periods=settings.max_periods,
        uncertainty_samples=settings.uncertainty_samples,
        default_country=settings.default_country,
    )
    try:
        spec, _freq = build_spec(body, periods, freq, country, limits)
    except SeriesError as exc:
        raise unprocessable(exc) from exc
    forecast = await pool.run(fit_prophet, spec)
    # Rows are built finite and typed already: skip FastAPI's response re-validation.
    return ORJSONResponse(rows(spec, forecast))
