"""``POST /predict``: one synchronous forecast, fitted in the model pool."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from opticall_common.app import ORJSONResponse
from opticall_common.problems import Problem
from opticall_forecasting.deps import Pool, SettingsDep, Staff, unprocessable
from opticall_forecasting.engine import MODEL_NAMES, forecast
from opticall_forecasting.schemas import PredictPoint
from opticall_forecasting.series import SeriesError
from opticall_forecasting.specs import build_predict, limits_from, rows

router = APIRouter(tags=["forecasting"])

EXAMPLE = [{"ds": "2025-01-01", "y": 150}, {"ds": "2025-01-02", "y": 170}]
MODEL_HEADER = "X-Forecast-Model"
WAPE_HEADER = "X-Forecast-Backtest-WAPE"
MODEL_HELP = (
    f"One of {', '.join(MODEL_NAMES)}. The list body defaults to prophet (not backtested, "
    "for speed), the object body to auto (chosen by rolling-origin backtest)."
)


@router.post(
    "/predict",
    response_model=list[PredictPoint],
    summary="Forecast a series",
    description=(
        "Body: a list of `{ds, y}` points, or an object `{history, periods, freq, future, "
        "country, model, open_hours}` (explicit `future` timestamps or weekly `open_hours` "
        "for business-hours series). Returns one row per forecast interval. `freq` is inferred "
        f"from `ds` when absent. The `{MODEL_HEADER}` response header names the model used "
        f"(`median_top3`/`weighted_top3` for combinations) and `{WAPE_HEADER}` its "
        "rolling-origin backtest WAPE when one ran."
    ),
    responses={
        200: {
            "headers": {
                MODEL_HEADER: {"description": "The model used", "schema": {"type": "string"}},
                WAPE_HEADER: {
                    "description": "Its backtest WAPE (absent when not backtested)",
                    "schema": {"type": "number"},
                },
            }
        }
    },
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
    model: Annotated[str | None, Query(max_length=32, description=MODEL_HELP)] = None,
) -> ORJSONResponse:
    try:
        request = build_predict(body, periods, freq, country, model, limits_from(settings))
    except SeriesError as exc:
        raise unprocessable(exc) from exc
    for attempt in (1, 2):
        try:
            outcome = await pool.run(
                forecast,
                request.spec,
                request.model,
                settings.backtest_folds,
                backtest=request.backtest,
            )
            break
        except BrokenProcessPool as exc:
            # A worker killed from outside (the OOM killer) earns the request one more try.
            if attempt == 2:
                raise Problem(503, "the model process crashed twice on this request") from exc
    headers = {MODEL_HEADER: outcome.model}
    wape = (outcome.accuracy or {}).get("wape")
    if wape is not None:
        headers[WAPE_HEADER] = f"{wape:.6g}"
    # Rows are built finite and typed already: skip FastAPI's response re-validation.
    return ORJSONResponse(rows(request.spec, outcome.forecast), headers=headers)
