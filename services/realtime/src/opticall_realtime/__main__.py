"""``python -m opticall_realtime``: serve the realtime service under uvicorn."""

from opticall_common.server import serve
from opticall_realtime.config import get_settings


def main() -> None:
    settings = get_settings()
    serve("opticall_realtime.main:create_app", settings.host, settings.port)


if __name__ == "__main__":
    main()
