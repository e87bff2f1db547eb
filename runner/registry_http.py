"""HTTP for the registry client: redirects, answering auth challenges, deadlines, bounded bodies.

Only the standard library (``http.client``): ``urllib.request`` would forward the
``Authorization`` header to the storage host a registry redirects blobs to, and its reads
cannot be bounded by a deadline.  Every failure becomes one :class:`SourceError` line
naming the URL; nothing here writes to disk.  The credentials it answers Basic and token
challenges with come from ``registry_credentials``.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterable
from typing import IO
from urllib.parse import urlencode, urljoin, urlsplit

from pylint_image.linter.errors import SourceError
from pylint_image.runner.registry_credentials import Credentials

LOG = logging.getLogger(__name__)
CHUNK = 1 << 20
MAX_REDIRECTS = 5
TOKEN_LIMIT = 1 << 20  # a token response; no token is anywhere near this
_AUTH_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')
_UNSAFE = re.compile(r"[^\x20-\x7e]")


def clean(text: object, limit: int = 120) -> str:
    """Make registry-controlled text safe for a one-line message (no controls, bounded)."""
    out = _UNSAFE.sub("?", str(text))
    return out if len(out) <= limit else out[:limit] + "..."


def host_of(netloc: str) -> str:
    """Return the host of ``host[:port]`` (``[::1]`` keeps its brackets)."""
    if netloc.startswith("["):
        return netloc[:netloc.find("]") + 1]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


class Response:
    """A 200 response whose body is read within the pull's deadline and size bounds."""

    def __init__(self, url: str, conn: http.client.HTTPConnection,
                 resp: http.client.HTTPResponse, sock: socket.socket | None,
                 transport: Transport) -> None:
        self.url = clean(url, 300)  # for messages only: a redirect target is the server's text
        self._conn = conn
        self._resp = resp
        self._sock = sock
        self._transport = transport

    def header(self, name: str) -> str:
        """Return a response header, or ``""``."""
        return self._resp.getheader(name) or ""

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self._resp.status

    @property
    def reason(self) -> str:
        """The HTTP reason phrase, made safe for a one-line message."""
        return clean(self._resp.reason, 60)

    @property
    def length(self) -> int | None:
        """The declared ``Content-Length`` (None when absent or malformed)."""
        value = self.header("Content-Length")
        return int(value) if value.isdigit() else None

    def read_chunk(self) -> bytes:
        """Read what the server has sent (b"" at the end); SourceError on timeout or reset."""
        self._transport.arm(self._sock, self.url)
        try:
            return self._resp.read1(CHUNK)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise self._transport.failure(self.url, exc) from None

    def read_all(self, limit: int, what: str) -> bytes:
        """Read the whole body, refusing more than ``limit`` bytes (never reads past limit+1)."""
        if (self.length or 0) > limit:
            raise SourceError(f"{self.url}: {what} Content-Length {self.length} exceeds "
                              f"the {limit}-byte limit")
        parts: list[bytes] = []
        got = 0
        while got <= limit:
            data = self.read_chunk()
            if not data:
                break
            parts.append(data)
            got += len(data)
        if got > limit:
            raise SourceError(f"{self.url}: {what} is larger than {limit} bytes")
        body = b"".join(parts)
        if self.length is not None and len(body) != self.length:
            raise SourceError(f"{self.url}: truncated {what} ({len(body)} of "
                              f"{self.length} bytes)")
        return body

    def close(self) -> None:
        """Close the response and its connection."""
        self._resp.close()
        self._conn.close()

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Transport:
    """GETs registry URLs: picks http/https, authenticates, follows redirects, keeps a deadline.

    ``timeout`` bounds every wait for the network (connect, each read); ``deadline`` bounds
    the whole pull, so a server that trickles a byte now and then still ends in a timeout.
    """

    def __init__(self, insecure_hosts: Iterable[str], timeout: float, deadline: float,
                 credentials: Credentials | None = None) -> None:
        self.insecure = frozenset(h.lower() for h in insecure_hosts)
        self.timeout = timeout
        self._budget = deadline
        self._ends = time.monotonic() + deadline
        self._by_deadline = False
        self._credentials = credentials or Credentials({})
        self._auth: dict[str, str] = {}  # host -> Authorization value that worked
        self._tls: ssl.SSLContext | None = None  # made once: loading the CA store is slow

    def scheme(self, netloc: str) -> str:
        """``http`` for insecure (loopback) hosts, like docker's default; ``https`` otherwise."""
        return "http" if host_of(netloc).lower() in self.insecure else "https"

    def arm(self, sock: socket.socket | None, url: str) -> None:
        """Set the socket's wait to the smaller of the idle timeout and the time left."""
        left = self._ends - time.monotonic()
        if left <= 0:
            raise SourceError(f"{clean(url, 300)}: timed out (pull deadline of "
                              f"{self._budget:g} s)")
        # Remembered so a timeout can say which bound it hit, without racing the clock.
        self._by_deadline = left < self.timeout
        if sock is not None:
            sock.settimeout(min(self.timeout, left))

    def failure(self, url: str, exc: BaseException) -> SourceError:
        """Turn a socket or protocol error into one SourceError line.

        ValueError too: a hostile redirect can name a host or path that ``http.client``
        cannot even encode.
        """
        url = clean(url, 300)
        if isinstance(exc, TimeoutError):
            if self._by_deadline:
                return SourceError(f"{url}: timed out (pull deadline of {self._budget:g} s)")
            return SourceError(f"{url}: timed out (no data for {self.timeout:g} s)")
        if isinstance(exc, http.client.IncompleteRead):
            return SourceError(f"{url}: truncated response")
        detail = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
        return SourceError(f"{url}: {clean(detail)}")

    def get(self, url: str, accept: Iterable[str] = (), scope: str = "") -> Response:
        """GET ``url`` and return its 200 response; SourceError for any other outcome."""
        netloc = urlsplit(url).netloc
        headers = {"User-Agent": "pylint-image", "Accept": ", ".join(accept) or "*/*"}
        if netloc in self._auth:
            headers["Authorization"] = self._auth[netloc]
        resp, status, final = self._follow(url, headers)
        # A cached token may have expired mid-pull (Docker Hub's last 5 minutes): one fresh
        # challenge answer per request, never a loop.
        if status == 401 and urlsplit(final).netloc == netloc:
            challenge = resp.header("WWW-Authenticate")
            resp.close()
            headers["Authorization"] = self._authenticate(challenge, url, scope)
            resp, status, final = self._follow(url, headers)
            if status == 200:
                self._auth[netloc] = headers["Authorization"]
        if status != 200:
            reason = resp.reason
            resp.close()
            raise SourceError(f"{clean(final, 300)}: HTTP {status} {reason}".rstrip())
        return resp

    def _follow(self, url: str, headers: dict[str, str]) -> tuple[Response, int, str]:
        """Send the GET, following redirects; the Authorization header stays on its host."""
        origin = urlsplit(url).netloc
        seen = {url}
        for hop in range(MAX_REDIRECTS + 1):
            hop_headers = dict(headers)
            if urlsplit(url).netloc != origin:
                # Storage backends (S3, GCS) reject a second auth scheme; never leak ours.
                hop_headers.pop("Authorization", None)
            resp = self._send(url, hop_headers)
            status = resp.status
            if status not in (301, 302, 303, 307, 308):
                return resp, status, url
            location = resp.header("Location")
            resp.close()
            target = urljoin(url, location)
            where = clean(url, 300)
            self._check_url(target, f"{where}: redirect to")
            if target in seen:
                raise SourceError(f"{where}: redirect loop (back to {clean(target, 300)})")
            if hop == MAX_REDIRECTS:
                raise SourceError(f"{where}: more than {MAX_REDIRECTS} redirects")
            seen.add(target)
            url = target
        raise AssertionError("unreachable: the last hop returns or raises")

    def _check_url(self, url: str, what: str) -> None:
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            raise SourceError(f"{what} {clean(url)} refused (malformed port)") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceError(f"{what} {clean(url)} refused (not an http(s) URL)")
        if parts.scheme == "http" and self.scheme(parts.netloc) != "http":
            raise SourceError(f"{what} {clean(url)} refused (plain http to a non-loopback host)")

    def _send(self, url: str, headers: dict[str, str]) -> Response:
        parts = urlsplit(url)
        self.arm(None, url)
        left = max(0.001, min(self.timeout, self._ends - time.monotonic()))
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            self._tls = self._tls or ssl.create_default_context()
            conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=left,
                                               context=self._tls)
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=left)
        try:
            LOG.debug("GET %s", url)
            conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                         headers=headers)
            # Kept before getresponse(): a "Connection: close" reply detaches conn.sock.
            sock = conn.sock
            self.arm(sock, url)
            resp = conn.getresponse()
        except (OSError, ValueError, http.client.HTTPException) as exc:
            conn.close()
            raise self.failure(url, exc) from None
        return Response(url, conn, resp, sock, self)

    def _authenticate(self, challenge: str, url: str, scope: str) -> str:
        """Answer a 401 challenge with a Bearer token (anonymous or Basic) or Basic creds."""
        scheme, _, rest = challenge.strip().partition(" ")
        params = {m[0].lower(): m[1] or m[2] for m in _AUTH_PARAM.findall(rest)}
        basic = self._credentials.basic(urlsplit(url).netloc)
        if scheme.lower() == "basic":
            if basic is None:
                raise SourceError(f"{url}: HTTP 401 Unauthorized (registry wants Basic "
                                  "credentials; none in the docker config)")
            return f"Basic {basic}"
        if scheme.lower() != "bearer" or not params.get("realm"):
            raise SourceError(f"{url}: HTTP 401 Unauthorized (unsupported challenge "
                              f"{clean(challenge, 60)!r})")
        realm = params["realm"]
        self._check_url(realm, f"{url}: token realm")
        query = {k: v for k, v in (("service", params.get("service", "")),
                                   ("scope", params.get("scope") or scope)) if v}
        token_url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        headers = {"User-Agent": "pylint-image", "Accept": "application/json"}
        if basic is not None:
            headers["Authorization"] = f"Basic {basic}"
        resp, status, final = self._follow(token_url, headers)
        with resp:
            if status != 200:
                raise SourceError(f"{clean(final, 300)}: HTTP {status} {resp.reason} "
                                  "(token request)")
            body = resp.read_all(TOKEN_LIMIT, "token response")
        try:
            doc = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            doc = None
        token = (doc.get("token") or doc.get("access_token")) if isinstance(doc, dict) else None
        if not isinstance(token, str) or not token or _UNSAFE.search(token):
            raise SourceError(f"{clean(final, 300)}: token response has no usable token")
        return f"Bearer {token}"


def stream_into(resp: Response, sink: IO[bytes], size: int,
                update: Callable[[bytes], object]) -> int:
    """Copy at most ``size`` + 1 body bytes into ``sink``, passing each to ``update``; count them.

    Reading stops one byte past the declared size: that is enough to prove a blob is too
    long, and a hostile registry cannot fill the disk.
    """
    got = 0
    while got <= size:
        data = resp.read_chunk()
        if not data:
            break
        data = data[:size + 1 - got]
        update(data)
        sink.write(data)
        got += len(data)
    return got
