"""The one HTTP exchange with Zoom and what its failures mean.

Failures come back as `ZoomError` with what the caller needs to decide: `is_revoked` (connect
again), `retry_after` (seconds to wait: 429 with Retry-After, 5xx, a timeout) or neither
(Zoom refused the request). Jobs that meet a busy Zoom try again with `backoff`, up to
`MAX_ATTEMPTS` times. Plain `urllib`: nothing here needs more.
"""

import json
from urllib.error import HTTPError, URLError
from urllib.request import urlopen

from flask import current_app

TIMEOUT = 10  # seconds for one call to Zoom
MAX_ATTEMPTS = 6  # a job's tries while Zoom is busy or unreachable


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


def setting(name):
    return current_app.config.get(name)


def backoff(attempt, retry_after=None):
    """Seconds before a job's next try: what Zoom asked, else doubling up to half an hour."""
    return retry_after if retry_after else min(30 * 2**attempt, 1800)


def as_mapping(value):
    """A part of Zoom's JSON as a dict: a body of an unexpected shape changes nothing."""
    return value if isinstance(value, dict) else {}


def _retry_after(headers, default):
    value = (headers or {}).get("Retry-After", "")
    return int(value) if value.isdigit() else default


def send(request):
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
