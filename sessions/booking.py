"""Who holds a seat: sign-up, switch, withdrawal, the waiting list and status changes.

Capacity is a guarded counter on the session row. A seat is taken by
`UPDATE session SET seats_taken = seats_taken + 1 WHERE id = ? AND seats_taken < limit`
and the registration is written only when that changed one row, in the same transaction;
every status change that starts or stops holding a seat moves the counter with it. This
was measured to hold exactly at the limit on SQLite and on PostgreSQL, where a
count-then-insert overbooks (docs/stack-notes.md, "Peewee"). The partial unique index
`registration_one_live_per_event` makes the database itself refuse a second live
registration of a user in an event.

Every operation is one transaction: it happens whole or not at all. The statements a
sign-up runs are built once (foundation/prepared.py): a sign-up is the hottest request.
"""

import peewee as pw
from flask_babel import gettext as _

from foundation.prepared import Prepared, slot
from messaging import mail, notifications
from models import (
    Registration,
    RegistrationRole,
    Session,
    SessionKind,
    Status,
    User,
    db,
    utcnow,
    write_transaction,
)
from sessions import history


class BookingError(Exception):
    """A refusal the person sees, such as "Session seats full"; nothing was changed."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class AlreadyRegistered(BookingError):
    pass


def seats_full_message():
    return _("Session seats full")


# The atomic seat step ----------------------------------------------------------------------


TAKE_SEAT = Prepared(
    lambda: (
        Session.update(seats_taken=Session.seats_taken + 1)
        .where(
            Session.id == slot("session_id"),
            Session.participant_limit.is_null() | (Session.seats_taken < Session.participant_limit),
        )
        .returning(Session.seats_taken)
    )
)


def _take_seat(session_id):
    """The seats now taken in the session, or None when it was full (nothing changed)."""
    return TAKE_SEAT.scalar(session_id=session_id)


def _free_seat(session_id):
    Session.update(seats_taken=Session.seats_taken - 1).where(
        Session.id == session_id, Session.seats_taken > 0
    ).execute()


def _lock_sessions(*session_ids):
    """Lock session rows in id order, so two opposite switches cannot deadlock (PostgreSQL)."""
    if not isinstance(db.obj, pw.SqliteDatabase):
        list(
            Session.select(Session.id)
            .where(Session.id.in_(session_ids))
            .order_by(Session.id)
            .for_update()
        )


def _move(registration, old_status, new_status, now, **fields):
    """Change a status only if nobody changed it meanwhile; False when they did."""
    query = Registration.update(status=new_status, updated_at=now, **fields).where(
        Registration.id == registration.id, Registration.status == old_status
    )
    return query.execute() == 1


def _promote_waiting(session_id, now):
    """Give a freed seat to the first in the waiting list, in the same transaction."""
    waiting = (
        Registration.select()
        .where(Registration.session == session_id, Registration.status == Status.WAITLISTED)
        .order_by(Registration.queued_at, Registration.id)
    )
    for candidate in waiting:
        if not _take_seat(session_id):
            return None
        if _move(candidate, Status.WAITLISTED, Status.APPROVED, now, queued_at=None):
            promoted = Registration.get_by_id(candidate.id)
            notifications.registration_promoted(promoted)
            history.record_status(
                promoted, Status.WAITLISTED, Status.APPROVED, history.Change.PROMOTED
            )
            return promoted
        _free_seat(session_id)  # promoted meanwhile by someone else: try the next one
    return None


def _change_status(registration, new_status, now):
    """Move a registration to `new_status`, keeping the seat counter and the waiting list true."""
    old_status = registration.status
    if new_status in Status.HOLDS_SEAT and old_status not in Status.HOLDS_SEAT:
        if not _take_seat(registration.session_id):
            raise BookingError(seats_full_message())
    if not _move(registration, old_status, new_status, now):
        raise BookingError(_("This registration was changed meanwhile. Reload the page."))
    if old_status in Status.HOLDS_SEAT and new_status not in Status.HOLDS_SEAT:
        _free_seat(registration.session_id)
        _promote_waiting(registration.session_id, now)
    registration.status = new_status
    history.record_status(registration, old_status, new_status)
    return registration


NEW_REGISTRATION = Prepared(
    lambda: Registration.insert(
        session=slot("session_id"),
        user=slot("user_id"),
        event=slot("event_id"),
        role=RegistrationRole.PARTICIPANT,
        status=slot("status"),
        queued_at=slot("queued_at"),
        created_at=slot("now"),
        updated_at=slot("now"),
    )
)
REGISTRATION_IN_SESSION = Prepared(
    lambda: (
        Registration.select(Registration.id)
        .where(Registration.session == slot("session_id"), Registration.user == slot("user_id"))
        .limit(1)
    )
)
UNKNOWN = object()  # the caller has not looked for the person's row in the session


def _write_registration(session, user, status, now, existing_id=UNKNOWN):
    """Insert the person's registration in `session`, or revive their cancelled one
    (`existing_id`: its id, or None when the caller knows there is none)."""
    user_id = getattr(user, "id", user)
    if existing_id is UNKNOWN:
        existing_id = REGISTRATION_IN_SESSION.scalar(session_id=session.id, user_id=user_id)
    queued_at = now if status == Status.WAITLISTED else None
    fields = {
        "event": session.event_id,
        "role": RegistrationRole.PARTICIPANT,
        "status": status,
        "queued_at": queued_at,
        "updated_at": now,
    }
    if existing_id is not None:
        Registration.update(**fields).where(Registration.id == existing_id).execute()
        return Registration.get_by_id(existing_id)
    new_id = NEW_REGISTRATION.insert(
        session_id=session.id,
        user_id=user_id,
        event_id=session.event_id,
        status=status,
        queued_at=queued_at,
        now=now,
    )
    return Registration(id=new_id, session=session.id, user=user_id, created_at=now, **fields)


def _seat_and_approve(session, user, now, notice="registration_confirmed", existing_id=UNKNOWN):
    """The atomic seat step, then the approved registration and its email (`notice`: the
    confirmation, or the mentoring invitation for an invited mentee)."""
    seats_taken = _take_seat(session.id)
    if seats_taken is None:
        raise BookingError(seats_full_message())
    session.seats_taken = seats_taken
    registration = _write_registration(session, user, Status.APPROVED, now, existing_id)
    notifications.registration_confirmed(registration, kind=notice, user=user)
    history.record_status(registration, None, Status.APPROVED, history.Change.REGISTERED)
    return registration


LIVE_REGISTRATION = Prepared(
    lambda: (
        Registration.select()
        .where(
            Registration.event == slot("event_id"),
            Registration.user == slot("user_id"),
            Registration.role == RegistrationRole.PARTICIPANT,
            Registration.status != Status.CANCELLED,
        )
        .limit(1)
    )
)
# A sign-up's one read: the person's rows in the event and in the session, live or not.
STANDING = Prepared(
    lambda: (
        Registration.select(
            Registration.id,
            Registration.session,
            Registration.event,
            Registration.role,
            Registration.status,
        )
        .where(
            Registration.user == slot("user_id"),
            (Registration.event == slot("event_id")) | (Registration.session == slot("session_id")),
        )
        .tuples()
    )
)


def live_registration(user, event):
    """The person's one registration in `event` that is not cancelled, if any."""
    return LIVE_REGISTRATION.first(
        event_id=getattr(event, "id", event), user_id=getattr(user, "id", user)
    )


def _standing(user, session):
    """(whether `user` holds a live registration where `session` allows one, the id of
    their row in `session` if any): one read for both, for a session of an event."""
    rows = STANDING.rows(user_id=user.id, event_id=session.event_id, session_id=session.id)
    is_live = any(
        event_id == session.event_id
        and role == RegistrationRole.PARTICIPANT
        and status != Status.CANCELLED
        for _id, _session, event_id, role, status in rows
    )
    in_session = next((row[0] for row in rows if row[1] == session.id), None)
    return is_live, in_session


def live_in(user, session):
    """The person's live registration where `session` allows only one: its event, or, for a
    session of its own (group sessions), the session itself. An open invitation is not one."""
    if session.event_id:
        return live_registration(user, session.event_id)
    return (
        Registration.select()
        .where(
            Registration.session == session,
            Registration.user == user,
            Registration.status.not_in([Status.CANCELLED, Status.INVITED]),
        )
        .first()
    )


def _in_one_transaction(operation):
    """Run `operation` in a write transaction; the unique index's refusal becomes a message.
    The emails it queued are delivered once it has committed."""
    try:
        with write_transaction():
            result = operation()
    except pw.IntegrityError as error:
        raise AlreadyRegistered(_("You are already registered in this event.")) from error
    mail.request_delivery()
    return result


# Steps for rules that hold their own write transaction (mentoring sessions) ---------------


def seat_inside(session, user, now, notice="registration_confirmed"):
    """The atomic seat step and the approved registration, inside the caller's write
    transaction; BookingError "Session seats full" when no seat is left."""
    return _seat_and_approve(session, user, now, notice)


def release_inside(registration, now):
    """Cancel a registration inside the caller's write transaction, freeing its seat."""
    return _change_status(registration, Status.CANCELLED, now)


# What members do ---------------------------------------------------------------------------


def _check_open(session, now, user=None):
    if session.event_id is None:
        _check_group_session_open(session, user)
    elif not session.event.is_active:
        raise BookingError(_("This event is not open for registration."))
    if not session.registration_is_open(now):
        raise BookingError(_("Registration for this session has ended."))


def _check_group_session_open(session, user):
    if session.kind not in (SessionKind.GROUP, SessionKind.MENTORING):
        raise BookingError(_("This event is not open for registration."))
    if user is not None and session.host_id == user.id:
        raise BookingError(_("You are the host: you are attending already."))
    if not session.is_public and not is_invited(user, session):
        raise BookingError(_("This session is for invited people only."))


def is_invited(user, session):
    """Whether `user` holds a live invitation or registration in `session`, the key to a
    private one: a cancelled registration (removed by the host, or withdrawn) or a denied
    one opens nothing."""
    return user is not None and (
        Registration.select()
        .where(
            Registration.session == session,
            Registration.user == user,
            Registration.status.not_in([Status.CANCELLED, Status.DENIED]),
        )
        .exists()
    )


def sign_up(user, session, now=None):
    """Take a seat in `session`: approved at once, or "Session seats full"."""
    now = now or utcnow()
    _check_open(session, now, user)

    def operation():
        if session.event_id is None:
            is_live, existing_id = live_in(user, session), UNKNOWN
        else:
            is_live, existing_id = _standing(user, session)
        if is_live:
            raise AlreadyRegistered(_("You are already registered in this event."))
        return _seat_and_approve(session, user, now, existing_id=existing_id)

    return _in_one_transaction(operation)


def join_waiting_list(user, session, now=None):
    """Queue for a full session; the first in line gets the next seat that frees."""
    now = now or utcnow()
    _check_open(session, now, user)

    def operation():
        if live_in(user, session):
            raise AlreadyRegistered(_("You are already registered in this event."))
        queued = _write_registration(session, user, Status.WAITLISTED, now)
        history.record_status(queued, None, Status.WAITLISTED, history.Change.REGISTERED)
        return queued

    return _in_one_transaction(operation)


def switch(registration, target, now=None, as_admin=False):
    """Move a registration to another session of the same event: one atomic step."""
    now = now or utcnow()
    current = registration.session
    if target.event_id != current.event_id or target.id == current.id:
        raise BookingError(_("Choose another session of the same event."))
    if not as_admin:
        _check_open(current, now)
        _check_open(target, now)

    def operation():
        _lock_sessions(current.id, target.id)
        fresh = Registration.get_by_id(registration.id)
        if fresh.status not in (*Status.HOLDS_SEAT, Status.WAITLISTED):
            raise BookingError(_("This registration was changed meanwhile. Reload the page."))
        if not _take_seat(target.id):
            raise BookingError(seats_full_message())
        if not _move(fresh, fresh.status, Status.CANCELLED, now, queued_at=None):
            raise BookingError(_("This registration was changed meanwhile. Reload the page."))
        if fresh.status in Status.HOLDS_SEAT:
            _free_seat(current.id)
            _promote_waiting(current.id, now)
        moved = _write_registration(target, fresh.user_id, Status.APPROVED, now)
        notifications.registration_switched(moved, current)
        history.record_move(fresh, moved)
        return moved

    return _in_one_transaction(operation)


def withdraw(registration, now=None):
    """The member leaves (status cancelled); their seat goes to the waiting list."""
    now = now or utcnow()
    if not registration.session.registration_is_open(now):
        raise BookingError(_("Registration for this session has ended."))

    def operation():
        cancelled = _change_status(registration, _status_after_leaving(registration), now)
        notifications.registration_cancelled(Registration.get_by_id(registration.id))
        return cancelled

    return _in_one_transaction(operation)


def _status_after_leaving(registration):
    """An invited member who leaves a private hosted session keeps the invitation (they may
    change their mind; only the host's removal or a refusal takes it away); anyone else's
    registration is cancelled."""
    session = registration.session
    is_private_hosted = session.kind in (SessionKind.GROUP, SessionKind.MENTORING) and not (
        session.is_public
    )
    return Status.INVITED if is_private_hosted else Status.CANCELLED


def confirm_participation(registration, took_part, now=None):
    """The member answers "did you take part?" after the last day."""
    if registration.status != Status.CONFIRM_PARTICIPATION:
        raise BookingError(_("This registration was changed meanwhile. Reload the page."))
    new_status = Status.PARTICIPATED if took_part else Status.MISSED
    return _in_one_transaction(lambda: _change_status(registration, new_status, now or utcnow()))


# What admins do ----------------------------------------------------------------------------

ADMIN_STATUSES = (Status.APPROVED, Status.PARTICIPATED, Status.MISSED, Status.DENIED)


def register_user(user, session, now=None):
    """An admin registers a person for `session` (approved), moving them if they are in
    another session of the event; capacity holds, registration end does not apply."""
    now = now or utcnow()
    live = live_registration(user, session.event_id)
    if live and live.session_id == session.id:
        raise AlreadyRegistered(_("Already registered for this session."))
    if live:
        return switch(live, session, now, as_admin=True)

    return _in_one_transaction(lambda: _seat_and_approve(session, user, now))


def set_status(registration, new_status, now=None):
    if new_status not in ADMIN_STATUSES:
        raise BookingError(_("Choose one of the options."))
    if new_status == registration.status:
        return registration

    def operation():
        changed = _change_status(registration, new_status, now or utcnow())
        notifications.status_changed(Registration.get_by_id(registration.id))
        return changed

    return _in_one_transaction(operation)


def _named(registration, message):
    """A refusal in a bulk change names the person it is about."""
    return BookingError(_("%(name)s: %(problem)s", name=registration.user.name, problem=message))


def _selected(registration_ids):
    return (
        Registration.select(Registration, User)
        .join(User)
        .where(Registration.id.in_(registration_ids))
        .order_by(Registration.id)
    )


def set_statuses(registration_ids, new_status, now=None):
    """An admin gives many registrations one status: all of them or, if one cannot take it
    (a full session, a change meanwhile), none, with the reason named. Those it changes are
    told with one broadcast per session, which the worker expands after the commit."""
    if new_status not in ADMIN_STATUSES:
        raise BookingError(_("Choose one of the options."))
    now = now or utcnow()

    def operation():
        told = {}
        for registration in _selected(registration_ids):
            if registration.status == new_status:
                continue
            try:
                _change_status(registration, new_status, now)
            except BookingError as refusal:
                raise _named(registration, refusal.message) from refusal
            told.setdefault(registration.session_id, []).append(registration.user_id)
        for session_id, user_ids in told.items():
            notifications.statuses_changed(session_id, new_status, user_ids, now)
        return sum(len(user_ids) for user_ids in told.values())

    return _in_one_transaction(history.as_bulk_action(operation))


def remove_registrations(registration_ids, now=None):
    """An admin removes registrations from the event: the rows go, each seat they held goes
    to the first in the waiting list of its session. One transaction; nobody is emailed."""
    now = now or utcnow()

    def operation():
        selected = list(_selected(registration_ids))
        freed = {}
        for registration in selected:
            if registration.status in Status.HOLDS_SEAT:
                freed[registration.session_id] = freed.get(registration.session_id, 0) + 1
        Registration.delete().where(Registration.id.in_([r.id for r in selected])).execute()
        history.record_removals(selected)
        for session_id, seats in sorted(freed.items()):
            for _seat in range(seats):
                _free_seat(session_id)
            for _seat in range(seats):
                if _promote_waiting(session_id, now) is None:
                    break
        return len(selected)

    return _in_one_transaction(operation)
