"""Alertmanager's API v2 answers as wire types, and the one place they are checked.

The counterpart of `promdash.prom.wire` for Alertmanager (api/v2/openapi.yaml):
each `decode_*` reads the raw bytes straight into msgspec Structs shaped like
the API, then converts them to the plain values of `promdash.prom.am_types`. An
answer of the wrong shape raises `BadResponseError` naming the endpoint and the
place, e.g. `/api/v2/silences: [0].matchers: expected an array, got null`.

API v2 has no envelope: a success is the bare value (an array of alerts, a
silence, `{"silenceID": ...}`); a failure is an HTTP status with a JSON string
(`"silence not found"`) or `{"code": 612, "message": ...}`. Both failures
become `APIError` with Alertmanager's words; a body that is not JSON at all (a
login page, a wrong URL) is `NotAnEnvelope`, for the client to name.

Lenient where it costs nothing: unknown fields are ignored, `null` lists are
empty, fields the spec requires but promdash does not need have defaults, and
a silence state promdash does not know is worked out from its times.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any, NoReturn, TypeVar, cast

import msgspec
from msgspec import Struct

from promdash.errors import APIError, BadResponseError, one_line
from promdash.prom.am_types import (
    AlertmanagerAlert,
    AlertmanagerState,
    AlertmanagerStatus,
    Matcher,
    Silence,
    SilenceState,
)
from promdash.prom.wire import NotAnEnvelope, describe
from promdash.timefmt import parse_rfc3339

T = TypeVar("T")
Labels = dict[str, str]


# ---------------------------------------------------------------- wire types


class _Matcher(Struct, rename="camel"):
    name: str
    value: str
    is_regex: bool
    is_equal: bool = True  # Alertmanager before 0.22 has no negative matchers


class _SilenceStatus(Struct):
    state: str


class _Silence(Struct, rename="camel"):
    id: str
    status: _SilenceStatus
    matchers: list[_Matcher]
    starts_at: str
    ends_at: str
    created_by: str = ""
    comment: str = ""
    updated_at: str = ""


class _AlertStatus(Struct, rename="camel"):
    state: str
    silenced_by: list[str] | None = None
    inhibited_by: list[str] | None = None


class _Receiver(Struct):
    name: str


class _Alert(Struct, rename="camel"):
    labels: Labels
    fingerprint: str
    status: _AlertStatus
    annotations: Labels | None = None
    receivers: list[_Receiver] | None = None
    starts_at: str = ""
    ends_at: str = ""
    updated_at: str = ""
    generator_url: str = msgspec.field(default="", name="generatorURL")


class _VersionInfo(Struct, rename="camel"):
    version: str
    revision: str = ""
    branch: str = ""
    go_version: str = ""


class _Cluster(Struct):
    status: str = ""


class _Status(Struct, rename="camel"):
    version_info: _VersionInfo
    cluster: _Cluster | None = None
    uptime: str = ""


class _SilenceID(Struct):
    silence_id: str = msgspec.field(name="silenceID")


class _ErrorBody(Struct):
    message: Any = ""
    error: Any = ""
    code: Any = None


_ALERTS = msgspec.json.Decoder(list[_Alert] | None)
_SILENCES = msgspec.json.Decoder(list[_Silence] | None)
_SILENCE = msgspec.json.Decoder(_Silence)
_STATUS = msgspec.json.Decoder(_Status)
_SILENCE_ID = msgspec.json.Decoder(_SilenceID)
_ERROR = msgspec.json.Decoder(str | _ErrorBody)


# ---------------------------------------------------------------- answers and failures


def _open(decoder: msgspec.json.Decoder[T], raw: bytes, endpoint: str, status: int) -> T:
    """The answer of a success; APIError for a failure Alertmanager explains."""
    if status >= 400:
        raise _api_error(raw, status)
    try:
        return decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise BadResponseError(endpoint, describe(exc)) from None
    except msgspec.DecodeError:
        raise NotAnEnvelope("not JSON") from None


def _api_error(raw: bytes, status: int) -> APIError:
    kind = f"Alertmanager answered HTTP {status}"
    if not raw.strip():  # a 404 for an unknown silence has no body at all
        return APIError(kind, "no reason given", status)
    try:
        body = _ERROR.decode(raw)
    except msgspec.ValidationError:
        body = None
    except msgspec.DecodeError:
        raise NotAnEnvelope("not JSON") from None
    if isinstance(body, str):
        return APIError(kind, body or "no reason given", status)
    if body is not None and (body.message or body.error):
        return APIError(kind, str(body.message or body.error), status)
    # JSON of another shape (a proxy's own error object): its text, bounded.
    return APIError(kind, one_line(raw.decode("utf-8", "replace"), 200), status)


def check_status(raw: bytes, endpoint: str = "/api/v2", status: int = 200) -> None:
    """An answer whose body does not matter (DELETE): only its status is checked."""
    if status >= 400:
        raise _api_error(raw, status)


def _bad(endpoint: str, path: str, problem: str) -> NoReturn:
    raise BadResponseError(endpoint, f"{path}: {problem}")


def _time(text: str, endpoint: str, path: str) -> datetime:
    moment = parse_rfc3339(text)
    if moment is None:
        shown = text if len(text) <= 40 else text[:39] + "…"
        _bad(endpoint, path, f"expected an RFC 3339 time, got {shown!r}")
    return moment


def _silence_state(given: str, starts_at: datetime, ends_at: datetime) -> SilenceState:
    if given in ("active", "pending", "expired"):
        return cast(SilenceState, given)
    now = time.time()
    if ends_at.timestamp() <= now:
        return "expired"
    return "pending" if starts_at.timestamp() > now else "active"


def _alert_state(given: str) -> AlertmanagerState:
    return cast(AlertmanagerState, given) if given in ("active", "suppressed") else "unprocessed"


# ---------------------------------------------------------------- one decoder per endpoint


def _silence(s: _Silence, endpoint: str, path: str) -> Silence:
    starts_at = _time(s.starts_at, endpoint, f"{path}.startsAt")
    ends_at = _time(s.ends_at, endpoint, f"{path}.endsAt")
    return Silence(
        id=s.id,
        matchers=[Matcher(m.name, m.value, m.is_regex, m.is_equal) for m in s.matchers],
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=s.created_by,
        comment=s.comment,
        state=_silence_state(s.status.state, starts_at, ends_at),
        updated_at=parse_rfc3339(s.updated_at),
    )


def decode_silences(
    raw: bytes, endpoint: str = "/api/v2/silences", status: int = 200
) -> list[Silence]:
    silences = _open(_SILENCES, raw, endpoint, status) or []
    return [_silence(s, endpoint, f"[{i}]") for i, s in enumerate(silences)]


def decode_silence(raw: bytes, endpoint: str = "/api/v2/silence", status: int = 200) -> Silence:
    return _silence(_open(_SILENCE, raw, endpoint, status), endpoint, "silence")


def decode_silence_id(raw: bytes, endpoint: str = "/api/v2/silences", status: int = 200) -> str:
    """The ID of the silence a POST created or updated."""
    answer = _open(_SILENCE_ID, raw, endpoint, status)
    if not answer.silence_id:
        _bad(endpoint, "silenceID", "empty")
    return answer.silence_id


def decode_alerts(
    raw: bytes, endpoint: str = "/api/v2/alerts", status: int = 200
) -> list[AlertmanagerAlert]:
    alerts = _open(_ALERTS, raw, endpoint, status) or []
    return [
        AlertmanagerAlert(
            fingerprint=a.fingerprint,
            labels=a.labels,
            annotations=a.annotations or {},
            state=_alert_state(a.status.state),
            silenced_by=list(a.status.silenced_by or ()),
            inhibited_by=list(a.status.inhibited_by or ()),
            receivers=[r.name for r in a.receivers or ()],
            starts_at=parse_rfc3339(a.starts_at),
            ends_at=parse_rfc3339(a.ends_at),
            updated_at=parse_rfc3339(a.updated_at),
            generator_url=a.generator_url,
        )
        for a in alerts
    ]


def decode_status(
    raw: bytes, endpoint: str = "/api/v2/status", status: int = 200
) -> AlertmanagerStatus:
    answer = _open(_STATUS, raw, endpoint, status)
    info = answer.version_info
    if not info.version:
        _bad(endpoint, "versionInfo.version", "empty")
    return AlertmanagerStatus(
        version=info.version,
        revision=info.revision,
        branch=info.branch,
        go_version=info.go_version,
        cluster=answer.cluster.status if answer.cluster else "",
        uptime=parse_rfc3339(answer.uptime),
    )


__all__ = [
    "check_status",
    "decode_alerts",
    "decode_silence",
    "decode_silence_id",
    "decode_silences",
    "decode_status",
]
