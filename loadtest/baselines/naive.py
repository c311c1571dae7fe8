"""Naive FastAPI broadcast: ``for ws in clients: await ws.send_text(msg)``.

``python -m loadtest.baselines.naive PORT``. ``POST /publish`` broadcasts one cue frame to every
websocket connected to ``/ws``; the same uvicorn settings as livebuy (websockets-sansio, no deflate).
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from loadtest.baselines.frame import cue_frame


def create_app() -> FastAPI:
    """The naive broadcast app."""
    app = FastAPI()
    clients: set[WebSocket] = set()
    sequence = [0]

    @app.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        clients.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            clients.discard(websocket)

    @app.post("/publish")
    async def publish() -> dict[str, int]:
        sequence[0] += 1
        message = cue_frame(sequence[0])
        for websocket in list(clients):
            await websocket.send_text(message)
        return {"sent": len(clients)}

    return app


def main() -> None:
    """Serve on 127.0.0.1:PORT."""
    uvicorn.run(
        create_app(),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
