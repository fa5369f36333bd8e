"""``python -m opticall_gateway``: serve the gateway under uvicorn, and its metrics beside it.

Unlike the internal services, the gateway is the public edge: uvicorn must not take a
client's ``X-Forwarded-For`` as its address (auth throttles logins per that address), so
proxy headers are only honoured from ``GATEWAY_TRUSTED_PROXIES``. Client connections get the
limits of ``connection_limits.py``; ``/metrics`` is served on ``GATEWAY_METRICS_PORT`` only.
"""

from opticall_common.server import serve
from opticall_gateway.config import get_settings
from opticall_gateway.connection_limits import LimitedHttpToolsProtocol
from opticall_gateway.metrics import serve_metrics

# Clients send the realtime stream little more than pings: a large frame is not one of ours.
WS_MAX_MESSAGE_BYTES = 64 * 1024


def main() -> None:
    settings = get_settings()
    serve_metrics(settings.metrics_host or settings.host, settings.metrics_port, settings.workers)
    serve(
        "opticall_gateway.main:create_app",
        settings.host,
        settings.port,
        workers=settings.workers,
        forwarded_allow_ips=settings.trusted_proxy_list or None,
        http=LimitedHttpToolsProtocol,
        timeout_keep_alive=settings.keepalive_timeout,
        ws_max_size=WS_MAX_MESSAGE_BYTES,
    )


if __name__ == "__main__":
    main()
