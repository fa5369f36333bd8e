"""``python -m opticall_scheduling``: serve the scheduling service under uvicorn."""

from opticall_common.server import serve
from opticall_scheduling.config import get_settings


def main() -> None:
    settings = get_settings()
    serve("opticall_scheduling.main:create_app", settings.host, settings.port)


if __name__ == "__main__":
    main()
