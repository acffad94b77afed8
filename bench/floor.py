"""floor: an ASGI app that answers every call with fixed bytes and does no work at all.

Measured once per run: the most calls/s uvicorn (and the load generator) can
move on this machine, so the contenders' figures can be read against it.
"""

from __future__ import annotations

import sys

from bench import stack
from bench.bare import Receive, Scope, Send, read_body, respond

REPLY = b'{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}'


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await read_body(receive)
    await respond(send, 200, REPLY)


def main() -> None:
    stack.run(app, int(sys.argv[1]), lifespan="off")


if __name__ == "__main__":
    main()
