"""The bare baseline for bench/audience.py: the same bytes, with no Django, under the same server.

`BARE_BODY` names a file whose bytes every request gets; `BARE_GZIP=1` sends
them as `Content-Encoding: gzip`, or `BARE_HEADERS` names a JSON list of every header to send. `wsgi` and `asgi` are the two interfaces.
"""

import json
import os
from pathlib import Path

BODY = Path(os.environ["BARE_BODY"]).read_bytes()
if os.environ.get("BARE_HEADERS"):
    # Every header the site's response had (a JSON list of pairs): the same response, byte for byte.
    HEADERS = [tuple(pair) for pair in json.loads(Path(os.environ["BARE_HEADERS"]).read_text())]
else:
    HEADERS = [("Content-Type", os.environ.get("BARE_CONTENT_TYPE", "text/html; charset=utf-8"))]
    HEADERS.append(("Content-Length", str(len(BODY))))
    if os.environ.get("BARE_GZIP") == "1":
        HEADERS.append(("Content-Encoding", "gzip"))


def wsgi(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]


async def asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(name.lower().encode(), value.encode()) for name, value in HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": BODY})
