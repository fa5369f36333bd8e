"""Run a service under uvicorn: the body of every service's ``__main__``."""

from __future__ import annotations

import uvicorn


def serve(app_path: str, host: str, port: int, *, workers: int = 1) -> None:
    # log_config=None: our JSON logging (configured by the app factory) stays in charge.
    uvicorn.run(
        app_path,
        host=host,
        port=port,
        workers=workers,
        factory=True,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=10,
    )
