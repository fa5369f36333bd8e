"""``python -m opticall_gateway``: serve the gateway under uvicorn.

Unlike the internal services, the gateway is the public edge: uvicorn must not take a
client's ``X-Forwarded-For`` as its address (auth throttles logins per that address), so
proxy headers are only honoured from ``GATEWAY_TRUSTED_PROXIES``.
"""

from opticall_common.server import serve
from opticall_gateway.config import get_settings


def main() -> None:
    settings = get_settings()
    serve(
        "opticall_gateway.main:create_app",
        settings.host,
        settings.port,
        workers=settings.workers,
        forwarded_allow_ips=settings.trusted_proxy_list or None,
    )


if __name__ == "__main__":
    main()
