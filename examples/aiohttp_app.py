"""An aiohttp server instrumented with the AWS X-Ray SDK for Python: the README's aiohttp recipe, whole.

Run it under `xray run -- python examples/aiohttp_app.py [PORT]` (default 8080) and request /checkout: one
trace holds the /checkout segment, its remote subsegment for the call to /stock/42, and the /stock segment
under it. Stop it with Ctrl-C.
"""
import asyncio
import sys

import aiohttp
from aiohttp import web

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.async_context import AsyncContext
from aws_xray_sdk.ext.aiohttp.client import aws_xray_trace_config
from aws_xray_sdk.ext.aiohttp.middleware import middleware


async def stock(request):
    return web.json_response({"item": request.match_info["item"], "stock": 3})


async def checkout(request):
    # Outgoing calls carry the trace header and become remote subsegments.
    async with aiohttp.ClientSession(trace_configs=[aws_xray_trace_config()]) as session:
        async with session.get(f"http://{request.host}/stock/42") as response:
            level = (await response.json())["stock"]
    return web.json_response({"ordered": True, "stock": level})


# web.run_app(app) alone makes a new event loop, and a context made before it belongs to another one:
# every request would log "cannot find the current segment" and fail. Make the loop, give it to both.
loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)
xray_recorder.configure(service="front", context=AsyncContext(loop=loop), sampling=False)
app = web.Application(middlewares=[middleware])  # the X-Ray middleware first
app.router.add_get("/stock/{item}", stock)
app.router.add_get("/checkout", checkout)

if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080, loop=loop)
