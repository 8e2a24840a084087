"""Zoom accounts' credentials: the OAuth app's settings, authorization code with PKCE,
Server-to-Server `account_credentials`, the token endpoint (exchange, refresh, revoke), and
tokens encrypted at rest."""

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode
from urllib.request import Request

from meetings.zoom.transport import ZoomError, send, setting
from models import ZoomConnection, utcnow

# Settings and secrets ----------------------------------------------------------------------


def is_configured():
    return bool(setting("ZOOM_CLIENT_ID") and setting("ZOOM_CLIENT_SECRET"))


def has_server_to_server():
    return is_configured() and bool(setting("ZOOM_ACCOUNT_ID"))


def _fernet():
    """ZOOM_TOKEN_KEY (a Fernet key, or any secret), else a key derived from SECRET_KEY."""
    from cryptography.fernet import Fernet  # on demand: 7 MB, only for Zoom's tokens

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
    from cryptography.fernet import InvalidToken

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


def token_call(fields):
    """POST /oauth/token with `fields`; a refused grant is a revoked connection."""
    body = urlencode(fields).encode()
    request = Request(
        f"{setting('ZOOM_OAUTH_URL')}/oauth/token",
        data=body,
        method="POST",
        headers={"Authorization": _basic(), "Content-Type": "application/x-www-form-urlencoded"},
    )
    status, payload, _headers = send(request)
    if status >= 400:
        revoked = status in (400, 401) and payload.get("error") in ("invalid_grant", None)
        message = payload.get("reason") or payload.get("error") or f"HTTP {status}"
        raise ZoomError(message, status, is_revoked=revoked)
    return payload


def exchange_code(code, redirect_uri, verifier):
    return token_call(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    )


def account_token():
    """A Server-to-Server token for ZOOM_ACCOUNT_ID (no refresh token: ask again)."""
    return token_call(
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
        send(request)
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
