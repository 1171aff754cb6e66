"""The outbound HTTP guard for every call the tool makes: platform JWKS, AGS, NRPS, tokens,
dynamic registration and did:web.

`GuardedSession` is a drop-in `requests.Session`: it applies a default timeout, reads at most
`max_bytes` of any answer (also when the caller streams), follows at most a few redirects itself
and checks every destination before connecting: never a link-local or metadata address, never
from a public address to a private one, and no private or loopback address at all unless
OUTBOUND_ALLOW_PRIVATE is on (the default outside production, where the dev LMS is on loopback).
Each hop's host is resolved once, and the connection goes to the addresses that were checked
(TLS still names and verifies the host): a DNS that answers differently the second time (DNS
rebinding) cannot move the call to an address the check would have refused.

    from plugin.ops.outbound import outbound_session, fetch_json
    response = outbound_session().get(url)          # inside an app context
    keys = fetch_json(url, what="the platform's key set")
"""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import requests
from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.poolmanager import PoolManager

from ..errors import MicrocredError

MAX_REDIRECTS = 3
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(MicrocredError):
    """A call to another server that was refused or failed; the message says why in plain words."""

    code = "OUTBOUND"
    title = "Another server could not be reached"
    status = 502


def _never(ip: _IP) -> bool:
    # Link-local covers 169.254.169.254 (cloud metadata); no platform ever lives there.
    return ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved


def _private(ip: _IP) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or (ip.version == 6 and ip.ipv4_mapped is not None and _private(ip.ipv4_mapped))
    )


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def resolve(url: str) -> list[_IP]:
    """The addresses `url`'s host resolves to; OutboundError when it has none."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundError(f"{url!r} is not an http(s) address")
    try:
        return [ipaddress.ip_address(parts.hostname)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(parts.hostname, _port(parts), proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundError(f"the host name {parts.hostname!r} does not resolve") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def vet(url: str, *, allow_private: bool, from_public: bool = False) -> tuple[list[_IP], bool]:
    """The addresses `url`'s host resolves to, all allowed, and whether they are public;
    OutboundError when the guard forbids any of them."""
    host = urlsplit(url).hostname or url
    addresses = resolve(url)
    if any(_never(ip) for ip in addresses):
        raise OutboundError(f"{host} is a link-local or reserved address; calls there are refused")
    private = any(_private(ip) for ip in addresses)
    if private and from_public:
        raise OutboundError(
            f"a redirect from a public server to {host} (a private address) was refused"
        )
    if private and not allow_private:
        raise OutboundError(
            f"{host} is a private or loopback address; calls there are refused "
            "(set OUTBOUND_ALLOW_PRIVATE=true only for development)"
        )
    return addresses, not private


#: Vetted addresses by (host, port): what a hop's check approved, where its connection goes.
Pins = dict[tuple[str, int], list[str]]


def _pin_key(host: str, port: int) -> tuple[str, int]:
    return host.strip("[]").rstrip(".").lower(), port


class _PinnedConnectionMixin:
    """Connects to the addresses pinned for its host instead of resolving the name again."""

    pins: Pins
    _dns_host: str
    port: int

    def _new_conn(self) -> Any:
        host = self._dns_host
        addresses = self.pins.get(_pin_key(host, self.port))
        if not addresses:  # fail closed: nothing reaches the network unchecked
            raise NewConnectionError(
                self,  # type: ignore[arg-type]
                f"{host} was not checked by the outbound guard",
            )
        last: Exception | None = None
        for address in addresses:
            self._dns_host = address
            try:
                return super()._new_conn()  # type: ignore[misc]
            except (NewConnectionError, ConnectTimeoutError) as exc:
                last = exc  # the next address, as a resolving connection would try
            finally:
                self._dns_host = host  # TLS names and verifies the host, not the address
        raise last  # type: ignore[misc]


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinsToConnectionsMixin:
    """A pool that hands its manager's pins to every connection it opens."""

    pins: Pins

    def _new_conn(self) -> Any:
        conn = super()._new_conn()  # type: ignore[misc]
        conn.pins = self.pins
        return conn


class _PinnedHTTPPool(_PinsToConnectionsMixin, HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(_PinsToConnectionsMixin, HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _PinnedPoolManager(PoolManager):
    def __init__(self, pins: Pins, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pins = pins
        self.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}

    def _new_pool(self, scheme: str, host: str, port: int, request_context: Any = None) -> Any:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.pins = self.pins  # type: ignore[attr-defined]
        return pool


class _PinnedAdapter(HTTPAdapter):
    """requests' adapter whose connections go to the guard's pinned addresses."""

    def __init__(self, pins: Pins) -> None:
        self._pins = pins  # before HTTPAdapter.__init__, which builds the pool manager
        super().__init__()

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self.poolmanager = _PinnedPoolManager(
            self._pins, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )


class GuardedSession(requests.Session):
    """A `requests.Session` with timeouts, a size cap and destination checks on every hop."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_bytes: int = 1024 * 1024,
        allow_private: bool = False,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self.trust_env = False  # never route tokens through an ambient proxy setting
        self._pins: Pins = {}
        adapter = _PinnedAdapter(self._pins)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(
        self,
        method: str | bytes,
        url: str | bytes,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        """Send like `requests.Session.request`, guarded; raise OutboundError when refused."""
        method, url = str(method.decode() if isinstance(method, bytes) else method), str(url)
        kwargs.setdefault("timeout", self.timeout)
        follow = kwargs.pop("allow_redirects", True)
        kwargs.pop("stream", None)
        from_public = False
        deadline = time.monotonic() + _total(kwargs["timeout"]) * 2
        for _ in range(self.max_redirects + 1):
            addresses, public = vet(url, allow_private=self.allow_private, from_public=from_public)
            from_public = from_public or public
            parts = urlsplit(url)
            self._pins[_pin_key(parts.hostname or "", _port(parts))] = [str(ip) for ip in addresses]
            response = super().request(  # type: ignore[misc]  # args never carry these two
                method, url, *args, allow_redirects=False, stream=True, **kwargs
            )
            if not (follow and response.is_redirect):
                _read_capped(response, self.max_bytes, deadline, url)
                return response
            location = urljoin(url, response.headers.get("Location", ""))
            response.close()
            if response.status_code in (301, 302, 303) and method.upper() not in ("GET", "HEAD"):
                method = "GET"
                kwargs.pop("data", None)
                kwargs.pop("json", None)
            url = location
        raise OutboundError(f"more than {self.max_redirects} redirects starting at {url}")


def _total(timeout: Any) -> float:
    if isinstance(timeout, tuple):
        return float(sum(t or 0 for t in timeout))
    return float(timeout or 10)


def _read_capped(response: requests.Response, max_bytes: int, deadline: float, url: str) -> None:
    host = urlsplit(url).hostname
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        response.close()
        raise OutboundError(f"the answer from {host} is larger than {max_bytes // 1024} KB")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise OutboundError(f"the answer from {host} is larger than {max_bytes // 1024} KB")
            if time.monotonic() > deadline:
                raise OutboundError(f"{host} sent its answer too slowly")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise OutboundError(f"{host} did not finish its answer: {type(exc).__name__}") from exc
    finally:
        response.close()
    response._content = b"".join(chunks)  # later .content / .json() / iter_content read this
    setattr(response, "_content_consumed", True)  # noqa: B010 (requests keeps it private)


def outbound_session(app: Any = None) -> GuardedSession:
    """A guarded session configured from the app's settings (OUTBOUND_*)."""
    from .settings import load_ops_settings, ops_settings

    if app is None and not has_app_context():
        settings = load_ops_settings({}, "production")  # outside an app: the strict defaults
    else:
        settings = ops_settings(app or current_app._get_current_object())  # type: ignore[attr-defined]
    return GuardedSession(
        timeout=settings.outbound_timeout,
        max_bytes=settings.outbound_max_bytes,
        allow_private=settings.outbound_allow_private,
    )


def fetch_json(url: str, *, what: str, session: GuardedSession | None = None) -> Any:
    """GET a JSON document through the guard; OutboundError with `what` in plain words."""
    session = session or outbound_session()
    host = urlsplit(url).hostname
    try:
        response = session.get(url, headers={"Accept": "application/json"})
    except requests.Timeout as exc:
        raise OutboundError(f"{what} at {host} did not answer in time") from exc
    except requests.RequestException as exc:
        raise OutboundError(
            f"{what} at {host} could not be reached ({type(exc).__name__})"
        ) from exc
    if response.status_code != 200:
        raise OutboundError(f"{what} at {host} answered HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError as exc:
        raise OutboundError(f"{what} at {host} is not valid JSON") from exc
