"""``python -m opticall_auth``: serve the auth service under uvicorn.

With proxy headers off: uvicorn must not take an X-Forwarded-For as the client's address.
Auth believes a forwarded address only with the gateway's signature (throttle.py).
"""

from opticall_auth.config import get_settings
from opticall_common.server import serve


def main() -> None:
    settings = get_settings()
    serve("opticall_auth.main:create_app", settings.host, settings.port, forwarded_allow_ips=None)


if __name__ == "__main__":
    main()
