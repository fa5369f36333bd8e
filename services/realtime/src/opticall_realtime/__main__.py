"""``python -m opticall_realtime``: serve the realtime service under uvicorn.

Same options as ``opticall_common.server.serve`` but on the stdlib asyncio loop: Faust's
consumer thread hands records to the main loop per message, and under uvloop that hand-off
cut the fold rate by 4x in bench/realtime (516 vs 1,963 events/s on the same box).
WebSocket per-message deflate is off: deltas are ~300-byte JSON frames, and compressing each
one (and decompressing it in every client) cost more CPU per event than it saved bytes.
"""

import uvicorn

from opticall_realtime.config import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(
        "opticall_realtime.main:create_app",
        host=settings.host,
        port=settings.port,
        factory=True,
        loop="asyncio",
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=10,
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":
    main()
