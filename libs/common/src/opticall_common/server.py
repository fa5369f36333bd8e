"""Run a service under uvicorn: the body of every service's ``__main__``."""

from __future__ import annotations

from typing import Any

import uvicorn

# Internal services sit behind the gateway on loopback or the pod network: only the local
# sidecar-free hop (127.0.0.1) may name the client in X-Forwarded-For.
INTERNAL_PROXIES = "127.0.0.1"


def serve(
    app_path: str,
    host: str,
    port: int,
    *,
    workers: int = 1,
    forwarded_allow_ips: str | list[str] | None = INTERNAL_PROXIES,
    **options: Any,
) -> None:
    """``forwarded_allow_ips=None`` turns proxy headers off (a public edge trusting nobody).

    ``options`` go to ``uvicorn.run`` as they are (the gateway's connection limits)."""
    # log_config=None: our JSON logging (configured by the app factory) stays in charge.
    uvicorn.run(
        app_path,
        host=host,
        port=port,
        workers=workers,
        factory=True,
        log_config=None,
        access_log=False,
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=10,
        **options,
    )
