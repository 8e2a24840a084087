"""The history of who changed what: one `HistoryEntry` per change to a registration, to a
session or to an event's visibility, written by the rule that makes the change, in its
transaction (rolled back with it), at the cost of one INSERT.

Who acted is not passed down through every rule: a request acts as its signed-in person,
a background job as "job", and a rule that acts for a machine says so once around the
change (`acting_as(Actor.IMPORT)`, `batch(Actor.BULK_UPLOAD)`). `batch` also gathers the
entries of many changes (an import's batch, a bulk action) into one INSERT of many rows,
written when the block ends without an error.

Entries keep codes and ids (`{"status": "approved"}`, `{"session": 12}`), never
sentences, so each reader sees them in their own language and time zone
(`history_reading`). Nothing in the app edits or deletes an entry.
"""

import json
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import peewee as pw
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l

from foundation.bulk_insert import insert_rows
from models import (
    Choices,
    DayFormat,
    HistoryEntry,
    Registration,
    RegistrationRole,
    Status,
    db,
    utcnow,
)


class Actor(Choices):
    USER = "user"
    LINK = "private_link"  # someone acting through a private link, signed out
    IMPORT = "import"
    JOB = "job"
    ZOOM_ATTENDANCE = "zoom_attendance"
    BIGBLUEBUTTON_ATTENDANCE = "bigbluebutton_attendance"
    BULK_UPLOAD = "bulk_upload"
    LABELS = {
        USER: _l("Person"),
        LINK: _l("Private link"),
        IMPORT: _l("File import"),
        JOB: _l("Scheduled job"),
        ZOOM_ATTENDANCE: _l("Zoom attendance"),
        BIGBLUEBUTTON_ATTENDANCE: _l("BigBlueButton attendance"),
        BULK_UPLOAD: _l("Bulk upload"),
    }


class Change(Choices):
    REGISTERED = "registered"
    IMPORTED = "imported"
    STATUS_CHANGED = "status_changed"
    BULK_STATUS = "bulk_status"
    ATTENDANCE_MARKED = "attendance_marked"
    MOVED = "moved"
    REMOVED = "removed"
    PROMOTED = "promoted"
    SESSION_CREATED = "session_created"
    SESSION_DELETED = "session_deleted"
    DAYS_CHANGED = "days_changed"
    LIMITS_CHANGED = "limits_changed"
    SESSION_CANCELLED = "session_cancelled"
    HOST_CHANGED = "host_changed"
    VISIBILITY_CHANGED = "visibility_changed"
    LABELS = {
        REGISTERED: _l("Registered"),
        IMPORTED: _l("Registered by import"),
        STATUS_CHANGED: _l("Status changed"),
        BULK_STATUS: _l("Status changed by a bulk action"),
        ATTENDANCE_MARKED: _l("Attendance marked"),
        MOVED: _l("Moved to another session"),
        REMOVED: _l("Removed"),
        PROMOTED: _l("Promoted from the waiting list"),
        SESSION_CREATED: _l("Session created"),
        SESSION_DELETED: _l("Session deleted"),
        DAYS_CHANGED: _l("Days changed"),
        LIMITS_CHANGED: _l("Limits changed"),
        SESSION_CANCELLED: _l("Session cancelled"),
        HOST_CHANGED: _l("Host changed"),
        VISIBILITY_CHANGED: _l("Event visibility changed"),
    }


# What a change is called when a machine actor makes it: the import's registrations, the
# attendance platforms' status changes.
MACHINE_CHANGES = {
    (Actor.IMPORT, Change.REGISTERED): Change.IMPORTED,
    (Actor.ZOOM_ATTENDANCE, Change.BULK_STATUS): Change.ATTENDANCE_MARKED,
    (Actor.BIGBLUEBUTTON_ATTENDANCE, Change.BULK_STATUS): Change.ATTENDANCE_MARKED,
}


@dataclass
class _Acting:
    actor: str
    user_id: int | None
    pending: list | None = None  # inside `batch`: the rows its one INSERT will write
    renamed: dict = field(default_factory=dict)


_acting = ContextVar("history_acting", default=None)
INSERTED_COLUMNS = [
    HistoryEntry.changed_at,
    HistoryEntry.actor,
    HistoryEntry.actor_user,
    HistoryEntry.change,
    HistoryEntry.event,
    HistoryEntry.session,
    HistoryEntry.person,
    HistoryEntry.before,
    HistoryEntry.after,
]


def _current():
    """Who acts now: as declared around the change, else the request's person, else a job."""
    declared = _acting.get()
    if declared is not None:
        return declared
    if has_request_context():
        user = getattr(g, "user", None)
        return _Acting(Actor.USER, user.id) if user else _Acting(Actor.LINK, None)
    return _Acting(Actor.JOB, None)


def _request_user_id():
    user = getattr(g, "user", None) if has_request_context() else None
    return user.id if user else None


@contextmanager
def acting_as(actor, user_id=None):
    """Changes made inside the block are `actor`'s (a machine actor), on behalf of
    `user_id` if given, else of the request's signed-in person (who pressed the button)."""
    outer = _acting.get()
    acting = _Acting(actor, user_id or _request_user_id(), outer and outer.pending)
    token = _acting.set(acting)
    try:
        yield acting
    finally:
        _acting.reset(token)


@contextmanager
def batch(actor=None, user_id=None, renamed=None):
    """Gather the entries recorded inside the block and write them with one INSERT when it
    ends without an error (inside the caller's transaction); an error drops them with the
    changes. `renamed` maps a change to what it is called in this batch (one status change
    among many is a bulk action). A batch inside a batch adds to the outer one.

    The rows wait in memory, so a savepoint rolled back inside the block (an import's
    refused row) cannot take its entry back: rules record a change as its last step, after
    every statement that may refuse it."""
    outer = _current()
    pending = outer.pending if outer.pending is not None else []
    acting = _Acting(
        actor or outer.actor,
        user_id or (outer.user_id if actor is None else _request_user_id()),
        pending,
        {**outer.renamed, **(renamed or {})},
    )
    token = _acting.set(acting)
    try:
        yield acting
    finally:
        _acting.reset(token)
    if outer.pending is None and pending:
        insert_rows(HistoryEntry, pending)


def entry(change, *, event=None, session=None, person=None, before=None, after=None):
    """One entry's row, by the actor acting now (ids or model rows for the subjects)."""
    acting = _current()
    change = acting.renamed.get(change, change)
    return {
        "changed_at": utcnow(),
        "actor": acting.actor,
        "actor_user": acting.user_id,
        "change": MACHINE_CHANGES.get((acting.actor, change), change),
        "event": _id(event),
        "session": _id(session),
        "person": _id(person),
        "before": before,
        "after": after,
    }


def record(change, **subject):
    """Write one entry now (or add it to the batch being gathered)."""
    record_many([entry(change, **subject)])


def record_many(entries):
    """Write these entries (rows of `entry`) with one INSERT, or add them to the batch."""
    if not entries:
        return
    pending = _current().pending
    if pending is not None:
        pending.extend(entries)
    else:
        insert_rows(HistoryEntry, entries)


def _id(value):
    return getattr(value, "id", value)


# The subjects of registration changes, as rules hold them ----------------------------------


def registration_entry(change, registration, before=None, after=None):
    """The entry of a change to `registration`: its event, session and person."""
    return entry(
        change,
        event=registration.event_id,
        session=registration.session_id,
        person=registration.user_id,
        before=before,
        after=after,
    )


def record_registration(change, registration, before=None, after=None):
    record_many([registration_entry(change, registration, before, after)])


def record_status(registration, old_status, new_status, change=Change.STATUS_CHANGED):
    """A registration went from `old_status` (None: it is new) to `new_status`."""
    before = None if old_status is None else {"status": old_status}
    record_registration(change, registration, before, {"status": new_status})


def record_move(old, new):
    """A person moved from registration `old` to `new`, in another session of the event."""
    record_registration(
        Change.MOVED,
        new,
        {"session": old.session_id, "status": old.status},
        {"session": new.session_id, "status": new.status},
    )


def record_removals(registrations):
    """These registrations were removed (deleted), one entry each, in one INSERT."""
    record_many(
        [
            registration_entry(Change.REMOVED, registration, {"status": registration.status})
            for registration in registrations
        ]
    )


def as_bulk_action(operation):
    """`operation` run as a bulk action: its status changes are written as one batch."""

    def in_batch():
        with batch(renamed={Change.STATUS_CHANGED: Change.BULK_STATUS}):
            return operation()

    return in_batch


def record_status_updates(where, new_status, change=Change.STATUS_CHANGED):
    """Before an UPDATE gives the registrations matching `where` the status `new_status`:
    one entry each, written by one INSERT ... SELECT however many they are."""
    acting = _current()
    change = MACHINE_CHANGES.get((acting.actor, change), acting.renamed.get(change, change))
    columns = (
        pw.Value(utcnow()),
        pw.Value(acting.actor),
        pw.Value(acting.user_id),
        pw.Value(change),
        Registration.event,
        Registration.session,
        Registration.user,
        _as_json(
            pw.NodeList((pw.Value('{"status": "'), Registration.status, pw.Value('"}')), " || ")
        ),
        _as_json(pw.Value(json.dumps({"status": new_status}))),
    )
    query = Registration.select(*columns).where(where, Registration.status != new_status)
    HistoryEntry.insert_from(query, INSERTED_COLUMNS).execute()


def _as_json(text):
    """A JSON text as the database keeps a JSON column (SQLite: json(); PostgreSQL: ::json)."""
    if isinstance(db.obj, pw.SqliteDatabase):
        return pw.fn.json(text)
    return pw.Cast(text, "json")


def record_session(change, session, before=None, after=None):
    """The entry of a change to `session` itself (its days, limits, host, cancellation)."""
    record_many(
        [entry(change, event=session.event_id, session=session, before=before, after=after)]
    )


# Sessions and events -----------------------------------------------------------------------


def session_limits(session):
    """What `LIMITS_CHANGED` compares: the seat limit, the minimum and the registration end
    (None for a session not saved yet)."""
    if session is None or session.id is None:
        return None
    return {
        "limit": session.participant_limit,
        "minimum": session.min_participants,
        "registration_end": _moment(session.registration_end_at),
    }


def record_session_saved(session, limits_before):
    """A session was created (`limits_before` None) or saved: an entry when it is new or
    its limits changed."""
    limits = session_limits(session)
    if limits_before is None:
        record_session(Change.SESSION_CREATED, session)
    elif limits != limits_before:
        record_session(Change.LIMITS_CHANGED, session, limits_before, limits)


def record_created(session_ids):
    """Sessions made together (the bulk upload), with no event: one INSERT."""
    made = entry(Change.SESSION_CREATED)  # the same but for the session: worked out once
    record_many([made | {"session": session_id} for session_id in session_ids])


def record_registered(seats, status=Status.APPROVED):
    """People given seats together, [(session id, user id)] of sessions with no event."""
    seated = entry(Change.REGISTERED, after={"status": status})
    record_many(
        [seated | {"session": session_id, "person": user_id} for session_id, user_id in seats]
    )


def record_deletions(sessions):
    """These sessions are being deleted: one entry each (their names kept, since the
    sessions go), in one INSERT."""
    record_many(
        [
            entry(
                Change.SESSION_DELETED,
                event=session.event_id,
                session=session,
                before={"name": session.name},
            )
            for session in sessions
        ]
    )


def day_times(day):
    """What `DAYS_CHANGED` compares: a day's start and end (None: no day)."""
    if day is None or day.id is None:
        return None
    return {"start": _moment(day.start_at), "end": _moment(day.end_at)}


def day_values(day):
    """What an event session's `DAYS_CHANGED` compares: a day's times, format and place
    (its address, or its link), None for no day."""
    times = day_times(day)
    if times is None:
        return None
    place = day.address if day.format == DayFormat.OFFLINE else day.url
    return times | {"format": day.format, "place": place}


def record_days(session, before, after):
    """A day of `session` was added (`before` None), changed or removed (`after` None)."""
    if before != after:
        record_session(Change.DAYS_CHANGED, session, before, after)


def record_day_moved(day, start_at, end_at):
    """A hosted session's one day got new times (a change of its link alone is no entry)."""
    after = {"start": _moment(start_at), "end": _moment(end_at)}
    before = day_times(day)
    if before != after:
        record(Change.DAYS_CHANGED, session=day.session_id, before=before, after=after)


def record_cancelled(session):
    """The session was cancelled: one entry for it, and one per participant whose
    registration it cancels (written before that UPDATE, by one INSERT ... SELECT)."""
    record_session(Change.SESSION_CANCELLED, session, None, {"cancelled": True})
    record_status_updates(
        (Registration.session == session.id) & (Registration.role == RegistrationRole.PARTICIPANT),
        Status.CANCELLED,
    )


def record_host(session, old_host_id, new_host_id):
    if old_host_id != new_host_id:
        record_session(Change.HOST_CHANGED, session, {"host": old_host_id}, {"host": new_host_id})


def record_visibility(event, was_active, is_active):
    record(
        Change.VISIBILITY_CHANGED,
        event=event,
        before={"is_active": bool(was_active)},
        after={"is_active": bool(is_active)},
    )


def _moment(utc):
    """A naive UTC datetime as stored in an entry (ISO 8601, to the minute)."""
    return utc.isoformat(timespec="minutes") if utc else None
