"""A local stand-in for Hub'Eau hydrometry, replaying the fixtures of tests/fixtures/hubeau.

``referentiel/stations`` filters the recorded stations by ``bbox`` or ``code_cours_eau``
as the service does; ``observations_tr`` serves either two recorded pages (mode "pages":
206 with ``next``, then 200) or, in mode "series", the recorded series of the stations up
to ``available_until`` (the service's "now"), from ``date_debut_obs``, sorted, in pages of
``size`` items (206 and a ``next`` cursor while items remain). ``down`` makes every request
answer 503. Every request is logged (path, query).
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

FIXTURES = Path(__file__).parent.parent / "fixtures" / "hubeau"
PREFIX = "/api/v2/hydrometrie"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class HubEauStandIn:
    def __init__(self) -> None:
        self.mode = "series"
        self.down = False
        self.available_until: datetime | None = None
        self.log: list[tuple[str, dict[str, list[str]]]] = []
        self.stations = load("referentiel_stations.json")["data"]
        self.series = load("observations_tr_series.json")["data"]
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                stand_in.log.append((parts.path, query))
                status, body = stand_in.answer(parts.path, query)
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}{PREFIX}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HubEauStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _fill(self, body: dict) -> dict:
        return json.loads(json.dumps(body).replace("{base}", self.base))

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        if self.down:
            return 503, {"code": 503, "message": "Service Unavailable"}
        one = {k: v[0] for k, v in query.items()}
        if path == f"{PREFIX}/referentiel/stations":
            found = self.stations
            if "bbox" in one:
                minx, miny, maxx, maxy = map(float, one["bbox"].split(","))
                found = [s for s in found if minx <= float(s["longitude_station"]) <= maxx
                         and miny <= float(s["latitude_station"]) <= maxy]
            if "code_cours_eau" in one:
                found = [s for s in found if s["code_cours_eau"] == one["code_cours_eau"]]
            if one.get("en_service") == "true":
                pass  # as the service: the flag is returned, the client filters closed ones
            return 200, {"count": len(found), "next": None, "data": found}
        if path != f"{PREFIX}/observations_tr":
            return 404, {"code": 404, "message": "Not Found"}
        if self.mode == "pages":
            if one.get("code_entite") != "A405062001":
                return 200, {"count": 0, "next": None, "data": []}
            if one.get("cursor") == "AoJwgKb8":
                return 200, self._fill(load("observations_tr_page2.json"))
            return 206, self._fill(load("observations_tr_page1.json"))
        size = int(one.get("size", 1000))
        if size > 20_000:
            return 400, {"code": 400, "message": "size must be at most 20000"}
        since = instant(one["date_debut_obs"]) if "date_debut_obs" in one else None
        items = [i for i in self.series if i["code_station"] == one.get("code_entite")
                 and (since is None or instant(i["date_obs"]) >= since)
                 and (self.available_until is None
                      or instant(i["date_obs"]) <= self.available_until)]
        items.sort(key=lambda i: i["date_obs"], reverse=one.get("sort") != "asc")
        start = int(one.get("cursor", 0))
        page = items[start:start + size]
        more = start + size < len(items)
        following = None
        if more:
            rest = urlencode({**{k: v for k, v in one.items() if k != "cursor"},
                              "cursor": start + size})
            following = f"{self.base}/observations_tr?{rest}"
        return (206 if more else 200), {"count": len(items), "next": following, "data": page}
