"""Who was in a Zoom day's meeting, one `Attendance` row per person: presence from the
participant webhooks as people join, then, after the meeting ends, the participants report
(time spent, summed over each person's join segments) replaces it. The report needs a paid
account: Administrator-role days only; Participant-role days keep the webhooks' presence."""

import logging

from foundation.jobs import job
from meetings.zoom.client import ZoomClient
from meetings.zoom.connections import connection_for
from meetings.zoom.transport import MAX_ATTEMPTS, ZoomError, backoff
from models import Attendance, Day, ZoomRole, utcnow, write_transaction

log = logging.getLogger(__name__)


def _person(email, fallback):
    """Who a row is about: the e-mail, lower-case; else the Zoom participant id or name."""
    return (email or "").strip().lower() or str(fallback or "")[:250]


def participant_seen(day, participant):
    """A `meeting.participant_joined` webhook: the person was there."""
    email = str(participant.get("email") or "").strip().lower()[:250]
    person = _person(email, participant.get("participant_user_id") or participant.get("user_name"))
    if not person:
        return
    Attendance.insert(
        day=day, person=person, email=email, name=str(participant.get("user_name") or "")[:250]
    ).on_conflict_ignore().execute()


def _totals(rows):
    """{person: {"email", "name", "seconds"}} from the report's rows (one per join segment)."""
    totals = {}
    for row in rows:
        email = (row.get("user_email") or "").strip().lower()
        person = _person(email, row.get("id") or row.get("name"))
        if not person:
            continue
        entry = totals.setdefault(
            person, {"email": email, "name": row.get("name") or "", "seconds": 0}
        )
        entry["seconds"] += int(row.get("duration") or 0)
    return totals


@job()
def import_attendance(day_id, attempt=0):
    """The participants report of the day's last meeting replaces what the webhooks told."""
    day = Day.with_zoom().where(Day.id == day_id).first()
    if day is None or not day.zoom.meeting_id or day.zoom_role != ZoomRole.ADMINISTRATOR:
        return
    connection = connection_for(day)
    if connection is None:
        return
    try:
        rows = ZoomClient(connection).participants(day.zoom.instance_uuid or day.zoom.meeting_id)
    except ZoomError as error:
        if error.is_transient and attempt + 1 < MAX_ATTEMPTS:
            import_attendance.schedule(
                args=(day_id, attempt + 1), delay=backoff(attempt, error.retry_after)
            )
        else:
            log.warning("Zoom participants report for day %s failed: %s", day_id, error.message)
        return
    with write_transaction():
        for person, entry in _totals(rows).items():
            Attendance.insert(
                day=day,
                person=person,
                email=entry["email"],
                name=entry["name"][:250],
                seconds=entry["seconds"],
                updated_at=utcnow(),
            ).on_conflict(
                conflict_target=[Attendance.day, Attendance.person],
                update={
                    Attendance.seconds: entry["seconds"],
                    Attendance.updated_at: utcnow(),
                },
            ).execute()
