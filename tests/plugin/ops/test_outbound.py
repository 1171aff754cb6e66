"""The outbound HTTP guard against a live local server: timeouts, size cap, redirects to
link-local or private addresses, and the development switch for loopback platforms."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from plugin.ops.outbound import GuardedSession, OutboundError, fetch_json, outbound_session
from tests.servers import LiveServer, live_server, start_server


@Request.application  # type: ignore[arg-type]
def _remote(request: Request) -> Response:
    path = request.path
    if path == "/jwks":
        return Response(json.dumps({"keys": [{"kid": "k1"}]}), mimetype="application/json")
    if path == "/big":
        return Response(b"x" * 300_000, mimetype="application/octet-stream")
    if path == "/big-chunked":
        return Response((b"y" * 50_000 for _ in range(10)), mimetype="application/json")
    if path == "/slow":
        time.sleep(1.5)
        return Response("{}", mimetype="application/json")
    if path == "/to-metadata":
        return Response("", 302, headers={"Location": "http://169.254.169.254/latest/meta-data"})
    if path == "/loop":
        return Response("", 302, headers={"Location": "/loop"})
    if path == "/to-jwks":
        return Response("", 303, headers={"Location": "/jwks"})
    return Response("not here", 404)


@pytest.fixture(scope="module")
def remote() -> Iterator[LiveServer]:
    server = start_server(_remote)
    yield server
    server.stop()


def _session(**kwargs: Any) -> GuardedSession:
    settings = {"timeout": 5.0, "max_bytes": 100_000, "allow_private": True, **kwargs}
    return GuardedSession(**settings)


def test_a_json_document_is_fetched_and_redirects_are_followed(remote: LiveServer) -> None:
    assert fetch_json(f"{remote.url}/jwks", what="keys", session=_session()) == {
        "keys": [{"kid": "k1"}]
    }
    assert _session().get(f"{remote.url}/to-jwks").json()["keys"][0]["kid"] == "k1"


def test_loopback_is_refused_unless_development_allows_it(remote: LiveServer) -> None:
    with pytest.raises(OutboundError, match="private or loopback address"):
        _session(allow_private=False).get(f"{remote.url}/jwks")


def test_a_redirect_to_the_metadata_address_is_refused(remote: LiveServer) -> None:
    with pytest.raises(OutboundError, match="link-local"):
        _session().get(f"{remote.url}/to-metadata")


def test_redirect_loops_stop(remote: LiveServer) -> None:
    with pytest.raises(OutboundError, match="more than 3 redirects"):
        _session().get(f"{remote.url}/loop")


@pytest.mark.parametrize("path", ["/big", "/big-chunked"])
def test_answers_over_the_size_cap_are_refused(remote: LiveServer, path: str) -> None:
    with pytest.raises(OutboundError, match="larger than 97 KB"):
        _session().get(f"{remote.url}{path}")


def test_a_server_that_does_not_answer_in_time_is_reported(remote: LiveServer) -> None:
    with pytest.raises(OutboundError, match="did not answer in time"):
        fetch_json(
            f"{remote.url}/slow", what="the platform's key set", session=_session(timeout=0.3)
        )


def test_errors_say_what_failed_in_plain_words(remote: LiveServer) -> None:
    with pytest.raises(
        OutboundError, match=r"the platform's key set at 127\.0\.0\.1 answered HTTP 404"
    ):
        fetch_json(f"{remote.url}/missing", what="the platform's key set", session=_session())


def test_the_app_session_follows_the_settings(make_app: Any, remote: LiveServer) -> None:
    app = make_app(
        OUTBOUND_ALLOW_PRIVATE="false", OUTBOUND_MAX_KB="64", OUTBOUND_TIMEOUT_SECONDS="2"
    )
    with app.app_context():
        session = outbound_session()
        assert (session.allow_private, session.max_bytes, session.timeout) == (False, 65536, 2.0)
        with pytest.raises(OutboundError, match="OUTBOUND_ALLOW_PRIVATE"):
            fetch_json(f"{remote.url}/jwks", what="keys")


class _Resolver:
    """A DNS that answers `first` for `name` once, then `later` (a rebinding attacker's DNS);
    every other name resolves as usual. Counts the lookups of `name`."""

    def __init__(self, name: str, first: str, later: str) -> None:
        self.name, self.answers, self.lookups = name, [first], 0
        self.later = later
        self.real = socket.getaddrinfo

    def __call__(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != self.name:
            return self.real(host, port, *args, **kwargs)
        self.lookups += 1
        address = self.answers.pop() if self.answers else self.later
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]


@Request.application  # type: ignore[arg-type]
def _rebound(request: Request) -> Response:
    return Response(json.dumps({"keys": [{"kid": "from-the-rebound-address"}]}))


def test_the_connection_goes_to_the_address_that_was_checked(
    remote: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard resolves a host once per hop and connects to that answer: a DNS that changes
    its answer between the check and the connection (rebinding) does not move the call."""
    port = int(remote.url.rsplit(":", 1)[1])
    with live_server(_rebound, host="127.0.0.2", port=port):
        resolver = _Resolver("platform.test", "127.0.0.1", "127.0.0.2")
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        keys = fetch_json(f"http://platform.test:{port}/jwks", what="keys", session=_session())
    assert keys == {"keys": [{"kid": "k1"}]}  # 127.0.0.1, the address that was checked
    assert resolver.lookups == 1


def test_a_host_rebound_to_a_private_address_after_the_check_is_not_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The attack itself: a public answer passes the check, the next answer is loopback. The
    call goes to the public address (unreachable here) and never to the local server."""
    seen: list[str] = []

    @Request.application  # type: ignore[arg-type]
    def local(request: Request) -> Response:
        seen.append(request.path)
        return Response("{}", mimetype="application/json")

    with live_server(local) as inside:
        port = int(inside.url.rsplit(":", 1)[1])
        resolver = _Resolver("rebind.test", "100.64.0.1", "127.0.0.1")  # shared space: public
        monkeypatch.setattr(socket, "getaddrinfo", resolver)
        with pytest.raises(OutboundError, match=r"could not be reached|did not answer in time"):
            fetch_json(
                f"http://rebind.test:{port}/secret",
                what="the platform's key set",
                session=_session(allow_private=False, timeout=1.0),
            )
    assert seen == []
