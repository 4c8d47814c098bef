"""Request bodies: the caller is checked before the body is read, and no body is read past
its route's cap — chunked or announced — so an anonymous 50 MB upload costs no memory.

A real uvicorn server in a thread (the test client would buffer the body itself); what the
application reads is counted where it reads it, on the ASGI ``receive`` channel, and what
the client sent is counted on its side.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from suite_apps import fresh_app

from beffroi.api.deps import BULK_MAX, CONTROL_MAX, CREDENTIALS_MAX, csrf_token
from beffroi.api.unread_bodies import DRAIN_LIMIT
from beffroi.connectivity import integrations
from beffroi.core import tenants, users
from beffroi.core.access import CLI, open_scope
from beffroi.core.auth import issue_token

KB, MB = 1024, 1024 * 1024
UPLOAD = 50 * MB
# uvicorn hands the body over in pieces of at most what one socket read gives (256 KiB)
# on top of its 64 KiB buffer: a reader that stops at its cap has read less than this more.
ONE_PIECE = 320 * KB

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # no storage involved


class Counted:
    """The application, counting the body bytes it takes from the server."""

    def __init__(self, app) -> None:
        self.app = app
        self.read = 0

    async def __call__(self, scope, receive, send):
        async def counted():
            message = await receive()
            if message["type"] == "http.request":
                self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


class Upload:
    """A chunked body of ``total`` bytes, counting what the client really produced."""

    def __init__(self, total: int = UPLOAD, piece: int = 64 * KB) -> None:
        self.total, self.piece, self.produced = total, piece, 0

    def __iter__(self) -> Iterator[bytes]:
        while self.produced < self.total:
            size = min(self.piece, self.total - self.produced)
            self.produced += size
            yield b"x" * size


@pytest.fixture
def live(db, registry):
    counted = Counted(fresh_app(db, registry))
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(counted, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=30) as http:
        yield counted, http
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def world(db, registry) -> dict:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC des essais", registry=registry)
        user = users.create_user(db, conn, email="admin@essais.fr", is_operator_admin=True)
        _, token = issue_token(db, conn, "personal", user_id=user["id"], name="essai")
        _, session = issue_token(db, conn, "session", user_id=user["id"])
        _, secret = integrations.create_integration(open_scope(db, conn, CLI, t["id"]), conn,
                                                     {"kind": "chirpstack"})
        row = integrations.list_integrations(open_scope(db, conn, CLI, t["id"]), conn)[0]
    return {"tenant": t["id"], "token": token, "session": session, "integration": row.id,
            "secret": secret}


def send(live, path: str, body, **headers) -> tuple[int, int]:
    """(status, body bytes the application read)."""
    counted, http = live
    counted.read = 0
    response = http.post(path, content=body, headers=headers)
    return response.status_code, counted.read


def test_anonymous_and_badly_authenticated_bodies_are_not_read(live, world):
    t, i = world["tenant"], world["integration"]
    cases = {
        "observations, anonymous": (f"/api/v1/tenants/{t}/observations", {}),
        "observations, unknown token": (f"/api/v1/tenants/{t}/observations",
                                        {"Authorization": "Bearer bfp_inconnu"}),
        "asset, anonymous": (f"/api/v1/tenants/{t}/assets", {}),
        "ChirpStack event, wrong secret": (f"/api/v1/integrations/{i}/chirpstack?event=up",
                                           {"Authorization": "Bearer bfi_faux"}),
        "ChirpStack event, no secret": (f"/api/v1/integrations/{i}/chirpstack?event=up", {}),
        "TTS event, wrong secret": (f"/api/v1/integrations/{i}/tts",
                                    {"Authorization": "Bearer bfi_faux"}),
        "session cookie without CSRF header": (
            f"/api/v1/tenants/{t}/observations", {"Cookie": f"beffroi_session={world['session']}"}),
    }
    got = {}
    for name, (path, headers) in cases.items():
        upload = Upload()
        status, read = send(live, path, upload, **headers)
        got[name] = (status, read)
    assert got == {
        "observations, anonymous": (401, 0), "observations, unknown token": (401, 0),
        "asset, anonymous": (401, 0), "ChirpStack event, wrong secret": (401, 0),
        "ChirpStack event, no secret": (401, 0), "TTS event, wrong secret": (401, 0),
        "session cookie without CSRF header": (403, 0)}


def test_chunked_bodies_stop_being_read_past_the_route_cap(live, world):
    t, bearer = world["tenant"], {"Authorization": f"Bearer {world['token']}"}
    for path, headers, cap in (
            ("/api/v1/auth/token", {}, CREDENTIALS_MAX),
            ("/api/v1/auth/login", {}, CREDENTIALS_MAX),
            ("/api/v1/auth/password-reset", {}, CREDENTIALS_MAX),
            (f"/api/v1/tenants/{t}/assets", bearer, CONTROL_MAX),
            (f"/api/v1/integrations/{world['integration']}/chirpstack?event=up",
             {"Authorization": f"Bearer {world['secret']}"}, CONTROL_MAX),
            (f"/api/v1/tenants/{t}/observations", bearer, BULK_MAX)):
        upload = Upload(total=BULK_MAX + 2 * MB if cap == BULK_MAX else UPLOAD)
        status, read = send(live, path, upload, **headers)
        assert status == 413, path
        assert cap < read <= cap + ONE_PIECE, (path, read)


def test_an_announced_length_over_the_cap_is_refused_before_reading(live, world):
    """Refused before the route reads anything. A body announced at most DRAIN_LIMIT long is
    then read to the end and thrown away, so that a reverse proxy still sending it passes
    the 413 on (tests/test_operations.py); a longer one is cut off unread."""
    t, bearer = world["tenant"], {"Authorization": f"Bearer {world['token']}"}
    for path, headers, cap in (("/api/v1/auth/token", {}, CREDENTIALS_MAX),
                               (f"/api/v1/tenants/{t}/assets", bearer, CONTROL_MAX),
                               (f"/api/v1/tenants/{t}/observations", bearer, BULK_MAX)):
        for length in (cap + 64 * KB, DRAIN_LIMIT + 64 * KB):
            if length < cap:
                continue
            upload = Upload(total=length)
            status, read = send(live, path, upload, **headers, **{"Content-Length": str(length)})
            drained = length if length <= DRAIN_LIMIT else 0
            assert (status, read) == (413, drained), (path, length)


def test_bodies_within_the_cap_are_read_whole_chunked_or_not(live, world):
    t, bearer = world["tenant"], {"Authorization": f"Bearer {world['token']}"}
    counted, http = live
    batch = b'[{"stream_id": 999, "time": "2026-01-01T00:00:00Z", "value": 1}]' + b" " * 3 * MB
    pieces = [batch[i:i + 100 * KB] for i in range(0, len(batch), 100 * KB)]
    for body in (batch, iter(pieces)):
        status, read = send(live, f"/api/v1/tenants/{t}/observations", body, **bearer)
        assert (status, read) == (422, len(batch))  # read whole, then its one item refused
    login = b'{"email": "admin@essais.fr", "password": "faux"}'
    assert send(live, "/api/v1/auth/token", iter([login]))[0] == 401
    session = {"Cookie": f"beffroi_session={world['session']}",
               "X-CSRF-Token": csrf_token(world["session"])}
    assert send(live, f"/api/v1/tenants/{t}/assets", b"{}", **session)[0] == 422
