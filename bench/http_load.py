"""A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next
request as soon as the previous answer is read, for a fixed time.

Written on raw asyncio sockets with the requests prepared beforehand, so that the client
costs a few tens of microseconds of CPU per request: on a 2-CPU machine an httpx client
would itself be the bottleneck of a 1,000 requests/s measurement.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    requests: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # unexpected answers, first few

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def request_bytes(method: str, path: str, body: bytes = b"", *, host: str = "127.0.0.1",
                  headers: dict[str, str] | None = None) -> bytes:
    """One HTTP/1.1 request, ready to be written on a keep-alive connection."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _run(base_url: str, concurrency: int, seconds: float,
               next_request: Callable[[int], bytes],
               check: Callable[[int, bytes], bool]) -> LoadResult:
    parts = urlsplit(base_url)
    result = LoadResult()
    counter = iter(range(1 << 62))
    deadline = 0.0

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.perf_counter() < deadline:
                request = next_request(next(counter))
                started = time.perf_counter()
                writer.write(request)
                status, body = await _read_response(reader)
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
                result.requests += 1
                if not check(status, body) and len(result.failures) < 5:
                    result.failures.append(f"{status}: {body[:300]!r}")
        finally:
            writer.close()

    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def run_load(base_url: str, concurrency: int, seconds: float,
             next_request: Callable[[int], bytes],
             check: Callable[[int, bytes], bool] = lambda status, _body: status == 200
             ) -> LoadResult:
    """``concurrency`` connections send ``next_request(i)`` (i = 0, 1, 2… across all of
    them) for ``seconds``; every answer is checked by ``check(status, body)``."""
    return asyncio.run(_run(base_url, concurrency, seconds, next_request, check))
