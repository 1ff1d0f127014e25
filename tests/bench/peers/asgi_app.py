"""The Uvicorn peer for tests/bench: the same answers as asgiserver's `hello`, `stream` and echo apps.

    /usr/bin/python3 -m uvicorn --app-dir tests/bench/peers asgi_app:app --loop uvloop --http httptools

  GET /              200 text/plain "Hello, world!"        (asgiserver: --app hello)
  GET /bytes?n=N     N bytes of 'x' in 64 KiB chunks        (asgiserver: --app stream)
  POST /upload       the body's byte count, body discarded  (asgiserver: --app stream)
  websocket (any)    echoes every message back              (asgiserver: --app echo, when it has WS)
"""

from urllib.parse import parse_qs

CHUNK = b"x" * 65536

# Messages built once: Uvicorn only reads them, and the benchmark should time the server.
HELLO_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")],
}
HELLO_BODY = {"type": "http.response.body", "body": b"Hello, world!"}


async def app(scope, receive, send):
    kind = scope["type"]
    if kind == "http":
        path = scope["path"]
        if path == "/bytes":
            await send_bytes(scope, send)
        elif path == "/upload":
            await count_upload(receive, send)
        else:
            await send(HELLO_START)
            await send(HELLO_BODY)
    elif kind == "websocket":
        await echo_websocket(receive, send)
    else:
        raise RuntimeError(f"unsupported scope type {kind}")  # lifespan: run with --lifespan off


async def send_bytes(scope, send):
    n = int(parse_qs(scope["query_string"].decode()).get("n", ["0"])[0])
    headers = [(b"content-type", b"application/octet-stream"), (b"content-length", str(n).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    while n > 0:
        piece = CHUNK if n >= len(CHUNK) else CHUNK[:n]
        n -= len(piece)
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def count_upload(receive, send):
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        total += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = f"{total}\n".encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def echo_websocket(receive, send):
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif kind == "websocket.receive":
            if message.get("bytes") is not None:
                await send({"type": "websocket.send", "bytes": message["bytes"]})
            else:
                await send({"type": "websocket.send", "text": message["text"]})
        else:  # websocket.disconnect
            return
