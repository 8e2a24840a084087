"""A Zoom day's cloud recordings: kept from the `recording.completed` webhook, then completed
from Zoom's own list (play and download links). Administrator-role days only, and only while
the company keeps records."""

import logging
from datetime import UTC, datetime

from foundation.jobs import job
from meetings.zoom.client import ZoomClient
from meetings.zoom.connections import connection_for
from meetings.zoom.transport import MAX_ATTEMPTS, ZoomError, as_mapping, backoff
from models import Day, Recording, ZoomRole, ZoomSettings, write_transaction

log = logging.getLogger(__name__)


def records_allowed(day):
    return day.zoom_role == ZoomRole.ADMINISTRATOR and ZoomSettings.current().keeps_records


def _parse_time(text):
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _values(item):
    return {
        "recording_type": str(item.get("recording_type") or "")[:100],
        "file_type": str(item.get("file_type") or "")[:50],
        "start_at": _parse_time(item.get("recording_start")),
        "end_at": _parse_time(item.get("recording_end")),
        "file_size": int(item["file_size"]) if str(item.get("file_size")).isdigit() else 0,
        "play_url": str(item.get("play_url") or ""),
        "download_url": str(item.get("download_url") or ""),
    }


def keep_recordings(day, files, complete=False):
    """Keep the recording files Zoom named. `complete`: Zoom's own list (GET recordings)
    fills in what a file kept from the webhook lacked; the webhook never overwrites."""
    if not records_allowed(day):
        return
    for item in files:
        if not item.get("id"):
            continue
        values = _values(item)
        query = Recording.insert(day=day, file_id=str(item["id"])[:250], **values)
        known = {getattr(Recording, name): value for name, value in values.items() if value}
        if complete and known:
            query = query.on_conflict(conflict_target=[Recording.file_id], update=known)
        else:
            query = query.on_conflict_ignore()
        query.execute()


def files_of(answer):
    """The recording files of a webhook object or of GET recordings, as dicts."""
    files = as_mapping(answer).get("recording_files")
    return [as_mapping(item) for item in files] if isinstance(files, list) else []


@job()
def fetch_recordings(day_id, meeting_ref, attempt=0):
    """After `recording.completed`: GET /meetings/{id}/recordings, so that every file has
    its play and download links (busy Zoom: retried with backoff)."""
    day = Day.get_or_none(Day.id == day_id)
    connection = day and connection_for(day)
    if connection is None:
        return
    try:
        answer = ZoomClient(connection).recordings(meeting_ref)
    except ZoomError as error:
        if error.is_transient and attempt + 1 < MAX_ATTEMPTS:
            fetch_recordings.schedule(
                args=(day_id, meeting_ref, attempt + 1), delay=backoff(attempt, error.retry_after)
            )
        else:
            log.warning("Zoom recordings of day %s were not read: %s", day_id, error.message)
        return
    with write_transaction():
        keep_recordings(day, files_of(answer), complete=True)
