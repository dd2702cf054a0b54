"""An async client for Alertmanager's API v2 (Alertmanager 0.16 and later), and finding one.

    async with AlertmanagerClient(conn) as am:
        alerts = await am.alerts()
        new_id = await am.create_silence(matchers, ends_at=end, created_by="ana", comment="x")

It shares the Prometheus client's transport (`HTTPClient`): the same `Connection`
(bearer token, basic auth, headers, TLS verified unless insecure), the same
error tree and one-line messages. Reads are retried as Prometheus's are; writes
(create, extend, expire) are tried again only when no connection was made, so a
silence is never created twice. Every answer is checked by `am_wire`.

A silence can be previewed before it is saved: `am_types.mutes(matchers, labels)`
over `alerts()` says which current alerts it would mute, by Alertmanager's rule.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote

from promdash.config import Connection
from promdash.errors import APIError, PromdashError, PromError, UsageError
from promdash.prom import am_wire
from promdash.prom.am_types import AlertmanagerAlert, AlertmanagerStatus, Matcher, Silence
from promdash.prom.client import HTTPClient, PromClient, Wording

D = TypeVar("D")

WORDING = Wording(
    server="Alertmanager",
    api="Alertmanager's API v2",
    token="--alertmanager-token-file",
    basic_auth="basic_auth in the context's alertmanager: block",
    header="--alertmanager-header",
    ca="--alertmanager-ca FILE",
    insecure="--alertmanager-insecure",
)


class AlertmanagerClient(HTTPClient):
    """Async client for one Alertmanager; use as `async with AlertmanagerClient(conn) as am:`."""

    wording = WORDING

    async def _call(
        self,
        method: str,
        path: str,
        decode: Callable[[bytes, str, int], D],
        params: Sequence[tuple[str, str]] = (),
        *,
        body: object = None,
        write: bool = False,
    ) -> D:
        response = await self._request(method, path, params, json=body, retry_status=not write)
        return self._decode(response, decode, "/" + path)

    # ------------------------------------------------------------ reads

    async def status(self) -> AlertmanagerStatus:
        """Its version and cluster state; also the cheapest way to see that one answers."""
        return await self._call("GET", "api/v2/status", am_wire.decode_status)

    async def alerts(
        self,
        *,
        active: bool = True,
        silenced: bool = True,
        inhibited: bool = True,
        unprocessed: bool = True,
        matchers: Sequence[Matcher] = (),
    ) -> list[AlertmanagerAlert]:
        """Alerts it holds now; the flags leave out alerts in that state (the API's filters)."""
        params = [
            (name, "false")
            for name, wanted in (
                ("active", active),
                ("silenced", silenced),
                ("inhibited", inhibited),
                ("unprocessed", unprocessed),
            )
            if not wanted
        ]
        params += [("filter", str(m)) for m in matchers]
        return await self._call("GET", "api/v2/alerts", am_wire.decode_alerts, params)

    async def silences(self, matchers: Sequence[Matcher] = ()) -> list[Silence]:
        """Every silence it knows, expired ones too (until its retention drops them)."""
        params = [("filter", str(m)) for m in matchers]
        return await self._call("GET", "api/v2/silences", am_wire.decode_silences, params)

    async def silence(self, silence_id: str) -> Silence:
        """One silence; APIError (status 404) when there is none with that ID."""
        try:
            return await self._call("GET", _silence_path(silence_id), am_wire.decode_silence)
        except APIError as exc:
            if exc.status != 404:
                raise
            raise APIError(exc.error_type, f"no silence has the ID {silence_id}", 404) from None

    # ------------------------------------------------------------ writes

    async def create_silence(
        self,
        matchers: Sequence[Matcher],
        *,
        ends_at: datetime,
        created_by: str,
        comment: str,
        starts_at: datetime | None = None,
    ) -> str:
        """Save a new silence (from now, or `starts_at`); returns its ID.

        Checked before anything is sent: at least one matcher, an end after the start.
        """
        start = starts_at or datetime.now(UTC)
        _check_silence(matchers, start, ends_at)
        return await self._post_silence(None, matchers, start, ends_at, created_by, comment)

    async def extend_silence(self, silence_id: str, ends_at: datetime) -> str:
        """Make a silence end at `ends_at` (later or sooner); returns the ID it has then.

        Alertmanager changes a pending or active silence in place; an expired one
        cannot come back, so it saves a copy under a new ID: use the ID returned.
        """
        current = await self.silence(silence_id)
        now = datetime.now(UTC)
        start = current.starts_at if current.state != "expired" else now
        _check_silence(current.matchers, max(start, now), ends_at)
        return await self._post_silence(
            current.id, current.matchers, start, ends_at, current.created_by, current.comment
        )

    async def expire_silence(self, silence_id: str) -> None:
        """End a silence now: the alerts it muted are active again. Expiring one that has
        already expired changes nothing."""
        response = await self._request("DELETE", _silence_path(silence_id), retry_status=False)
        self._decode(response, am_wire.check_status, f"/{_silence_path(silence_id)}")

    async def _post_silence(
        self,
        silence_id: str | None,
        matchers: Sequence[Matcher],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        body: dict[str, object] = {
            "matchers": [
                {"name": m.name, "value": m.value, "isRegex": m.is_regex, "isEqual": m.is_equal}
                for m in matchers
            ],
            "startsAt": rfc3339(starts_at),
            "endsAt": rfc3339(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        if silence_id is not None:
            body["id"] = silence_id
        return await self._call(
            "POST", "api/v2/silences", am_wire.decode_silence_id, body=body, write=True
        )


def _check_silence(matchers: Sequence[Matcher], start: datetime, end: datetime) -> None:
    if not matchers:
        raise UsageError("a silence needs at least one matcher")
    if end <= start:
        raise UsageError("a silence must end after it starts (a duration of more than 0)")


def _silence_path(silence_id: str) -> str:
    # Quoted whole: an ID typed by a person must not reach another path.
    return f"api/v2/silence/{quote(silence_id, safe='')}"


def rfc3339(moment: datetime) -> str:
    """UTC with milliseconds and `Z`, as Alertmanager writes times."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------- finding one


def api_root(url: str) -> str:
    """An Alertmanager's base URL from the alerts URL Prometheus reports for it."""
    for suffix in ("/api/v2/alerts", "/api/v1/alerts"):
        if url.endswith(suffix):
            return url[: -len(suffix)]
    return url.rstrip("/")


async def discover(
    prometheus: PromClient, connect: Callable[[str], Connection]
) -> tuple[Connection | None, str]:
    """The first Alertmanager Prometheus sends alerts to that answers from here.

    `connect` makes the Connection for a reported URL (with the user's credentials
    and TLS settings). Returns it, or None and why not in a few words: Prometheus
    could not be asked, reports none, or reports only ones that do not answer here
    (a container name seen from the host, say).
    """
    where = f"Prometheus at {prometheus.conn.url}"
    try:
        urls = await prometheus.alertmanagers()
    except PromError as exc:
        return None, f"{where} could not be asked ({exc})"
    if not urls:
        return None, f"{where} sends alerts to none"
    candidates: list[Connection] = []
    problems: list[str] = []
    for url in urls:
        try:
            candidates.append(connect(api_root(url)))
        except PromdashError as exc:  # a URL that is no URL, a TLS file that cannot be read
            problems.append(str(exc))
    answers = await asyncio.gather(*(_answers(conn) for conn in candidates))
    for conn, problem in zip(candidates, answers, strict=True):
        if not problem:
            return conn, ""
        problems.append(problem)
    return None, f"{where} sends alerts to {', '.join(map(api_root, urls))}: {problems[0]}"


# A reported Alertmanager that does not answer this soon is taken as unreachable from
# here: `promdash alerts` must not wait --timeout for an address only Prometheus can reach.
PROBE_TIMEOUT = 3.0


async def _answers(conn: Connection) -> str:
    """Why no Alertmanager answers at `conn`; "" when one does."""
    probe = dataclasses.replace(conn, timeout=min(conn.timeout, PROBE_TIMEOUT))
    try:
        async with AlertmanagerClient(probe, retries=1) as am:
            await am.status()
    except PromError as exc:
        return str(exc)
    return ""


__all__ = ["WORDING", "AlertmanagerClient", "api_root", "discover", "rfc3339"]
