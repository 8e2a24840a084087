"""BigBlueButton API client: signed `create`, `join`, `end`,
`isMeetingRunning`, `getMeetingInfo` and `getRecordings`.

Settings: `BBB_URL` (the server's base, e.g. https://bbb.example.org/bigbluebutton) and
`BBB_SECRET` (its shared secret); `BBB_CHECKSUM` picks the hash (sha256 by default; sha1
for servers that allow only that, see `supportedChecksumAlgorithms`). Without URL and
secret the platform is "not configured" and the other platforms are offered instead.

Every call is `GET {BBB_URL}/api/{call}?{query}&checksum={hex}`, where the checksum is the
hash of call name + the exact query string sent + the shared secret. The app builds join
links on the server, so the secret never reaches a browser. `create` is idempotent (a
repeat answers SUCCESS with `duplicateWarning`), so it is called before every join.
"""

import hashlib
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import urlopen

from defusedxml import ElementTree
from flask import current_app
from flask_babel import gettext as _

ALGORITHMS = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}
TIMEOUT_SECONDS = 10
MODERATOR, VIEWER = "MODERATOR", "VIEWER"


class BigBlueButtonError(Exception):
    """The server refused or could not be reached; `message` is for people."""

    def __init__(self, message, key=""):
        super().__init__(message)
        self.message, self.key = message, key


def is_configured():
    config = current_app.config
    return bool(config.get("BBB_URL") and config.get("BBB_SECRET"))


def not_configured_message():
    return _("BigBlueButton is not configured. Choose Google Meet, WhatsApp or Zoom.")


def checksum(call, query, secret, algorithm="sha256"):
    """hex(H(call name + query string + shared secret))."""
    return ALGORITHMS[algorithm]((call + query + secret).encode()).hexdigest()


def signed_url(call, params, base=None, secret=None, algorithm=None):
    """The URL of an API call, with the checksum of exactly the query string it carries."""
    config = current_app.config
    if not (base or is_configured()):
        raise BigBlueButtonError(not_configured_message(), "notConfigured")
    base = (base or config["BBB_URL"]).rstrip("/")
    secret = secret or config["BBB_SECRET"]
    algorithm = algorithm or config.get("BBB_CHECKSUM") or "sha256"
    query = urlencode(params)
    signature = checksum(call, query, secret, algorithm)
    return f"{base}/api/{call}?{query + '&' if query else ''}checksum={signature}"


def meeting_id_for(day):
    """One room per session day, stable for the day's life: `convene-<session>-<day>`."""
    return f"convene-{day.session_id}-{day.id}"


def _call(call, params):
    """Make the call and answer its <response> as a dict of the top-level fields;
    BigBlueButtonError for FAILED answers and for a server that cannot be reached."""
    url = signed_url(call, params)
    try:
        with urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 (a configured https URL)
            body = answer.read(1_000_000)
    except (URLError, OSError, ValueError) as error:
        raise BigBlueButtonError(
            _("BigBlueButton cannot be reached just now. Try again in a minute.")
        ) from error
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as error:
        raise BigBlueButtonError(_("BigBlueButton gave an answer we cannot read.")) from error
    fields = {child.tag: (child.text or "") for child in root}
    if fields.get("returncode") != "SUCCESS":
        raise BigBlueButtonError(
            _("BigBlueButton refused: %(message)s", message=fields.get("message", "")),
            fields.get("messageKey", ""),
        )
    fields["_root"] = root
    return fields


def _meeting_name(name):
    """2 to 64 characters, as the API requires."""
    name = " ".join((name or "").split())[:64]
    return name if len(name) >= 2 else f"{name} room".strip()


def create_meeting(meeting_id, name, duration_minutes=0, logout_url=None, extra=None):
    """Create the room (or find it, created before): the response fields. `extra`: further
    documented parameters, such as `record` and the `meta_…` callbacks (bigbluebutton_records
    .room_parameters)."""
    params = {"name": _meeting_name(name), "meetingID": meeting_id, "record": "false"}
    if duration_minutes:
        params["duration"] = str(int(duration_minutes))
    if logout_url:
        params["logoutURL"] = logout_url
    params.update(extra or {})
    return _call("create", params)


def join_url(meeting_id, full_name, user_id=None, moderator=False):
    """A signed join link: the mentor as MODERATOR, everyone else as VIEWER."""
    params = {"fullName": full_name or "Guest", "meetingID": meeting_id}
    params["role"] = MODERATOR if moderator else VIEWER
    if user_id is not None:
        params["userID"] = str(user_id)
    return signed_url("join", params)


def end_meeting(meeting_id):
    return _call("end", {"meetingID": meeting_id})


def is_meeting_running(meeting_id):
    return _call("isMeetingRunning", {"meetingID": meeting_id}).get("running") == "true"


def meeting_info(meeting_id):
    """{"running": bool, "attendees": [{"userID", "fullName", "role"}]}."""
    fields = _call("getMeetingInfo", {"meetingID": meeting_id})
    attendees = [
        {child.tag: (child.text or "") for child in attendee}
        for attendee in fields["_root"].iter("attendee")
    ]
    return {"running": fields.get("running") == "true", "attendees": attendees}


def _text(element, tag):
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _playback(recording):
    """(type, url) of the format people watch: `presentation` when there is one."""
    formats = [(_text(item, "type"), _text(item, "url")) for item in recording.iter("format")]
    formats = [item for item in formats if item[1]]
    chosen = [item for item in formats if item[0] == "presentation"] or formats
    return chosen[0] if chosen else ("", "")


def recordings_of(meeting_id):
    """The meeting's recordings as getRecordings lists them: [{"record_id", "meeting_id",
    "state", "start_ms", "end_ms", "type", "url"}] (times in milliseconds since 1970)."""
    fields = _call("getRecordings", {"meetingID": meeting_id})
    found = []
    for recording in fields["_root"].iter("recording"):
        kind, url = _playback(recording)
        found.append(
            {
                "record_id": _text(recording, "recordID"),
                "meeting_id": _text(recording, "meetingID"),
                "state": _text(recording, "state"),
                "start_ms": _text(recording, "startTime"),
                "end_ms": _text(recording, "endTime"),
                "type": kind,
                "url": url,
            }
        )
    return found
