#!/usr/bin/env python3
"""A tiny HTTP/1.1 server for the latency-bound benchmark: it answers every
request (any method, any path) with 200 and an empty body after a fixed
delay, keeping the connection alive.  Binds 127.0.0.1 only, port 0 by
default, and prints "PORT <n>" on stdout once it listens.  Stdlib asyncio;
it stops by itself after --max-seconds, and on SIGTERM/SIGINT.

Usage: delayserver.py [--delay-ms 50] [--port 0] [--max-seconds 900]
"""
import argparse
import asyncio
import signal
import sys

RESPONSE = (b"HTTP/1.1 200 OK\r\n"
            b"Content-Type: text/plain\r\n"
            b"Content-Length: 0\r\n"
            b"Connection: keep-alive\r\n"
            b"\r\n")
MAX_HEAD = 64 * 1024


class DelayProtocol(asyncio.Protocol):
    """One connection.  Every complete request head (up to its blank
    line) gets the same 200 answer after the delay; the answers are
    identical, so their order cannot go wrong.  A Protocol and call_later
    rather than streams and a coroutine per connection: far fewer Python
    steps per request, so 64 answers falling due at once do not queue
    behind the interpreter."""

    def __init__(self, delay):
        self.delay = delay
        self.buf = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data
        n = self.buf.count(b"\r\n\r\n")
        if n:
            # HEAD and GET carry no body; anything after the last head is
            # the start of the next request.
            self.buf = self.buf[self.buf.rindex(b"\r\n\r\n") + 4:]
            for _ in range(n):
                asyncio.get_running_loop().call_later(self.delay,
                                                      self.answer)
        elif len(self.buf) > MAX_HEAD:
            self.transport.close()

    def answer(self):
        if not self.transport.is_closing():
            self.transport.write(RESPONSE)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay-ms", type=float, default=50.0)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=900.0)
    a = ap.parse_args()
    delay = a.delay_ms / 1000.0
    server = await asyncio.get_running_loop().create_server(
        lambda: DelayProtocol(delay), host="127.0.0.1", port=a.port,
        backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(
            sig, lambda: stop.done() or stop.set_result(None))
    try:
        await asyncio.wait_for(stop, a.max_seconds)
    except asyncio.TimeoutError:
        print("delayserver: --max-seconds reached, stopping", file=sys.stderr)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
