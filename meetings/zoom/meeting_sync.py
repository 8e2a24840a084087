"""Zoom meetings follow Zoom conference days.

Saving a day marks it "Creating…" in the write transaction; after the commit one job
(`sync_day_meeting`) creates, updates or deletes the meeting. The job is safe to run twice:
the meeting id is kept with the day (`ZoomMeeting`), and a create that may have reached Zoom
before a worker died is found again by the marker in its agenda. Busy or unreachable Zoom
(429, 5xx, a timeout) is retried with backoff; a revoked token or a refusal shows on the day.
Cancelled and deleted days let go of their meetings.
"""

import logging

from flask import current_app
from flask_babel import gettext as _
from huey.exceptions import TaskLockedException

from foundation.i18n import pick_text
from foundation.jobs import huey, job
from meetings.zoom.client import ZoomClient
from meetings.zoom.connections import connection_for, refresh_account_type
from meetings.zoom.transport import MAX_ATTEMPTS, ZoomError, backoff
from models import Day, DayFormat, ZoomConnection, ZoomMeeting, ZoomRole, ZoomState

log = logging.getLogger(__name__)
LOCKED_DELAY = 5  # seconds a job waits while another one works on the same day


# The day's meeting row ---------------------------------------------------------------------


def keep(day_id, **fields):
    """Write `fields` of the day's Zoom meeting (its row is made on the first write)."""
    update = {getattr(ZoomMeeting, name): value for name, value in fields.items()}
    ZoomMeeting.insert(day=day_id, **fields).on_conflict(
        conflict_target=[ZoomMeeting.day], update=update
    ).execute()


def forget(day_ids):
    """The days no longer have a meeting, nor a state to show."""
    ZoomMeeting.delete().where(ZoomMeeting.day.in_(list(day_ids))).execute()


def _read_again(day):
    day.zoom = ZoomMeeting.get_or_none(ZoomMeeting.day == day.id)


def _has_meeting_to_follow(day):
    return day.format == DayFormat.ZOOM or bool(day.zoom.meeting_id)


# Days -> meetings --------------------------------------------------------------------------


def marker(day):
    return f"[convene-day-{day.id}]"


def meeting_fields(day):
    session = day.session
    topic = pick_text(session.name)
    if session.event_id:
        topic = f"{pick_text(session.event.title)} — {topic}"
    return {
        "topic": topic[:200],
        "type": 2,
        "start_time": day.start_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": max(int(day.duration.total_seconds() // 60), 1),
        "timezone": session.timezone,
        "agenda": marker(day),
        "settings": {
            "waiting_room": True,
            "join_before_host": False,
            "mute_upon_entry": True,
            "auto_recording": "cloud" if day.zoom_role == ZoomRole.ADMINISTRATOR else "none",
        },
    }


def mark_pending(day):
    """Inside the save's transaction: the day's meeting is about to be made or changed."""
    if _has_meeting_to_follow(day):
        keep(day.id, state=ZoomState.CREATING, error="")
        _read_again(day)


def after_save(day):
    """After the commit: let the job make the day's meeting follow it."""
    if _has_meeting_to_follow(day):
        sync_day_meeting(day.id)
        # What the row shows: "Creating…" until the worker is done (at once when it runs inline).
        _read_again(day)


def meeting_of(day):
    """(meeting id, connection id) of a day about to be deleted, to delete its meeting after."""
    if not day.zoom.meeting_id:
        return None, None
    connection = connection_for(day)
    return day.zoom.meeting_id, connection and connection.id


def forget_meetings(session):
    """Inside the transaction that cancels `session`: its days let go of their Zoom meetings
    (no Join or Start leads to them any more); answers what `after_delete` should delete
    after the commit."""
    days = list(
        Day.with_zoom().where(Day.session == session, ZoomMeeting.meeting_id.is_null(False))
    )
    meetings = [meeting_of(day) for day in days]
    if days:
        forget(day.id for day in days)
    return [meeting for meeting in meetings if meeting[0]]


def after_delete(meeting_id, connection_id):
    """After a Zoom day (or its session) is deleted: its meeting goes too."""
    if meeting_id and connection_id:
        delete_meeting(meeting_id, connection_id)


# The jobs ----------------------------------------------------------------------------------


@job()
def sync_day_meeting(day_id, attempt=0):
    """Create, update or delete the Zoom meeting of a day so that it matches the day. One
    job per day at a time (two quick saves must not both create): a second one waits."""
    try:
        with huey.lock_task(f"zoom-day-{day_id}"):
            _sync_day_meeting(day_id, attempt)
    except TaskLockedException:
        sync_day_meeting.schedule(args=(day_id, attempt), delay=LOCKED_DELAY)


def _sync_day_meeting(day_id, attempt):
    day = Day.with_zoom().where(Day.id == day_id).first()
    if day is None:
        return
    if day.session.cancelled_at is not None:
        # Cancelled while this job waited: no meeting for it (one made already goes).
        if day.zoom.meeting_id:
            after_delete(*meeting_of(day))
            forget([day_id])
        return
    connection = connection_for(day)
    if connection is None:
        if day.format == DayFormat.ZOOM:
            keep(day_id, state=ZoomState.REFUSED, error=_("No Zoom account is connected."))
        return
    try:
        if day.format != DayFormat.ZOOM:
            ZoomClient(connection).delete_meeting(day.zoom.meeting_id)
            forget([day_id])
            return
        _make_or_update(ZoomClient(connection), day)
        if connection.account_type is None:
            refresh_account_type(connection)
        keep(day_id, state=ZoomState.READY, error="")
    except ZoomError as error:
        _failed(day_id, attempt, error)


def _make_or_update(client, day):
    """The day's meeting as the day is now: updated when known (or found again by its
    marker), else created."""
    fields = meeting_fields(day)
    if day.zoom.meeting_id:
        client.update_meeting(day.zoom.meeting_id, fields)
        return
    found = client.find_meeting(marker(day))
    if found:
        client.update_meeting(found["id"], fields)
        meeting = found
    else:
        meeting = client.create_meeting(fields)
    keep(day.id, meeting_id=str(meeting["id"]), join_url=meeting.get("join_url", ""))


def _failed(day_id, attempt, error):
    if error.is_transient and attempt + 1 < MAX_ATTEMPTS:
        delay = backoff(attempt, error.retry_after)
        keep(
            day_id,
            state=ZoomState.CREATING,
            error=_("Zoom is busy; trying again in %(seconds)s s.", seconds=delay),
        )
        sync_day_meeting.schedule(args=(day_id, attempt + 1), delay=delay)
        return
    if error.is_revoked:
        message = _("Zoom no longer accepts the connection: connect the account again.")
    else:
        message = error.message
    log.warning("Zoom refused day %s: %s", day_id, error.message)
    keep(day_id, state=ZoomState.REFUSED, error=message[:500])


@job()
def delete_meeting(meeting_id, connection_id, attempt=0):
    connection = ZoomConnection.get_or_none(ZoomConnection.id == connection_id)
    if connection is None:
        return
    try:
        ZoomClient(connection).delete_meeting(meeting_id)
    except ZoomError as error:
        if error.is_transient and attempt + 1 < MAX_ATTEMPTS:
            delete_meeting.schedule(
                args=(meeting_id, connection_id, attempt + 1),
                delay=backoff(attempt, error.retry_after),
            )
        else:
            log.warning("Zoom meeting %s was not deleted: %s", meeting_id, error.message)


def retry(day):
    """The admin's "Retry" after a refusal."""
    keep(day.id, state=ZoomState.CREATING, error="")
    sync_day_meeting(day.id)


# Ways in -----------------------------------------------------------------------------------


def join_link(day):
    """The participants' way in, for emails and calendars: Zoom's join_url once the meeting
    exists, else Convene's join page (it redirects there when the meeting is ready)."""
    zoom = getattr(day, "zoom", None)
    if zoom is not None and zoom.join_url:
        return zoom.join_url
    return f"{current_app.config['PUBLIC_URL']}/zoom/days/{day.id}/join"


def start_url(day):
    """A fresh start link for the host (Zoom's expire after two hours)."""
    connection = connection_for(day)
    if connection is None or not day.zoom.meeting_id:
        raise ZoomError(_("No Zoom account is connected."))
    return ZoomClient(connection).get_meeting(day.zoom.meeting_id)["start_url"]
