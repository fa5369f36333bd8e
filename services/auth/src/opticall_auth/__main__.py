"""``python -m opticall_auth``: serve the auth service under uvicorn."""

from opticall_auth.config import get_settings
from opticall_common.server import serve


def main() -> None:
    settings = get_settings()
    serve("opticall_auth.main:create_app", settings.host, settings.port)


if __name__ == "__main__":
    main()
