"""``python -m opticall_forecasting``: serve the forecasting service under uvicorn."""

from opticall_common.server import serve
from opticall_forecasting.config import get_settings


def main() -> None:
    settings = get_settings()
    serve("opticall_forecasting.main:create_app", settings.host, settings.port)


if __name__ == "__main__":
    main()
