"""``python -m opticall_gateway``: serve the gateway service under uvicorn."""

from opticall_common.server import serve
from opticall_gateway.config import get_settings


def main() -> None:
    settings = get_settings()
    serve("opticall_gateway.main:create_app", settings.host, settings.port)


if __name__ == "__main__":
    main()
