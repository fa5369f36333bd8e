"""``python -m opticall_gateway``: serve the gateway under uvicorn.

Unlike the internal services, the gateway is the public edge: uvicorn must not take a
client's ``X-Forwarded-For`` as its address (auth throttles logins per that address), so
proxy headers are only honoured from ``GATEWAY_TRUSTED_PROXIES``.
"""

import uvicorn

from opticall_gateway.config import get_settings


def main() -> None:
    settings = get_settings()
    trusted = settings.trusted_proxy_list
    uvicorn.run(
        "opticall_gateway.main:create_app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        factory=True,
        log_config=None,
        access_log=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
