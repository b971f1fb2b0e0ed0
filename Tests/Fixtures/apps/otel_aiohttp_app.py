"""An aiohttp server with no tracing code, meant to run under `opentelemetry-instrument` (aiohttp-server and
aiohttp-client instrumentations): /checkout calls /stock/42 on the same server with an aiohttp client.

usage: otel_aiohttp_app.py PORT   (drive it with drive.py; SIGTERM ends run_app cleanly, so the SDK's shutdown exports)
"""
import signal
import sys

import aiohttp
from aiohttp import web


async def stock(request):
    return web.json_response({"item": request.match_info["item"], "stock": 3})


async def checkout(request):
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://{request.host}/stock/42") as response:
            level = (await response.json())["stock"]
    return web.json_response({"ordered": True, "stock": level})


app = web.Application()
app.router.add_get("/stock/{item}", stock)
app.router.add_get("/checkout", checkout)

if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
