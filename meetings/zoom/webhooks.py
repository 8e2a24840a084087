"""Zoom's event notifications: the signature every delivery carries (and the endpoint's URL
validation), then each delivery applied once (`ZoomWebhookEvent`): meeting started/ended,
participants joining, recordings completed. Deliveries about meetings Convene did not make,
and events it does not follow, are ignored."""

import hashlib
import hmac
import time

from meetings.zoom.attendance import import_attendance, participant_seen
from meetings.zoom.meeting_sync import keep
from meetings.zoom.recordings import fetch_recordings, files_of, keep_recordings, records_allowed
from meetings.zoom.transport import as_mapping
from models import Day, ZoomMeeting, ZoomWebhookEvent, write_transaction

WEBHOOK_WINDOW = 300  # seconds a signed webhook timestamp stays acceptable


# Signatures --------------------------------------------------------------------------------


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


# Deliveries --------------------------------------------------------------------------------


def _event_key(event):
    """What makes a delivery the same as one already handled."""
    obj = as_mapping(as_mapping(event.get("payload")).get("object"))
    participant = as_mapping(obj.get("participant"))
    parts = [
        event.get("event", ""),
        str(obj.get("uuid") or obj.get("id") or ""),
        str(
            participant.get("participant_uuid")
            or participant.get("id")
            or participant.get("user_id")
            or ""
        ),
        str(participant.get("join_time") or participant.get("leave_time") or ""),
    ]
    if event.get("event") == "recording.completed":
        files = obj.get("recording_files") if isinstance(obj.get("recording_files"), list) else []
        parts.append(",".join(sorted(str(as_mapping(f).get("id")) for f in files)))
    return "|".join(parts)[:250]


def handle_event(event):
    """Apply one verified webhook delivery, once. Unknown meetings and events are ignored."""
    name = str(event.get("event", ""))
    obj = as_mapping(as_mapping(event.get("payload")).get("object"))
    meeting_id = str(obj.get("id") or "")
    day = (
        Day.with_zoom().where(ZoomMeeting.meeting_id == meeting_id).first() if meeting_id else None
    )
    if day is None:
        return False
    with write_transaction():
        inserted = (
            ZoomWebhookEvent.insert(key=_event_key(event), event=name[:100])
            .on_conflict_ignore()
            .execute()
        )
        if not inserted:
            return False
        if name in ("meeting.started", "meeting.ended") and obj.get("uuid"):
            keep(day.id, instance_uuid=str(obj["uuid"])[:250])
        elif name == "meeting.participant_joined":
            participant_seen(day, as_mapping(obj.get("participant")))
        elif name == "recording.completed":
            keep_recordings(day, files_of(obj))
    if name == "meeting.ended":
        import_attendance(day.id)
    elif name == "recording.completed" and records_allowed(day):
        # The webhook's list may lack files or links: ask Zoom for the whole recording.
        fetch_recordings(day.id, str(obj.get("uuid") or meeting_id))
    return True
