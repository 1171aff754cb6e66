#!/usr/bin/env python3
# ruff: noqa: E501  (a copy of the shared driver ../shared/tools/launch_bench.py: its long help
# strings and f-strings are kept as they are)
"""LTI 1.3 launch-throughput benchmark driver (plays the LMS / platform side).

Copied from ../shared/tools/launch_bench.py for tests/benchmarks/bench_launch.py, adapted:
unused variables removed and `ruff format` applied; `main(argv)` is called in-process by
bench_launch.py.

Point it at ANY LTI 1.3 tool reachable over HTTP on loopback.  For every
simulated launch it performs the real browser-visible flow:

  (a) OIDC third-party login initiation: GET (default) or POST to the tool's
      login URL with iss, login_hint, target_link_uri, lti_message_hint,
      client_id, lti_deployment_id;
  (b) reads the tool's answer until it reaches the platform authorisation
      request (HTTP 3xx Location, a JS/meta redirect, an auto-submitted form,
      or pylti1p3's "cookies allowed" check page, which is emulated the way its
      JavaScript would reload the page), and extracts state / nonce /
      redirect_uri from it;
  (c) builds and signs (RS256, with kid) an LtiResourceLinkRequest id_token
      (iss, aud, azp, sub, exp, iat, nonce, deployment_id, message_type,
      version 1.3.0, roles, resource_link, target_link_uri, context, AGS
      endpoint claim, NRPS claim, ...);
  (d) POSTs id_token + state (form_post) to redirect_uri, carrying the cookies
      the tool set during login (one cookie jar per simulated browser);
  (e) optionally GETs one follow-up page (--followup-url, or the Location of a
      3xx launch answer).

The driver generates its own RSA key (or loads/creates --key-file) and serves
its JWKS from a small threaded http.server in a separate process on
127.0.0.1:--jwks-port (so the key server does not compete with the load
threads for the driver's GIL).  The same server answers stub AGS / NRPS / token
endpoints so that the service URLs in the claims are real loopback URLs.

  JWKS:        http://127.0.0.1:<jwks-port>/jwks.json   (any path ending in jwks / jwks.json / certs)
  auth (stub): http://127.0.0.1:<jwks-port>/auth        (never actually called by the driver)
  token(stub): http://127.0.0.1:<jwks-port>/token

`--print-config` prints a pylti1p3-style registration JSON for the tool.

Cookies and "Secure" over plain http
------------------------------------
Python's http.cookiejar (used by requests) refuses to SEND cookies flagged
Secure to a non-https URL (DefaultCookiePolicy.return_ok_secure).  Browsers
treat loopback origins (http://127.0.0.0/8, http://localhost, http://[::1]) as
potentially trustworthy / secure contexts and DO send Secure cookies there.
A custom CookiePolicy on session.cookies does not help with requests, because
Session.prepare_request() copies the jar into a fresh RequestsCookieJar with
the default policy for every request.  So each session gets a
LoopbackSecureCookieJar, which clears the Secure flag of cookies stored for a
loopback host (127.0.0.0/8, localhost, ::1) at store time; cookies for other
hosts are untouched, and the Set-Cookie audit records the original flags.  SameSite is not enforced by
http.cookiejar at all; on loopback the LMS (this driver) and the tool share the
site 127.0.0.1, so a browser would send Lax/Strict cookies too.  The driver
therefore only *audits* the Set-Cookie attributes it sees and warns where a
real cross-site LMS deployment would lose a cookie (e.g. no SameSite=None on
the cookies needed by the cross-site form_post launch).

Measurement
-----------
* launches/s = successful launches / wall time of the measured phase
  (first launch start .. last launch end), after --warmup launches.
* latency p50/p95/p99 of the whole flow (login hops + launch POST +
  follow-up) and of the launch POST alone (successful launches).
* tool CPU: utime+stime (+cutime+cstime) from /proc/<pid>/stat, summed over
  each --pids process and all its descendants, before vs. after the measured
  phase; divided by successful launches -> tool CPU ms per launch.  Also
  reported: the driver's own CPU, the JWKS server's CPU, and whole-machine CPU
  utilisation from /proc/stat (driver and tool share the same cores!).

Each simulated user (thread) keeps one requests.Session (connection pool); by
default its cookie jar is cleared before every launch (each launch = a fresh
browser visit).  --keep-cookies keeps the jar across launches instead.

Requirements: Python >= 3.9, requests, cryptography.  Linux (/proc) for CPU.

Example:
  python launch_bench.py --login-url http://127.0.0.1:5101/login/ \\
      --launch-url http://127.0.0.1:5101/launch/ \\
      --target-link-uri http://127.0.0.1:5101/launch/ \\
      --issuer http://127.0.0.1:5150 --client-id bench-client \\
      --deployment-id bench-deployment --jwks-port 5150 \\
      --users 8 --launches 2000 --warmup 200 --pids <gunicorn master pid>
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import http.cookiejar
import http.server
import ipaddress
import json
import multiprocessing as mp
import os
import re
import socketserver
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

try:
    import requests
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError as exc:  # pragma: no cover
    sys.exit(f"launch_bench.py needs 'requests' and 'cryptography': {exc}")

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


# --------------------------------------------------------------------------
# keys / JWT
# --------------------------------------------------------------------------
def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def int_b64u(n: int) -> str:
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def load_or_make_key(path: str | None):
    if path and os.path.exists(path):
        with open(path, "rb") as fh:
            return serialization.load_pem_private_key(fh.read(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if path:
        with open(path, "wb") as fh:
            fh.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
    return key


def public_jwk(key) -> dict:
    pub = key.public_key().public_numbers()
    e, n = int_b64u(pub.e), int_b64u(pub.n)
    # RFC 7638 thumbprint as kid: stable for a persisted --key-file.
    thumb = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    kid = b64u(hashlib.sha256(thumb.encode()).digest())
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "e": e, "n": n}


def sign_rs256(key, kid: str, claims: dict) -> str:
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = (
        b64u(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64u(json.dumps(claims, separators=(",", ":")).encode())
    )
    sig = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64u(sig)


# --------------------------------------------------------------------------
# platform-side HTTP server (JWKS + stubs), run in its own process
# --------------------------------------------------------------------------
def _jwks_server_main(port: int, jwks: dict, counters, ready) -> None:
    body_jwks = json.dumps(jwks).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def _send(self, code, body: bytes, ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            path = urlsplit(self.path).path.rstrip("/")
            if path.endswith(("jwks", "jwks.json", "certs", "keys")):
                with counters["jwks"].get_lock():
                    counters["jwks"].value += 1
                return self._send(200, body_jwks)
            with counters["other"].get_lock():
                counters["other"].value += 1
            if "lineitems" in path:
                return self._send(200, b"[]", "application/vnd.ims.lis.v2.lineitemcontainer+json")
            if "memberships" in path:
                return self._send(
                    200,
                    json.dumps({"id": self.path, "members": []}).encode(),
                    "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                )
            if path.endswith("/auth"):
                return self._send(
                    400, b'{"error":"launch_bench intercepts the auth request; not served"}'
                )
            return self._send(404, b'{"error":"not found"}')

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            with counters["other"].get_lock():
                counters["other"].value += 1
            path = urlsplit(self.path).path.rstrip("/")
            if path.endswith("token"):
                return self._send(
                    200,
                    json.dumps(
                        {
                            "access_token": uuid.uuid4().hex,
                            "token_type": "Bearer",
                            "expires_in": 3600,
                            "scope": "",
                        }
                    ).encode(),
                )
            return self._send(200, b"{}")

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 256

    srv = Server(("127.0.0.1", port), Handler)
    ready.set()
    srv.serve_forever(poll_interval=0.2)


# --------------------------------------------------------------------------
# cookies
# --------------------------------------------------------------------------
def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LoopbackSecureCookieJar(requests.cookies.RequestsCookieJar):
    """Cookie jar that behaves like a browser on loopback http origins.

    Browsers treat http://127.0.0.0/8, http://localhost and http://[::1] as
    secure contexts and send Secure cookies there; http.cookiejar's
    DefaultCookiePolicy.return_ok_secure refuses to.  Overriding the policy
    does NOT work with requests: Session.prepare_request() copies the session
    jar into a fresh RequestsCookieJar (default policy) for every request
    (sessions.merge_cookies), so a custom policy is silently dropped.  This jar
    therefore clears the Secure flag when a cookie for a loopback host is
    stored (the Set-Cookie audit keeps the original attributes), so the stock
    policy sends it over http exactly as a browser would on loopback.  Cookies
    for any other host are untouched."""

    def set_cookie(self, cookie, *args, **kwargs):
        dom = (cookie.domain or "").lstrip(".")
        if dom.endswith(".local"):  # http.cookiejar stores "localhost" as "localhost.local"
            dom = dom[: -len(".local")]
        if cookie.secure and _is_loopback(dom):
            cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def audit_set_cookies(resp_list) -> list[dict]:
    """Parse raw Set-Cookie headers of the given responses."""
    seen = []
    for r in resp_list:
        try:
            raw = r.raw.headers.getlist("Set-Cookie")  # urllib3 HTTPHeaderDict
        except Exception:
            raw = [r.headers.get("Set-Cookie")] if r.headers.get("Set-Cookie") else []
        for sc in raw:
            parts = [p.strip() for p in sc.split(";")]
            name = parts[0].split("=", 1)[0]
            attrs = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                attrs[k.strip().lower()] = v.strip() or True
            seen.append(
                {
                    "url_path": urlsplit(r.url).path,
                    "name": name,
                    "secure": "secure" in attrs,
                    "httponly": "httponly" in attrs,
                    "samesite": attrs.get("samesite"),
                    "path": attrs.get("path"),
                    "max_age": attrs.get("max-age"),
                }
            )
    return seen


def cookie_warnings(audit: list[dict]) -> list[str]:
    out = []
    for c in audit:
        ss = c["samesite"]
        if not (isinstance(ss, str) and ss.lower() == "none"):
            out.append(
                f"cookie {c['name']!r} (set at {c['url_path']}) has SameSite={ss or 'unset'}: a browser "
                f"on a real cross-site LMS would not send it with the cross-site form_post launch "
                f"(Chrome: unset = Lax, with only a 2-minute Lax+POST grace). On loopback the driver "
                f"and tool are same-site, so it is sent here."
            )
        elif not c["secure"]:
            out.append(
                f"cookie {c['name']!r}: SameSite=None without Secure is rejected by browsers."
            )
    return out


# --------------------------------------------------------------------------
# one launch
# --------------------------------------------------------------------------
class LaunchError(Exception):
    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind, self.detail = kind, detail


_RE_PYLTI_PARAMS = re.compile(r"var\s+urlParams\s*=\s*(\{.*?\});", re.S)
_RE_JS_LOC = re.compile(r"""(?:window|document|top)\.location(?:\.href)?\s*=\s*["']([^"']+)["']""")
_RE_META = re.compile(
    r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]+content=["'][^"']*url=([^"'>]+)""", re.I
)
_RE_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)
_RE_ATTR = re.compile(r"""(\w[\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_RE_INPUT = re.compile(r"<input\b([^>]*)>", re.I)


def _attrs(s: str) -> dict:
    return {
        m.group(1).lower(): html.unescape(
            m.group(2)
            if m.group(2) is not None
            else m.group(3)
            if m.group(3) is not None
            else m.group(4)
        )
        for m in _RE_ATTR.finditer(s)
    }


def _is_auth_request(params: dict) -> bool:
    return "redirect_uri" in params and "state" in params


def _qs(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


class Flow:
    def __init__(self, cfg, key, jwk):
        self.cfg, self.key, self.kid = cfg, key, jwk["kid"]
        self.platform = f"http://127.0.0.1:{cfg.jwks_port}"
        self.extra_headers = dict(h.split(":", 1) for h in cfg.header) if cfg.header else {}
        self.extra_headers = {k.strip(): v.strip() for k, v in self.extra_headers.items()}

    def new_session(self) -> requests.Session:
        s = requests.Session()
        s.cookies = LoopbackSecureCookieJar()
        s.headers.update({"User-Agent": "launch_bench/1.0 (LTI 1.3 platform simulator)"})
        s.headers.update(self.extra_headers)
        return s

    def _get(self, s, url, **kw):
        return s.get(url, allow_redirects=False, timeout=self.cfg.timeout, **kw)

    def _post(self, s, url, data, **kw):
        return s.post(url, data=data, allow_redirects=False, timeout=self.cfg.timeout, **kw)

    def login(self, s, login_params, responses):
        """Steps (a)+(b): returns dict of auth-request params and #hops."""
        cfg = self.cfg
        if cfg.login_method == "POST":
            r = self._post(s, cfg.login_url, login_params)
        else:
            r = self._get(
                s, cfg.login_url + ("&" if "?" in cfg.login_url else "?") + urlencode(login_params)
            )
        hops = 1
        responses.append(r)
        for _ in range(6):
            nxt = None  # (method, url, data)
            if r.status_code in (301, 302, 303, 307, 308):
                loc = urljoin(r.url, r.headers.get("Location", ""))
                q = _qs(loc)
                if _is_auth_request(q):
                    return q, hops
                nxt = ("GET", loc, None)
            elif r.status_code == 200:
                body = r.text
                m = _RE_PYLTI_PARAMS.search(body)
                forms = _RE_FORM.findall(body)
                if m:  # pylti1p3 CookiesAllowedCheckPage: emulate getUpdatedUrl()
                    params = {k: html.unescape(v) for k, v in json.loads(m.group(1)).items()}
                    u = urlsplit(r.url)
                    search = ("?" + u.query) if u.query else ""
                    add = [
                        f"{k}={requests.utils.quote(v, safe='')}"
                        for k, v in params.items()
                        if (k + "=") not in search
                    ]
                    search = (search + "&" if search else "?") + "&".join(add)
                    nxt = ("GET", f"{u.scheme}://{u.netloc}{u.path}{search}", None)
                elif forms:
                    fattrs, inner = _attrs(forms[0][0]), forms[0][1]
                    fields = {}
                    for inp in _RE_INPUT.findall(inner):
                        a = _attrs(inp)
                        if "name" in a:
                            fields[a["name"]] = a.get("value", "")
                    action = urljoin(r.url, fattrs.get("action", r.url))
                    if _is_auth_request(fields):
                        return fields, hops
                    q = _qs(action)
                    if _is_auth_request(q):
                        return q, hops
                    nxt = (fattrs.get("method", "GET").upper(), action, fields)
                else:
                    m2 = _RE_JS_LOC.search(body) or _RE_META.search(body)
                    if m2:
                        loc = urljoin(r.url, html.unescape(m2.group(1)).strip())
                        q = _qs(loc)
                        if _is_auth_request(q):
                            return q, hops
                        nxt = ("GET", loc, None)
            if nxt is None:
                raise LaunchError(
                    f"login: unexpected HTTP {r.status_code}",
                    f"{r.request.method} {r.url}\n{r.text[:400]}",
                )
            method, url, data = nxt
            if urlsplit(url).netloc != urlsplit(cfg.login_url).netloc:
                raise LaunchError(
                    "login: redirected off-tool without an auth request", f"to {url[:300]}"
                )
            r = self._post(s, url, data) if method == "POST" else self._get(s, url)
            hops += 1
            responses.append(r)
        raise LaunchError("login: too many hops", r.url)

    def claims(self, auth: dict, user_no: int, launch_no: int) -> dict:
        cfg = self.cfg
        now = int(time.time())
        sub = f"bench-user-{user_no}"
        ctx = f"bench-course-{launch_no % max(1, cfg.contexts)}"
        rl = f"bench-rl-{launch_no % max(1, cfg.contexts)}"
        return {
            "iss": cfg.issuer,
            "aud": cfg.client_id,
            "azp": cfg.client_id,
            "sub": sub,
            "exp": now + 300,
            "iat": now,
            "nonce": auth["nonce"],
            "name": f"Bench User {user_no}",
            "given_name": "Bench",
            "family_name": f"User {user_no}",
            "email": f"{sub}@example.invalid",
            LTI + "deployment_id": cfg.deployment_id,
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "version": "1.3.0",
            LTI + "roles": [cfg.role],
            LTI + "target_link_uri": cfg.target_link_uri,
            LTI + "resource_link": {"id": rl, "title": "Bench activity"},
            LTI + "context": {
                "id": ctx,
                "label": "BENCH",
                "title": "Benchmark course",
                "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
            },
            LTI + "tool_platform": {
                "guid": "launch-bench",
                "name": "launch_bench",
                "product_family_code": "launch_bench",
                "version": "1.0",
            },
            LTI + "launch_presentation": {
                "document_target": "iframe",
                "locale": "en",
                "return_url": f"{self.platform}/return",
            },
            LTI + "custom": {},
            AGS: {
                "scope": [
                    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
                    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
                ],
                "lineitems": f"{self.platform}/ags/{ctx}/lineitems",
                "lineitem": f"{self.platform}/ags/{ctx}/lineitems/{rl}",
            },
            NRPS: {
                "context_memberships_url": f"{self.platform}/nrps/{ctx}/memberships",
                "service_versions": ["2.0"],
            },
        }

    def run_one(self, s, user_no: int, launch_no: int, want_audit=False) -> dict:
        cfg = self.cfg
        rec = {
            "ok": False,
            "t_total": None,
            "t_login": None,
            "t_launch": None,
            "t_follow": None,
            "hops": 0,
            "err": None,
            "detail": None,
        }
        responses = []
        if not cfg.keep_cookies:
            s.cookies.clear()
        t0 = time.monotonic()
        rec["start"] = t0
        try:
            login_params = {
                "iss": cfg.issuer,
                "login_hint": f"bench-user-{user_no}",
                "target_link_uri": cfg.target_link_uri,
                "lti_message_hint": f"rl-{launch_no}",
                "client_id": cfg.client_id,
                "lti_deployment_id": cfg.deployment_id,
            }
            auth, hops = self.login(s, login_params, responses)
            rec["hops"] = hops
            t1 = time.monotonic()
            rec["t_login"] = t1 - t0
            # checks on the auth request
            if not auth.get("nonce"):
                raise LaunchError("auth request: missing nonce")
            if auth.get("client_id") not in (None, cfg.client_id):
                raise LaunchError("auth request: wrong client_id", auth.get("client_id"))
            if cfg.launch_url and auth["redirect_uri"] != cfg.launch_url:
                raise LaunchError(
                    "auth request: redirect_uri != --launch-url", auth["redirect_uri"]
                )
            if auth.get("login_hint") not in (None, login_params["login_hint"]):
                raise LaunchError("auth request: login_hint not echoed", auth.get("login_hint"))
            # (c) id_token
            token = sign_rs256(self.key, self.kid, self.claims(auth, user_no, launch_no))
            # (d) launch POST
            t2 = time.monotonic()
            r = self._post(s, auth["redirect_uri"], {"id_token": token, "state": auth["state"]})
            t3 = time.monotonic()
            responses.append(r)
            rec["t_launch"] = t3 - t2
            if not (200 <= r.status_code < 400):
                raise LaunchError(f"launch: HTTP {r.status_code}", r.text[:600])
            if cfg.expect_text and r.status_code < 300 and cfg.expect_text not in r.text:
                raise LaunchError("launch: --expect-text not in response", r.text[:600])
            # (e) follow-up
            follow = cfg.followup_url
            if not follow and r.status_code in (301, 302, 303, 307, 308) and cfg.follow_redirect:
                follow = urljoin(r.url, r.headers.get("Location", ""))
            if follow:
                t4 = time.monotonic()
                r2 = s.get(follow, allow_redirects=True, timeout=cfg.timeout)
                rec["t_follow"] = time.monotonic() - t4
                if r2.status_code >= 400:
                    raise LaunchError(
                        f"follow-up: HTTP {r2.status_code}", f"{follow}\n{r2.text[:400]}"
                    )
            rec["ok"] = True
        except LaunchError as e:
            rec["err"], rec["detail"] = e.kind, e.detail
        except requests.RequestException as e:
            rec["err"], rec["detail"] = f"transport: {type(e).__name__}", str(e)[:400]
        except Exception as e:  # driver bug -> still counted, shown
            rec["err"], rec["detail"] = f"driver: {type(e).__name__}", traceback.format_exc()[-600:]
        rec["end"] = time.monotonic()
        rec["t_total"] = rec["end"] - t0
        if want_audit:
            rec["audit"] = audit_set_cookies(responses)
        return rec


# --------------------------------------------------------------------------
# load phases
# --------------------------------------------------------------------------
def _thread_loop(flow, user_no, counter, limit, deadline, out, audit_first):
    s = flow.new_session()
    try:
        while True:
            with counter.get_lock():
                if (limit and counter.value >= limit) or (
                    deadline and time.monotonic() >= deadline
                ):
                    return
                counter.value += 1
                n = counter.value
            uid = (n % flow.cfg.user_pool) if flow.cfg.user_pool else user_no
            rec = flow.run_one(s, uid, n, want_audit=(audit_first and n == 1))
            out.append(rec)
    finally:
        s.close()


def _proc_main(flow, first_user, n_threads, counter, limit, deadline, q, audit_first):
    recs = []
    ths = [
        threading.Thread(
            target=_thread_loop,
            args=(flow, first_user + i, counter, limit, deadline, recs, audit_first),
            daemon=True,
        )
        for i in range(n_threads)
    ]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    q.put(recs)


def run_phase(flow, users, procs, limit=None, duration=None, audit_first=False):
    counter = mp.Value("q", 0)
    deadline = (time.monotonic() + duration) if duration else None
    if procs <= 1:
        recs = []
        ths = [
            threading.Thread(
                target=_thread_loop,
                args=(flow, i, counter, limit, deadline, recs, audit_first),
                daemon=True,
            )
            for i in range(users)
        ]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        return recs, [os.getpid()]
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    per = [users // procs + (1 if i < users % procs else 0) for i in range(procs)]
    ps, first = [], 0
    for n in per:
        if n == 0:
            continue
        p = ctx.Process(
            target=_proc_main, args=(flow, first, n, counter, limit, deadline, q, audit_first)
        )
        p.start()
        ps.append(p)
        first += n
    recs = []
    for _ in ps:
        recs.extend(q.get())
    for p in ps:
        p.join()
    return recs, [os.getpid()]


# --------------------------------------------------------------------------
# /proc CPU accounting
# --------------------------------------------------------------------------
def _read_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            data = fh.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2 :].split()
    # fields after comm: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17)
    return {
        "ppid": int(rest[1]),
        "ticks": int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14]),
        "sys_ticks": int(rest[12]) + int(rest[14]),
    }


def proc_tree(roots):
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _read_stat(d)
            if st:
                children.setdefault(st["ppid"], []).append(int(d))
    seen, stack = set(), [int(r) for r in roots]
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        stack.extend(children.get(p, []))
    return seen


def tree_cpu_seconds(roots, exclude=()):
    total, _, pids = tree_cpu_split(roots, exclude)
    return total, pids


def tree_cpu_split(roots, exclude=()):
    """CPU seconds of a process tree: (user + kernel, kernel alone, pids)."""
    total = kernel = 0
    pids = proc_tree(roots) - set(exclude)
    for p in pids:
        st = _read_stat(p)
        if st:
            total += st["ticks"]
            kernel += st["sys_ticks"]
    return total / CLK_TCK, kernel / CLK_TCK, sorted(pids)


def system_cpu():
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    idle = f[3] + (f[4] if len(f) > 4 else 0)
    return sum(f), idle


# --------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------
def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    k = (len(sorted_vals) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (k - lo)


def lat_summary(vals):
    v = sorted(x * 1000.0 for x in vals if x is not None)
    if not v:
        return None
    return {
        "n": len(v),
        "mean_ms": round(sum(v) / len(v), 2),
        "p50_ms": round(pct(v, 50), 2),
        "p95_ms": round(pct(v, 95), 2),
        "p99_ms": round(pct(v, 99), 2),
        "max_ms": round(v[-1], 2),
    }


def build_parser():
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--login-url", required=True, help="tool OIDC login initiation URL")
    ap.add_argument("--launch-url", help="expected redirect_uri (launch URL); checked if given")
    ap.add_argument("--target-link-uri", help="target_link_uri (default: --launch-url)")
    ap.add_argument("--issuer", help="platform issuer (default http://127.0.0.1:<jwks-port>)")
    ap.add_argument("--client-id", default="launch-bench-client")
    ap.add_argument("--deployment-id", default="launch-bench-deployment")
    ap.add_argument(
        "--jwks-port", type=int, default=5150, help="loopback port for the driver's JWKS server"
    )
    ap.add_argument(
        "--key-file", help="PEM private key to use; created if missing (default: ephemeral key)"
    )
    ap.add_argument("--users", type=int, default=8, help="concurrent simulated users")
    ap.add_argument("--launches", type=int, help="measured launches (total over all users)")
    ap.add_argument("--duration", type=float, help="measured seconds (instead of --launches)")
    ap.add_argument(
        "--warmup", type=int, default=100, help="unmeasured warm-up launches (default 100)"
    )
    ap.add_argument(
        "--procs", type=int, default=1, help="driver processes to spread the user threads over"
    )
    ap.add_argument(
        "--pids",
        type=int,
        nargs="*",
        default=[],
        help="tool server PIDs; CPU summed over each and all its descendants",
    )
    ap.add_argument("--login-method", choices=["GET", "POST"], default="GET")
    ap.add_argument("--followup-url", help="GET this URL after each successful launch (e)")
    ap.add_argument(
        "--no-follow-redirect",
        dest="follow_redirect",
        action="store_false",
        help="do not GET the Location of a 3xx launch answer",
    )
    ap.add_argument(
        "--expect-text", help="substring a 2xx launch answer must contain to count as success"
    )
    ap.add_argument("--role", default="http://purl.imsglobal.org/vocab/lis/v2/membership#Learner")
    ap.add_argument(
        "--user-pool",
        type=int,
        default=100,
        help="distinct sub/login_hint values (0: one per thread)",
    )
    ap.add_argument("--contexts", type=int, default=10, help="distinct context/resource_link ids")
    ap.add_argument(
        "--keep-cookies", action="store_true", help="keep each user's cookie jar across launches"
    )
    ap.add_argument(
        "--header",
        action="append",
        help="extra request header 'Name: value' (e.g. X-Forwarded-Proto: https)",
    )
    ap.add_argument("--timeout", type=float, default=30.0, help="per-request timeout, s")
    ap.add_argument(
        "--show-errors", type=int, default=3, help="how many first errors to print in full"
    )
    ap.add_argument(
        "--print-config", action="store_true", help="print a pylti1p3 registration JSON and exit"
    )
    ap.add_argument(
        "--serve-only",
        type=float,
        metavar="SECONDS",
        help="only serve the JWKS for SECONDS (for manual tests), then exit",
    )
    ap.add_argument("--label", default="", help="free text label copied into the JSON result")
    ap.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="PATH",
        help="write machine-readable JSON result to PATH (or stdout if no PATH)",
    )
    return ap


def main(argv=None):
    cfg = build_parser().parse_args(argv)
    if not (1024 <= cfg.jwks_port <= 65535):
        sys.exit("--jwks-port out of range")
    cfg.issuer = cfg.issuer or f"http://127.0.0.1:{cfg.jwks_port}"
    cfg.target_link_uri = cfg.target_link_uri or cfg.launch_url or cfg.login_url
    if not cfg.launches and not cfg.duration and not cfg.print_config and not cfg.serve_only:
        cfg.launches = 1000
    for u in (cfg.login_url, cfg.launch_url):
        if u and not _is_loopback(urlsplit(u).hostname):
            sys.exit(
                f"refusing non-loopback target {u!r}: this benchmark only drives tools on loopback"
            )

    key = load_or_make_key(cfg.key_file)
    jwk = public_jwk(key)
    jwks = {"keys": [jwk]}
    platform = f"http://127.0.0.1:{cfg.jwks_port}"

    if cfg.print_config:
        print(
            json.dumps(
                {
                    cfg.issuer: [
                        {
                            "default": True,
                            "client_id": cfg.client_id,
                            "auth_login_url": f"{platform}/auth",
                            "auth_token_url": f"{platform}/token",
                            "key_set_url": f"{platform}/jwks.json",
                            "key_set": None,
                            "private_key_file": "private.key",
                            "public_key_file": "public.key",
                            "deployment_ids": [cfg.deployment_id],
                        }
                    ]
                },
                indent=2,
            )
        )
        print(
            "# public JWK (only needed if the tool is given the key set inline):", file=sys.stderr
        )
        print("# " + json.dumps(jwk), file=sys.stderr)
        return 0

    counters = {"jwks": mp.Value("q", 0), "other": mp.Value("q", 0)}
    ready = mp.get_context("fork").Event()
    srv = mp.get_context("fork").Process(
        target=_jwks_server_main, args=(cfg.jwks_port, jwks, counters, ready), daemon=True
    )
    srv.start()
    if not ready.wait(10):
        srv.terminate()
        sys.exit("JWKS server did not start (port in use?)")
    try:
        if cfg.serve_only:
            print(
                f"serving {platform}/jwks.json for {cfg.serve_only}s (pid {srv.pid})",
                file=sys.stderr,
            )
            time.sleep(cfg.serve_only)
            return 0
        return _bench(cfg, key, jwk, counters, srv)
    finally:
        srv.terminate()
        srv.join(5)


def _bench(cfg, key, jwk, counters, srv):
    flow = Flow(cfg, key, jwk)
    log = (lambda *a: print(*a, file=sys.stderr)) if cfg.json == "-" else print

    # smoke launch (also collects the cookie audit)
    s = flow.new_session()
    smoke = flow.run_one(s, 0, 0, want_audit=True)
    s.close()
    audit = smoke.get("audit", [])
    if not smoke["ok"]:
        log(f"smoke launch FAILED: {smoke['err']}\n{smoke['detail']}")
    if cfg.warmup:
        run_phase(flow, cfg.users, cfg.procs, limit=cfg.warmup)

    me = os.getpid()
    tool_before, tool_sys_before, _ = tree_cpu_split(cfg.pids) if cfg.pids else (None, None, [])
    srv_before, _ = tree_cpu_seconds([srv.pid])
    drv_before, _ = tree_cpu_seconds([me], exclude=proc_tree([srv.pid]))
    sys_before = system_cpu()
    jwks_before = counters["jwks"].value
    w0 = time.monotonic()
    recs, _ = run_phase(flow, cfg.users, cfg.procs, limit=cfg.launches, duration=cfg.duration)
    w1 = time.monotonic()
    # driver worker processes (procs>1) have been reaped: their CPU is in our cutime
    drv_after, _ = tree_cpu_seconds([me], exclude=proc_tree([srv.pid]))
    srv_after, _ = tree_cpu_seconds([srv.pid])
    tool_after, tool_sys_after, tool_pids_after = (
        tree_cpu_split(cfg.pids) if cfg.pids else (None, None, [])
    )
    sys_after = system_cpu()
    jwks_hits = counters["jwks"].value - jwks_before

    ok = [r for r in recs if r["ok"]]
    errs = [r for r in recs if not r["ok"]]
    wall = (max(r["end"] for r in recs) - min(r["start"] for r in recs)) if recs else (w1 - w0)
    err_kinds = {}
    for r in errs:
        err_kinds[r["err"]] = err_kinds.get(r["err"], 0) + 1
    tot_d, idle_d = sys_after[0] - sys_before[0], sys_after[1] - sys_before[1]
    ncpu = os.cpu_count() or 1
    result = {
        "label": cfg.label,
        "target": {
            "login_url": cfg.login_url,
            "launch_url": cfg.launch_url,
            "issuer": cfg.issuer,
            "client_id": cfg.client_id,
            "deployment_id": cfg.deployment_id,
            "login_method": cfg.login_method,
            "extra_headers": cfg.header or [],
        },
        "params": {
            "users": cfg.users,
            "procs": cfg.procs,
            "launches": cfg.launches,
            "duration": cfg.duration,
            "warmup": cfg.warmup,
            "keep_cookies": cfg.keep_cookies,
            "followup_url": cfg.followup_url,
        },
        "attempted": len(recs),
        "succeeded": len(ok),
        "errors": len(errs),
        "error_rate": round(len(errs) / len(recs), 4) if recs else None,
        "wall_s": round(wall, 3),
        "launches_per_s": round(len(ok) / wall, 2) if wall > 0 else None,
        "attempts_per_s": round(len(recs) / wall, 2) if wall > 0 else None,
        "latency_flow": lat_summary(r["t_total"] for r in ok),
        "latency_login": lat_summary(r["t_login"] for r in ok),
        "latency_launch_post": lat_summary(r["t_launch"] for r in ok),
        "latency_followup": lat_summary(r["t_follow"] for r in ok),
        "login_hops_per_launch": round(sum(r["hops"] for r in ok) / len(ok), 2) if ok else None,
        "jwks_fetches": jwks_hits,
        "jwks_fetches_per_attempt": round(jwks_hits / len(recs), 3) if recs else None,
        "tool_cpu": None,
        "driver_cpu_s": round(drv_after - drv_before, 3),
        "driver_cpu_ms_per_attempt": round((drv_after - drv_before) * 1000 / len(recs), 3)
        if recs
        else None,
        "jwks_server_cpu_s": round(srv_after - srv_before, 3),
        "machine_cpus": ncpu,
        "machine_cpu_util_pct": round(100.0 * (tot_d - idle_d) / tot_d, 1) if tot_d else None,
        # busy CPU-seconds on the whole machine not accounted to tool, driver or JWKS server:
        # other processes competing for the same cores (noise indicator)
        "other_cpu_s": round(
            (tot_d - idle_d) / CLK_TCK
            - (drv_after - drv_before)
            - (srv_after - srv_before)
            - ((tool_after - tool_before) if cfg.pids else 0),
            3,
        ),
        "errors_by_kind": err_kinds,
        "first_errors": [
            {"kind": r["err"], "detail": r["detail"]} for r in errs[: cfg.show_errors]
        ],
        "smoke_ok": smoke["ok"],
        "cookie_audit": audit,
        "cookie_warnings": cookie_warnings(audit),
    }
    if cfg.pids:
        dt = tool_after - tool_before
        result["tool_cpu"] = {
            "pids_root": cfg.pids,
            "pids_tree": tool_pids_after,
            "cpu_s": round(dt, 3),
            "cpu_ms_per_launch": round(dt * 1000 / len(ok), 3) if ok else None,
            "cpu_ms_per_attempt": round(dt * 1000 / len(recs), 3) if recs else None,
            "kernel_share": round((tool_sys_after - tool_sys_before) / dt, 3) if dt > 0 else None,
            "cores_busy": round(dt / wall, 2) if wall > 0 else None,
        }

    if cfg.json:
        txt = json.dumps(result, indent=2)
        if cfg.json == "-":
            print(txt)
        else:
            with open(cfg.json, "w") as fh:
                fh.write(txt + "\n")
    if cfg.json != "-":
        _print_human(result)
    return 0 if ok else 1


def _print_human(r):
    def lat(name, d):
        if d:
            print(
                f"  {name:<13} p50 {d['p50_ms']:8.2f} ms  p95 {d['p95_ms']:8.2f} ms  "
                f"p99 {d['p99_ms']:8.2f} ms  max {d['max_ms']:8.2f} ms  (n={d['n']})"
            )

    print(f"== launch_bench {r['label']}".rstrip())
    print(
        f"  attempted {r['attempted']}  ok {r['succeeded']}  errors {r['errors']} "
        f"({(r['error_rate'] or 0) * 100:.1f}%)  wall {r['wall_s']} s  users {r['params']['users']}"
    )
    print(f"  launches/s   {r['launches_per_s']}   (attempts/s {r['attempts_per_s']})")
    lat("whole flow", r["latency_flow"])
    lat("login", r["latency_login"])
    lat("launch POST", r["latency_launch_post"])
    lat("follow-up", r["latency_followup"])
    print(
        f"  login hops/launch {r['login_hops_per_launch']}   JWKS fetches/attempt {r['jwks_fetches_per_attempt']}"
    )
    t = r["tool_cpu"]
    if t:
        print(
            f"  tool CPU     {t['cpu_s']} s over pids {t['pids_tree']}: {t['cpu_ms_per_launch']} ms/launch "
            f"({t['cpu_ms_per_attempt']} ms/attempt, {t['cores_busy']} cores busy, "
            f"{round((t['kernel_share'] or 0) * 100)}% in the kernel)"
        )
    print(
        f"  driver CPU   {r['driver_cpu_s']} s ({r['driver_cpu_ms_per_attempt']} ms/attempt), "
        f"JWKS server {r['jwks_server_cpu_s']} s; machine {r['machine_cpu_util_pct']}% of {r['machine_cpus']} CPUs, "
        f"other processes {r['other_cpu_s']} CPU-s"
    )
    if r["errors_by_kind"]:
        print("  errors by kind:", json.dumps(r["errors_by_kind"]))
        for e in r["first_errors"]:
            print(
                f"  --- {e['kind']}\n      "
                + (e["detail"] or "").strip().replace("\n", "\n      ")[:800]
            )
    for w in r["cookie_warnings"]:
        print("  cookie note:", w)


if __name__ == "__main__":
    sys.exit(main())
