"""What BigBlueButton tells Convene after a meeting, translated into the platform-neutral
`Recording` and `Attendance` rows (what they mean for registrations is sessions/attendance.py).

A room is created with three callbacks (`room_parameters`), each checked before anything
is read from it:
- `meta_endCallbackUrl`, when the meeting ends: a GET carrying a token of Convene's own
  (an HMAC of the meeting id with the app's secret key), since BigBlueButton signs nothing;
- `meta_bbb-recording-ready-url`, when a recording is processed: a POST whose
  `signed_parameters` is an HS256 JWT signed with the shared secret, `meeting_id` and
  `record_id` in its payload; the recording itself is then read with `getRecordings`;
- `meta_analytics-callback-url`, the learning-analytics report: a JSON POST with a JWT
  bearer token signed with the shared secret; each attendee carries the `userID` Convene
  gave on join (`ext_user_id`) and the seconds they spent in the meeting.

When a callback is lost, a sweep asks `getRecordings` for the rooms of days that ended
within `BBB_RECORDINGS_LOOKBACK_HOURS`; older days are never asked about again.
"""

import hashlib
import hmac
import logging
import re
import warnings
from datetime import UTC, datetime, timedelta

from flask import current_app

from foundation.i18n import current_company
from foundation.jobs import job
from meetings import bigbluebutton
from models import (
    Attendance,
    Day,
    DayFormat,
    Recording,
    RecordingPlatform,
    User,
    utcnow,
    write_transaction,
)

log = logging.getLogger(__name__)
MEETING_ID = re.compile(r"convene-([0-9]{1,18})-([0-9]{1,18})")
# BigBlueButton signs with HMAC-SHA; "none" and the public-key algorithms are never accepted.
SHARED_SECRET_ALGORITHMS = ["HS256", "HS384", "HS512"]
MAX_ATTENDEES = 5000


class Refused(Exception):
    """A callback that is not BigBlueButton's: unsigned, forged or signed with another
    secret."""


# Creating a room ----------------------------------------------------------------------------


def end_token(meeting_id):
    """The token Convene puts in a room's end callback URL: only Convene can make it."""
    key = current_app.config["SECRET_KEY"].encode()
    message = f"bigbluebutton-end:{meeting_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def is_end_token_valid(meeting_id, token):
    return hmac.compare_digest(end_token(meeting_id), str(token or ""))


def room_parameters(end_url, recording_ready_url, analytics_url):
    """The `create` parameters for recording (the company's settings) and the callbacks."""
    company = current_company()
    records = company.allows_bbb_recordings
    return {
        "record": "true" if records else "false",
        "autoStartRecording": "true" if records and company.bbb_auto_start_recording else "false",
        "allowStartStopRecording": "true" if records else "false",
        "meetingKeepEvents": "true",  # the learning-analytics report is made from the events
        "meta_endCallbackUrl": end_url,
        "meta_bbb-recording-ready-url": recording_ready_url,
        "meta_analytics-callback-url": analytics_url,
    }


# Reading callbacks --------------------------------------------------------------------------


def _shared_secret():
    secret = current_app.config.get("BBB_SECRET") or ""
    if not secret:
        raise Refused("BigBlueButton is not configured")
    return secret


def _decode(token, **options):
    # The key is the server's shared secret, whose length BigBlueButton chooses (32 to 40
    # characters as `bbb-conf` makes them): PyJWT's advice to use a longer one cannot apply.
    import jwt  # on demand: with the cryptography it loads, 9 MB, only for these callbacks

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
        try:
            return jwt.decode(
                token, _shared_secret(), algorithms=SHARED_SECRET_ALGORITHMS, **options
            )
        except jwt.PyJWTError as error:
            raise Refused(str(error)) from error


def read_recording_ready(signed_parameters):
    """(meeting id, record id) of a recording-ready callback, or Refused."""
    payload = _decode(str(signed_parameters or ""))
    meeting_id, record_id = payload.get("meeting_id"), payload.get("record_id")
    if not isinstance(meeting_id, str) or not isinstance(record_id, str):
        raise Refused("the payload names no meeting and recording")
    return meeting_id, record_id


def check_analytics_token(authorization):
    """Refused unless the Authorization header carries a JWT signed with the shared secret
    (BigBlueButton's has an expiry, which is required)."""
    scheme, _, token = str(authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused("no bearer token")
    _decode(token.strip(), options={"require": ["exp"]})


def day_for_meeting(meeting_id):
    """The day whose room has this meeting id (`convene-<session>-<day>`), or None."""
    match = MEETING_ID.fullmatch(str(meeting_id or ""))
    if not match:
        return None
    session_id, day_id = (int(part) for part in match.groups())
    return Day.get_or_none(Day.id == day_id, Day.session == session_id)


# Recordings ---------------------------------------------------------------------------------


def _moment(milliseconds):
    if not str(milliseconds).isdigit():
        return None
    seconds = int(milliseconds) / 1000
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def keep_recordings(day, listed):
    """Keep the published recordings getRecordings listed for the day's room. A known one
    gets its links and times refreshed; whether a host hid it is never touched."""
    if not current_company().allows_bbb_recordings:
        return 0
    kept = 0
    for item in listed:
        if not item["record_id"] or item["state"] not in ("published", ""):
            continue
        values = {
            Recording.recording_type: item["type"][:100],
            Recording.start_at: _moment(item["start_ms"]),
            Recording.end_at: _moment(item["end_ms"]),
            Recording.play_url: item["url"],
        }
        Recording.insert(
            {Recording.day: day.id, Recording.file_id: item["record_id"][:250]} | values,
            platform=RecordingPlatform.BIGBLUEBUTTON,
        ).on_conflict(conflict_target=[Recording.file_id], update=values).execute()
        kept += 1
    return kept


def fetch_recordings(day):
    """Ask getRecordings about the day's room and keep what it lists: how many, or None
    when the server cannot be asked just now (the sweep asks again)."""
    try:
        listed = bigbluebutton.recordings_of(bigbluebutton.meeting_id_for(day))
    except bigbluebutton.BigBlueButtonError as error:
        log.warning("BigBlueButton recordings of day %s were not read: %s", day.id, error.message)
        return None
    with write_transaction():
        return keep_recordings(day, listed)


@job()
def fetch_day_recordings(day_id):
    """After a meeting ends: look for its recordings (safe to run twice)."""
    day = Day.get_or_none(Day.id == day_id)
    if day is not None and bigbluebutton.is_configured():
        fetch_recordings(day)


def days_to_sweep(now=None):
    """BigBlueButton days that ended within the look-back window."""
    now = now or utcnow()
    hours = int(current_app.config.get("BBB_RECORDINGS_LOOKBACK_HOURS") or 0)
    is_bigbluebutton = (Day.platform == "bigbluebutton") | ((Day.platform == "") & (Day.url == ""))
    return list(
        Day.select().where(
            Day.format == DayFormat.ONLINE,
            is_bigbluebutton,
            Day.end_at <= now,
            Day.end_at > now - timedelta(hours=hours),
        )
    )


def sweep_recordings(now=None):
    """The fallback for lost recording-ready callbacks: how many recordings were kept."""
    if not bigbluebutton.is_configured():
        return 0
    return sum(fetch_recordings(day) or 0 for day in days_to_sweep(now))


# Attendance ---------------------------------------------------------------------------------


def _seconds_between(joined, left):
    try:
        start = datetime.fromisoformat(str(joined).replace("Z", "+00:00"))
        end = datetime.fromisoformat(str(left).replace("Z", "+00:00"))
    except ValueError:
        return 0
    return max(int((end - start).total_seconds()), 0)


def _timestamp(entry):
    return entry.get("timestamp") if isinstance(entry, dict) else entry


def seconds_attended(attendee):
    """An attendee's time in the meeting: the report's `duration` (seconds), else the sum
    of its join → leave pairs."""
    duration = attendee.get("duration")
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration >= 0:
        return int(duration)
    joins, leaves = attendee.get("joins") or [], attendee.get("leaves") or []
    if not isinstance(joins, list) or not isinstance(leaves, list):
        return 0
    pairs = zip(map(_timestamp, joins), map(_timestamp, leaves), strict=False)
    return sum(_seconds_between(joined, left) for joined, left in pairs)


def _attendees(report):
    data = report.get("data") if isinstance(report.get("data"), dict) else {}
    attendees = data.get("attendees")
    if not isinstance(attendees, list):
        return []
    return [item for item in attendees[:MAX_ATTENDEES] if isinstance(item, dict)]


def _totals(report):
    """{user id: (name, seconds)} of the report's attendees whom Convene let in (their
    `ext_user_id` is a Convene user id); one person who rejoined is summed."""
    totals = {}
    for attendee in _attendees(report):
        user_id = str(attendee.get("ext_user_id") or "")
        if not user_id.isdigit() or len(user_id) > 18:
            continue
        name, seconds = totals.get(int(user_id), ("", 0))
        totals[int(user_id)] = (
            str(attendee.get("name") or name)[:250],
            seconds + seconds_attended(attendee),
        )
    return totals


def keep_attendance(day, report):
    """Store who attended the day's meeting from a learning-analytics report; the same
    report again writes the same rows (nothing changes). Returns how many people."""
    totals = _totals(report)
    known = {
        user.id: user.email
        for user in User.select(User.id, User.email).where(User.id.in_(list(totals) or [0]))
    }
    with write_transaction():
        for user_id, (name, seconds) in totals.items():
            if user_id not in known:
                continue
            values = {Attendance.seconds: seconds, Attendance.name: name}
            Attendance.insert(
                day=day.id,
                person=f"user:{user_id}",
                user=user_id,
                email=known[user_id],
                name=name,
                seconds=seconds,
                updated_at=utcnow(),
            ).on_conflict(
                conflict_target=[Attendance.day, Attendance.person], update=values
            ).execute()
    return len(known)
