"""The Zoom client: OAuth (authorization code with PKCE, and Server-to-Server
`account_credentials`), tokens encrypted at rest and refreshed before they expire, the REST
calls Convene makes (users/me, meetings, the participants report, recordings), and the
webhook signature.

Failures come back as `ZoomError` with what the caller needs to decide: `is_revoked` (connect
again), `retry_after` (seconds to wait: 429 with Retry-After, 5xx, a timeout) or neither
(Zoom refused the request). Plain `urllib`: nothing here needs more.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from datetime import timedelta
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from models import ZoomConnection, utcnow, write_transaction

TIMEOUT = 10  # seconds for one call to Zoom
REFRESH_MARGIN = timedelta(seconds=60)  # refresh a token this long before it expires
WEBHOOK_WINDOW = 300  # seconds a signed webhook timestamp stays acceptable
PAGE_SIZE = 300
LICENSED = 2  # GET /users/me `type`: 1 Basic (free), 2 Licensed


class ZoomError(Exception):
    def __init__(self, message, status=None, retry_after=None, is_revoked=False):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.is_revoked = is_revoked

    @property
    def is_transient(self):
        return self.retry_after is not None


# Settings and secrets ----------------------------------------------------------------------


def setting(name):
    return current_app.config.get(name)


def is_configured():
    return bool(setting("ZOOM_CLIENT_ID") and setting("ZOOM_CLIENT_SECRET"))


def has_server_to_server():
    return is_configured() and bool(setting("ZOOM_ACCOUNT_ID"))


def _fernet():
    """ZOOM_TOKEN_KEY (a Fernet key, or any secret), else a key derived from SECRET_KEY."""
    key = setting("ZOOM_TOKEN_KEY")
    if key:
        try:
            return Fernet(key.encode())
        except ValueError:
            pass
    material = (key or setting("SECRET_KEY")).encode()
    digest = hashlib.sha256(b"convene zoom tokens\0" + material).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(text):
    return _fernet().encrypt(text.encode()).decode() if text else ""


def unseal(token):
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""  # the key changed: the connection has to be made again


# OAuth -------------------------------------------------------------------------------------


def new_pkce():
    """A PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize_url(redirect_uri, state, challenge):
    query = urlencode(
        {
            "response_type": "code",
            "client_id": setting("ZOOM_CLIENT_ID"),
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{setting('ZOOM_OAUTH_URL')}/oauth/authorize?{query}"


def _basic():
    pair = f"{setting('ZOOM_CLIENT_ID')}:{setting('ZOOM_CLIENT_SECRET')}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def _token_call(fields):
    body = urlencode(fields).encode()
    request = Request(
        f"{setting('ZOOM_OAUTH_URL')}/oauth/token",
        data=body,
        method="POST",
        headers={"Authorization": _basic(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    status, payload, _headers = _send(request)
    if status >= 400:
        revoked = status in (400, 401) and payload.get("error") in ("invalid_grant", None)
        message = payload.get("reason") or payload.get("error") or f"HTTP {status}"
        raise ZoomError(message, status, is_revoked=revoked)
    return payload


def exchange_code(code, redirect_uri, verifier):
    return _token_call(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    )


def account_token():
    """A Server-to-Server token for ZOOM_ACCOUNT_ID (no refresh token: ask again)."""
    return _token_call(
        {"grant_type": "account_credentials", "account_id": setting("ZOOM_ACCOUNT_ID")}
    )


def revoke(connection):
    """Tell Zoom to forget the token; a token Zoom already forgot is fine."""
    token = unseal(connection.access_token)
    if not token or connection.kind != ZoomConnection.OAUTH:
        return
    request = Request(
        f"{setting('ZOOM_OAUTH_URL')}/oauth/revoke?{urlencode({'token': token})}",
        data=b"",
        method="POST",
        headers={"Authorization": _basic()},
    )
    try:
        _send(request)
    except ZoomError:
        pass


def store_tokens(connection, payload, now=None):
    """Keep a token response on `connection`, encrypted; the caller saves it."""
    now = now or utcnow()
    connection.access_token = seal(payload["access_token"])
    if payload.get("refresh_token"):
        connection.refresh_token = seal(payload["refresh_token"])
    connection.expires_at = now + timedelta(seconds=int(payload.get("expires_in", 3600)))
    connection.scope = payload.get("scope", "")
    connection.problem = ""


# HTTP --------------------------------------------------------------------------------------


def _retry_after(headers, default):
    value = (headers or {}).get("Retry-After", "")
    return int(value) if value.isdigit() else default


def _send(request):
    """(status, JSON body or {}, headers); a timeout or 5xx is a transient ZoomError."""
    try:
        with urlopen(request, timeout=TIMEOUT) as response:
            status, raw, headers = response.status, response.read(), response.headers
    except HTTPError as error:
        status, raw, headers = error.code, error.read(), error.headers
    except (URLError, TimeoutError, OSError) as error:
        raise ZoomError(f"Zoom did not answer ({error})", retry_after=30) from error
    try:
        payload = json.loads(raw) if raw else {}
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {"items": payload}
    if status == 429:
        raise ZoomError("Too many requests", status, retry_after=_retry_after(headers, 60))
    if status >= 500:
        raise ZoomError(
            f"Zoom is unavailable (HTTP {status})", status, retry_after=_retry_after(headers, 30)
        )
    return status, payload, headers


class ZoomClient:
    """Calls the REST API as one connection (`me`), refreshing its token when due."""

    def __init__(self, connection):
        self.connection = connection

    # Tokens

    def _access_token(self):
        connection = self.connection
        if connection.expires_at is None or connection.expires_at - REFRESH_MARGIN <= utcnow():
            self._renew()
        return unseal(connection.access_token)

    def _renew(self):
        connection = self.connection
        try:
            if connection.kind == ZoomConnection.SERVER_TO_SERVER:
                payload = account_token()
            else:
                refresh_token = unseal(connection.refresh_token)
                if not refresh_token:
                    raise ZoomError("No refresh token", 401, is_revoked=True)
                payload = _token_call(
                    {"grant_type": "refresh_token", "refresh_token": refresh_token}
                )
        except ZoomError as error:
            if error.is_revoked:
                self._mark_revoked()
            raise
        # Zoom rotates the refresh token: keep the new one before anything else uses it.
        store_tokens(connection, payload)
        with write_transaction():
            connection.save()

    def _mark_revoked(self):
        self.connection.problem = "revoked"
        ZoomConnection.update(problem="revoked").where(
            ZoomConnection.id == self.connection.id
        ).execute()

    # Requests

    def call(self, method, path, body=None, query=None, retried=False):
        url = f"{setting('ZOOM_API_URL')}{path}"
        if query:
            url += "?" + urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        status, payload, _headers = _send(Request(url, data=data, method=method, headers=headers))
        if status == 401:
            if not retried:  # an access token Zoom no longer takes: renew once
                self.connection.expires_at = None
                return self.call(method, path, body, query, retried=True)
            self._mark_revoked()
            raise ZoomError(payload.get("message") or "Invalid access token", 401, is_revoked=True)
        if status >= 400:
            raise ZoomError(payload.get("message") or f"HTTP {status}", status)
        return payload

    def me(self):
        return self.call("GET", "/users/me")

    def create_meeting(self, fields):
        return self.call("POST", "/users/me/meetings", fields)

    def find_meeting(self, marker):
        """A scheduled meeting whose agenda carries `marker` (a create that may have happened
        before a worker died), or None."""
        token = ""
        while True:
            query = {"type": "upcoming", "page_size": PAGE_SIZE}
            if token:
                query["next_page_token"] = token
            page = self.call("GET", "/users/me/meetings", query=query)
            for meeting in page.get("meetings", []):
                if marker in (meeting.get("agenda") or ""):
                    return meeting
            token = page.get("next_page_token") or ""
            if not token:
                return None

    def get_meeting(self, meeting_id):
        return self.call("GET", f"/meetings/{meeting_id}")

    def update_meeting(self, meeting_id, fields):
        self.call("PATCH", f"/meetings/{meeting_id}", fields)

    def delete_meeting(self, meeting_id):
        """Deleted, or already gone (404)."""
        try:
            self.call("DELETE", f"/meetings/{meeting_id}")
        except ZoomError as error:
            if error.status != 404:
                raise

    def participants(self, meeting_ref):
        """Every row of the past meeting's participants report, all pages."""
        rows, token = [], ""
        while True:
            query = {"page_size": PAGE_SIZE}
            if token:
                query["next_page_token"] = token
            page = self.call(
                "GET", f"/report/meetings/{meeting_path_id(meeting_ref)}/participants", query=query
            )
            rows.extend(page.get("participants", []))
            token = page.get("next_page_token") or ""
            if not token:
                return rows

    def recordings(self, meeting_ref):
        return self.call("GET", f"/meetings/{meeting_path_id(meeting_ref)}/recordings")


def meeting_path_id(meeting_ref):
    """A meeting id or instance UUID as a path segment: a UUID that starts with "/" or holds
    "//" is encoded twice, as Zoom asks."""
    text = str(meeting_ref)
    if text.startswith("/") or "//" in text:
        return quote(quote(text, safe=""), safe="")
    return quote(text, safe="")


# Webhooks ----------------------------------------------------------------------------------


def signature(secret, timestamp, raw_body):
    message = b"v0:" + str(timestamp).encode() + b":" + raw_body
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def is_signed(secret, timestamp, raw_body, given, now=None):
    """True when the body carries Zoom's signature and a timestamp within five minutes."""
    if not secret or not timestamp or not timestamp.isdigit() or not given:
        return False
    if abs((now or time.time()) - int(timestamp)) > WEBHOOK_WINDOW:
        return False
    return hmac.compare_digest(signature(secret, timestamp, raw_body), given)


def url_validation(secret, plain_token):
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}
