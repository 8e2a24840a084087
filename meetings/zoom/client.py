"""The REST calls Convene makes to Zoom as one connected account: users/me, meetings, the
participants report, recordings. The account's token is refreshed before it expires (Zoom
rotates refresh tokens: the new one is kept at once)."""

import json
from datetime import timedelta
from urllib.parse import quote, urlencode
from urllib.request import Request

from meetings.zoom.oauth import account_token, store_tokens, token_call, unseal
from meetings.zoom.transport import ZoomError, send, setting
from models import ZoomConnection, utcnow, write_transaction

REFRESH_MARGIN = timedelta(seconds=60)  # refresh a token this long before it expires
PAGE_SIZE = 300


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
                payload = token_call(
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
        status, payload, _headers = send(Request(url, data=data, method=method, headers=headers))
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
