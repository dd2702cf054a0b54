"""A real HTTP server answering as Prometheus 3 does, from answers built from its documentation.

No Prometheus 3 can run here (only Debian's 2.42), so tests/data/prom3/ holds its
answers written by hand from the upstream API documentation (not recorded; its
README.md says from what). `manifest.json` says which request each file answers;
`Prom3Server` serves a file when a request's path and parameters are an entry's,
in any order, leaving aside the ones that change with the clock (start, end, step,
time). Any other request gets a 400 naming what was asked, so a test asking for
something no fixture answers fails saying so.

`Prom3Server(follow_clock=True)` moves a range answer's samples onto the last steps
of the window asked for (their order kept), so a dashboard graphing the last
minutes draws them; the values are the file's.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

PROM3 = Path(__file__).resolve().parent.parent / "data" / "prom3"
CLOCK_PARAMS = frozenset({"start", "end", "step", "time"})

Params = tuple[tuple[str, str], ...]


def _key(path: str, params: list[tuple[str, str]]) -> tuple[str, Params]:
    return path, tuple(sorted(p for p in params if p[0] not in CLOCK_PARAMS))


def answers() -> dict[tuple[str, Params], str]:
    """(path, sorted parameters) -> fixture file name, from the manifest."""
    manifest = json.loads((PROM3 / "manifest.json").read_text())
    return {
        _key(entry["path"], [tuple(pair) for pair in entry["params"]]): entry["file"]
        for entry in manifest["answers"]
    }


def on_the_clock(body: bytes, end: float, step: float) -> bytes:
    """A matrix answer with its timestamps, in order, on the last steps before `end`."""
    document = json.loads(body)
    result = document["data"]["result"]
    times = sorted(
        {point[0] for s in result for key in ("values", "histograms") for point in s.get(key, [])}
    )
    moved = {t: end - (len(times) - 1 - rank) * step for rank, t in enumerate(times)}
    for series in result:
        for key in ("values", "histograms"):
            for point in series.get(key, []):
                point[0] = moved[point[0]]
    return json.dumps(document).encode()


class Prom3Server:
    """Use as `with Prom3Server() as server:`; `server.requests` lists what was asked
    (path and parameters, the clock's aside)."""

    def __init__(self, *, follow_clock: bool = False) -> None:
        self.follow_clock = follow_clock
        self.url = ""
        self.requests: list[tuple[str, Params]] = []
        self._answers = answers()
        self._server: ThreadingHTTPServer | None = None

    def answer(self, path: str, params: list[tuple[str, str]]) -> tuple[int, bytes]:
        key = _key(path, params)
        self.requests.append(key)
        name = self._answers.get(key)
        if name is not None:
            body = (PROM3 / name).read_bytes()
            clock = dict(p for p in params if p[0] in ("end", "step"))
            if self.follow_clock and path == "/api/v1/query_range" and len(clock) == 2:
                body = on_the_clock(body, float(clock["end"]), float(clock["step"]))
            return 200, body
        error = f"no Prometheus 3 answer in tests/data/prom3 for {path} {list(key[1])}"
        refusal = {"status": "error", "errorType": "bad_data", "error": error}
        return 400, json.dumps(refusal).encode()

    def __enter__(self) -> Prom3Server:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlsplit(self.path)
                params = parse_qsl(url.query, keep_blank_values=True)
                length = int(self.headers.get("Content-Length") or 0)
                if length:  # a POST form (long expressions)
                    params += parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
                status, body = owner.answer(url.path, params)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
