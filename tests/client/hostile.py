"""A hostile HTTP server on loopback for the client's defences: what a broken or compromised
endpoint can do that the simulator never does (redirect elsewhere, drip a body forever,
stream gigabytes). Real HTTP over a real socket; nothing of ours is replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Hostile:
    """``url`` answers every path as ``mode`` says: ``redirect`` (307 to ``elsewhere``),
    ``drip`` (a byte every 0.1 s, forever), ``huge`` (an endless chunked body) or ``ok``;
    ``received`` lists the raw requests ``elsewhere`` got."""

    mode: str = "ok"
    url: str = ""
    elsewhere: str = ""
    received: list[bytes] = field(default_factory=list)


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


@asynccontextmanager
async def hostile_server() -> AsyncIterator[Hostile]:
    state = Hostile()

    async def elsewhere(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            state.received.append(await _read_request(reader))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            await writer.drain()
        finally:
            writer.close()

    async def hostile(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _read_request(reader)
            if state.mode == "redirect":
                writer.write(
                    b"HTTP/1.1 307 Temporary Redirect\r\nLocation: "
                    + state.elsewhere.encode()
                    + b"/steal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            elif state.mode == "drip":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                for _ in range(100000):
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(0.1)
            elif state.mode == "huge":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                chunk = b"x" * 65536
                while True:
                    writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    await writer.drain()
            else:
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
                )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    main = await asyncio.start_server(hostile, "127.0.0.1", 0)
    other = await asyncio.start_server(elsewhere, "127.0.0.1", 0)
    state.url = f"http://127.0.0.1:{main.sockets[0].getsockname()[1]}"
    state.elsewhere = f"http://127.0.0.1:{other.sockets[0].getsockname()[1]}"
    try:
        yield state
    finally:
        for server in (main, other):
            server.close()
