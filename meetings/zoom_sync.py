"""Zoom meetings follow Zoom conference days, and Zoom tells us what happened in them.

- Saving a day marks it "Creating…" in the write transaction; after the commit one job
  (`sync_day_meeting`) creates, updates or deletes the meeting. The job is safe to run twice:
  the meeting id is kept on the day, and a create that may have reached Zoom before a worker
  died is found again by the marker in its agenda. Busy or unreachable Zoom (429, 5xx, a
  timeout) is retried with backoff; a revoked token or a refusal shows on the day.
- Webhooks (`handle_event`): meeting started/ended, participants joining and leaving,
  recordings completed; each delivery is handled once (`ZoomWebhookEvent`).
- After a meeting ends, `import_attendance` reads the participants report.
"""

import logging
from datetime import UTC, datetime

from flask import current_app, g
from flask_babel import gettext as _
from huey import crontab
from huey.exceptions import TaskLockedException

from foundation.i18n import pick_text
from foundation.jobs import huey, job, periodic_job
from meetings.zoom import ZoomClient, ZoomError
from models import (
    Day,
    DayFormat,
    User,
    ZoomAttendance,
    ZoomConnection,
    ZoomRecording,
    ZoomRole,
    ZoomSettings,
    ZoomState,
    ZoomWebhookEvent,
    utcnow,
    write_transaction,
)

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6
LOCKED_DELAY = 5  # seconds a job waits while another one works on the same day
FREE_LIMIT_MINUTES = 40
FREE_CAPACITY = 100


# Which account a day uses ------------------------------------------------------------------


def company_connection():
    return ZoomConnection.get_or_none(ZoomConnection.user.is_null())


def user_connection(user_id):
    return ZoomConnection.get_or_none(ZoomConnection.user == user_id) if user_id else None


def connection_for(day):
    """A Participant-role day runs on its organizer's own account when they connected one;
    everything else on the company's account."""
    if day.zoom_role == ZoomRole.PARTICIPANT:
        own = user_connection(day.zoom_organizer_id)
        if own is not None:
            return own
    return company_connection()


def _accounts_of_request():
    """Every connection, read once per request (pages draw many Zoom days)."""
    if "zoom_accounts" not in g:
        g.zoom_accounts = {row.user_id: row for row in ZoomConnection.select()}
    return g.zoom_accounts


def accounts_version():
    """What Zoom warnings on cached admin cards depend on: the connected accounts' types."""
    return sorted(
        (row.id, row.user_id or 0, row.account_type or 0) for row in _accounts_of_request().values()
    )


def shown_connection_for(day):
    """`connection_for` for pages, from the request's one read of the connections."""
    accounts = _accounts_of_request()
    if day.zoom_role == ZoomRole.PARTICIPANT and day.zoom_organizer_id in accounts:
        return accounts[day.zoom_organizer_id]
    return accounts.get(None)


def role_mismatch(role, connection):
    """A warning when the chosen role does not match the account type Zoom reports."""
    if connection is None or connection.account_type is None:
        return ""
    if role == ZoomRole.ADMINISTRATOR and not connection.is_licensed:
        return _(
            "The connected Zoom account is a Basic (free) account: choose the Participant role, "
            "or connect a paid account with admin rights."
        )
    if role == ZoomRole.PARTICIPANT and connection.is_licensed:
        return _(
            "The connected Zoom account is a paid (licensed) account: the Administrator role "
            "keeps recordings and the time each person spent."
        )
    return ""


def is_longer_than_free_limit(day):
    return (
        day.zoom_role == ZoomRole.PARTICIPANT
        and day.duration.total_seconds() > FREE_LIMIT_MINUTES * 60
    )


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
    if day.format == DayFormat.ZOOM or day.zoom_meeting_id:
        Day.update(zoom_state=ZoomState.CREATING, zoom_error="").where(Day.id == day.id).execute()
        day.zoom_state, day.zoom_error = ZoomState.CREATING, ""


def after_save(day):
    """After the commit: let the job make the day's meeting follow it."""
    if day.format == DayFormat.ZOOM or day.zoom_meeting_id:
        sync_day_meeting(day.id)
        # What the row shows: "Creating…" until the worker is done (at once when it runs inline).
        current = Day.get_or_none(Day.id == day.id)
        if current is not None:
            for field in ("zoom_meeting_id", "zoom_join_url", "zoom_state", "zoom_error"):
                setattr(day, field, getattr(current, field))


def meeting_of(day):
    """(meeting id, connection id) of a day about to be deleted, to delete its meeting after."""
    if not day.zoom_meeting_id:
        return None, None
    connection = connection_for(day)
    return day.zoom_meeting_id, connection and connection.id


def forget_meetings(session):
    """Inside the transaction that cancels `session`: its days let go of their Zoom meetings
    (no Join or Start leads to them any more); answers what `after_delete` should delete
    after the commit."""
    days = list(Day.select().where(Day.session == session, Day.zoom_meeting_id.is_null(False)))
    meetings = [meeting_of(day) for day in days]
    if days:
        Day.update(zoom_meeting_id=None, zoom_join_url="", zoom_state="", zoom_error="").where(
            Day.id.in_([day.id for day in days])
        ).execute()
    return [meeting for meeting in meetings if meeting[0]]


def after_delete(meeting_id, connection_id):
    """After a Zoom day (or its session) is deleted: its meeting goes too."""
    if meeting_id and connection_id:
        delete_meeting(meeting_id, connection_id)


def _set(day_id, **fields):
    Day.update(**fields).where(Day.id == day_id).execute()


def backoff(attempt, retry_after=None):
    return retry_after if retry_after else min(30 * 2**attempt, 1800)


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
    day = Day.get_or_none(Day.id == day_id)
    if day is None:
        return
    if day.session.cancelled_at is not None:
        # Cancelled while this job waited: no meeting for it (one made already goes).
        if day.zoom_meeting_id:
            after_delete(*meeting_of(day))
            _set(day_id, zoom_meeting_id=None, zoom_join_url="", zoom_state="", zoom_error="")
        return
    connection = connection_for(day)
    if connection is None:
        if day.format == DayFormat.ZOOM:
            _set(
                day_id, zoom_state=ZoomState.REFUSED, zoom_error=_("No Zoom account is connected.")
            )
        return
    client = ZoomClient(connection)
    try:
        if day.format != DayFormat.ZOOM:
            client.delete_meeting(day.zoom_meeting_id)
            _set(day_id, zoom_meeting_id=None, zoom_join_url="", zoom_state="", zoom_error="")
            return
        fields = meeting_fields(day)
        meeting_id = day.zoom_meeting_id
        if meeting_id:
            client.update_meeting(meeting_id, fields)
            join_url = day.zoom_join_url
        else:
            found = client.find_meeting(marker(day))
            if found:
                client.update_meeting(found["id"], fields)
                meeting = found
            else:
                meeting = client.create_meeting(fields)
            meeting_id, join_url = str(meeting["id"]), meeting.get("join_url", "")
            _set(day_id, zoom_meeting_id=meeting_id, zoom_join_url=join_url)
        if connection.account_type is None:
            refresh_account_type(connection)
        _set(day_id, zoom_state=ZoomState.READY, zoom_error="")
    except ZoomError as error:
        _failed(day_id, attempt, error)


def _failed(day_id, attempt, error):
    if error.is_transient and attempt + 1 < MAX_ATTEMPTS:
        delay = backoff(attempt, error.retry_after)
        _set(
            day_id,
            zoom_state=ZoomState.CREATING,
            zoom_error=_("Zoom is busy; trying again in %(seconds)s s.", seconds=delay),
        )
        sync_day_meeting.schedule(args=(day_id, attempt + 1), delay=delay)
        return
    if error.is_revoked:
        message = _("Zoom no longer accepts the connection: connect the account again.")
    else:
        message = error.message
    log.warning("Zoom refused day %s: %s", day_id, error.message)
    _set(day_id, zoom_state=ZoomState.REFUSED, zoom_error=message[:500])


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
    _set(day.id, zoom_state=ZoomState.CREATING, zoom_error="")
    sync_day_meeting(day.id)


def refresh_account_type(connection):
    """GET /users/me: who the account is and its type (1 Basic, 2 Licensed)."""
    me = ZoomClient(connection).me()
    connection.zoom_user_id = str(me.get("id", ""))
    connection.email = me.get("email", "")
    connection.account_type = me.get("type")
    ZoomConnection.update(
        zoom_user_id=connection.zoom_user_id,
        email=connection.email,
        account_type=connection.account_type,
    ).where(ZoomConnection.id == connection.id).execute()
    return connection


def join_link(day):
    """The participants' way in, for emails and calendars: Zoom's join_url once the meeting
    exists, else Convene's join page (it redirects there when the meeting is ready)."""
    if getattr(day, "zoom_join_url", ""):
        return day.zoom_join_url
    return f"{current_app.config['PUBLIC_URL']}/zoom/days/{day.id}/join"


@periodic_job(crontab(hour="4", minute="17"))
def refresh_account_types():
    """Once a day: an account may have been upgraded or downgraded since it was connected."""
    for connection in ZoomConnection.select():
        try:
            refresh_account_type(connection)
        except ZoomError as error:
            log.warning("Zoom users/me for connection %s failed: %s", connection.id, error.message)


def start_url(day):
    """A fresh start link for the host (Zoom's expire after two hours)."""
    connection = connection_for(day)
    if connection is None or not day.zoom_meeting_id:
        raise ZoomError(_("No Zoom account is connected."))
    return ZoomClient(connection).get_meeting(day.zoom_meeting_id)["start_url"]


def connect(user_id, payload, kind=ZoomConnection.OAUTH):
    """Keep a token response as the company's connection (user_id None) or a user's."""
    from meetings.zoom import store_tokens

    with write_transaction():
        if user_id is None:
            connection = company_connection() or ZoomConnection(user=None)
        else:
            connection = user_connection(user_id) or ZoomConnection(user=user_id)
        connection.kind = kind
        connection.account_type = None
        store_tokens(connection, payload)
        connection.connected_at = utcnow()
        connection.save()
    try:
        refresh_account_type(connection)
    except ZoomError as error:
        log.warning("Zoom users/me failed after connecting: %s", error.message)
    return connection


def disconnect(connection):
    from meetings.zoom import revoke

    revoke(connection)
    connection.delete_instance()


# Webhooks ----------------------------------------------------------------------------------


def _mapping(value):
    """A webhook's part as a dict: a signed body of an unexpected shape changes nothing."""
    return value if isinstance(value, dict) else {}


def _event_key(event):
    obj = _mapping(_mapping(event.get("payload")).get("object"))
    participant = _mapping(obj.get("participant"))
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
        parts.append(",".join(sorted(str(_mapping(f).get("id")) for f in files)))
    return "|".join(parts)[:250]


def _parse_time(text):
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def handle_event(event):
    """Apply one verified webhook delivery, once. Unknown meetings and events are ignored."""
    name = str(event.get("event", ""))
    obj = _mapping(_mapping(event.get("payload")).get("object"))
    meeting_id = str(obj.get("id") or "")
    day = Day.get_or_none(Day.zoom_meeting_id == meeting_id) if meeting_id else None
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
            _set(day.id, zoom_instance_uuid=str(obj["uuid"])[:250])
        elif name == "meeting.participant_joined":
            _participant_seen(day, _mapping(obj.get("participant")))
        elif name == "recording.completed":
            files = obj.get("recording_files")
            _keep_recordings(day, [_mapping(f) for f in files] if isinstance(files, list) else [])
    if name == "meeting.ended":
        import_attendance(day.id)
    elif name == "recording.completed" and records_allowed(day):
        # The webhook's list may lack files or links: ask Zoom for the whole recording.
        fetch_recordings(day.id, str(obj.get("uuid") or meeting_id))
    return True


def _person(email, fallback):
    return (email or "").strip().lower() or str(fallback or "")[:250]


def _participant_seen(day, participant):
    email = str(participant.get("email") or "").strip().lower()[:250]
    person = _person(email, participant.get("participant_user_id") or participant.get("user_name"))
    if not person:
        return
    ZoomAttendance.insert(
        day=day, person=person, email=email, name=str(participant.get("user_name") or "")[:250]
    ).on_conflict_ignore().execute()


def records_allowed(day):
    return day.zoom_role == ZoomRole.ADMINISTRATOR and ZoomSettings.current().keeps_records


def _keep_recordings(day, files, complete=False):
    """Keep the recording files Zoom named. `complete`: Zoom's own list (GET recordings)
    fills in what a file kept from the webhook lacked; the webhook never overwrites."""
    if not records_allowed(day):
        return
    for item in files:
        if not item.get("id"):
            continue
        values = {
            "recording_type": str(item.get("recording_type") or "")[:100],
            "file_type": str(item.get("file_type") or "")[:50],
            "start_at": _parse_time(item.get("recording_start")),
            "end_at": _parse_time(item.get("recording_end")),
            "file_size": int(item["file_size"]) if str(item.get("file_size")).isdigit() else 0,
            "play_url": str(item.get("play_url") or ""),
            "download_url": str(item.get("download_url") or ""),
        }
        query = ZoomRecording.insert(day=day, file_id=str(item["id"])[:250], **values)
        known = {getattr(ZoomRecording, name): value for name, value in values.items() if value}
        if complete and known:
            query = query.on_conflict(conflict_target=[ZoomRecording.file_id], update=known)
        else:
            query = query.on_conflict_ignore()
        query.execute()


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
    files = _mapping(answer).get("recording_files")
    with write_transaction():
        _keep_recordings(
            day, [_mapping(f) for f in files] if isinstance(files, list) else [], complete=True
        )


# Attendance --------------------------------------------------------------------------------


@job()
def import_attendance(day_id, attempt=0):
    """The participants report of the day's last meeting, summed per person (one row per
    join segment), replaces what the webhooks told. Administrator-role days only: the
    report needs a paid account; Participant-role days keep the webhooks' presence."""
    day = Day.get_or_none(Day.id == day_id)
    if day is None or not day.zoom_meeting_id or day.zoom_role != ZoomRole.ADMINISTRATOR:
        return
    connection = connection_for(day)
    if connection is None:
        return
    try:
        rows = ZoomClient(connection).participants(day.zoom_instance_uuid or day.zoom_meeting_id)
    except ZoomError as error:
        if error.is_transient and attempt + 1 < MAX_ATTEMPTS:
            import_attendance.schedule(
                args=(day_id, attempt + 1), delay=backoff(attempt, error.retry_after)
            )
        else:
            log.warning("Zoom participants report for day %s failed: %s", day_id, error.message)
        return
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
    with write_transaction():
        for person, entry in totals.items():
            ZoomAttendance.insert(
                day=day,
                person=person,
                email=entry["email"],
                name=entry["name"][:250],
                seconds=entry["seconds"],
                updated_at=utcnow(),
            ).on_conflict(
                conflict_target=[ZoomAttendance.day, ZoomAttendance.person],
                update={
                    ZoomAttendance.seconds: entry["seconds"],
                    ZoomAttendance.updated_at: utcnow(),
                },
            ).execute()


def organizer_of(day):
    return User.get_or_none(User.id == day.zoom_organizer_id) if day.zoom_organizer_id else None
