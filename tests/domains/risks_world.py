"""A territory for the population alert and crisis log tests, and a real HTTP receiver.

Territory A (SIREN 200068377): Remiremont (88383) and Saint-Étienne-lès-Remiremont (88415),
a flood zone in each, a gauge in 88383; members: an admin, an agent, a viewer and an agent
restricted to 88415. Territory B: one commune, one flood zone, its admin.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from beffroi.core import assets, tenants, users
from beffroi.core.access import CLI, load_principal, open_scope
from beffroi.core.auth import issue_token

SIREN = "200068377"
PARIS = ZoneInfo("Europe/Paris")
ZONE = {"type": "Polygon", "coordinates": [[[6.58, 48.01], [6.60, 48.01], [6.60, 48.03],
                                            [6.58, 48.01]]]}
POINT = {"type": "Point", "coordinates": [6.59, 48.02]}


def paris(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp() * 1000)


def build_world(db, registry) -> dict:
    with db.write() as conn:
        t = tenants.create_tenant(db, conn, CLI, name="CC de la Porte des Vosges",
                                  siren=SIREN, registry=registry)
        scope = open_scope(db, conn, CLI, t["id"])
        # The SIREN brings the CC's communes (Remiremont 88383, Saint-Étienne 88415…).
        assert {"88383", "88415"} <= {c.insee for c in tenants.list_communes(scope, conn)}
        zone = assets.create_asset(scope, conn, registry, {
            "ref": "ZI-1", "kind": "risks.flood_zone", "name": "Quartier de la Moselle",
            "commune": "88383", "geometry": ZONE})
        far_zone = assets.create_asset(scope, conn, registry, {
            "ref": "ZI-2", "kind": "risks.flood_zone", "name": "Prés du Void",
            "commune": "88415", "geometry": ZONE})
        gauge = assets.create_asset(scope, conn, registry, {
            "ref": "GAUGE-1", "kind": "risks.gauge", "name": "Moselle à Remiremont",
            "commune": "88383", "geometry": POINT})
        people = {}
        for key, role, communes in (("admin", "tenant_admin", None), ("agent", "agent", None),
                                    ("viewer", "viewer", None), ("far", "agent", ["88415"])):
            member = users.add_member(scope, conn, {"email": f"{key}@cc-vosges.fr",
                                                    "role": role, "name": key.capitalize(),
                                                    "communes": communes})
            people[key] = member["id"]
        b = tenants.create_tenant(db, conn, CLI, name="Syndicat voisin", siren="200000172",
                                  registry=registry)
        scope_b = open_scope(db, conn, CLI, b["id"])
        if "55040" not in {c.insee for c in tenants.list_communes(scope_b, conn)}:
            tenants.create_commune(scope_b, conn, {"insee": "55040", "name": "Belleville"})
        zone_b = assets.create_asset(scope_b, conn, registry, {
            "ref": "ZI-B", "kind": "risks.flood_zone", "name": "Zone de B",
            "commune": "55040", "geometry": ZONE})
        other = users.add_member(scope_b, conn, {"email": "admin@voisin.fr",
                                                 "role": "tenant_admin", "name": "Voisin"})
    return {"tenant": t["id"], "other_tenant": b["id"], "zone": zone.id,
            "far_zone": far_zone.id, "gauge": gauge.id, "zone_b": zone_b.id,
            "other": other["id"], **people}


def token(db, world: dict, key: str) -> dict[str, str]:
    with db.write() as conn:
        _, secret = issue_token(db, conn, "personal", user_id=world[key], name="tests")
    return {"Authorization": f"Bearer {secret}"}


def as_user(db, conn, world: dict, key: str):
    tenant = world["other_tenant"] if key == "other" else world["tenant"]
    return open_scope(db, conn, load_principal(conn, world[key]), tenant)


# -- a real HTTP receiver on loopback (the SMS gateway) ----------------------------------------
class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.status = 200

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.requests.append({"headers": dict(self.headers), "body": body})
        self.send_response(self.server.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def start_receiver() -> tuple[Receiver, threading.Thread]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of "{timestamp}.{body}", written here independently of Beffroi."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()
