"""What Convene tells people, and when. Each function adds its notice to the outbox inside
the caller's transaction, so nothing is told of a change that rolled back; it writes ids
(and a snapshot of what may be deleted before the worker renders), never rendered text.

Keys make every notice idempotent: the same notice for the same change and person is
queued once, however often the code path runs. Below the producers, the loaders the worker
uses to turn a notice's context back into what its template shows.
"""

import json
from datetime import datetime

import peewee as pw
from flask import current_app

from foundation.prepared import Prepared, slot
from messaging import mail
from messaging.calendars import attachment
from messaging.mail import Obsolete, check_kind, queue_broadcast, queue_email
from models import (
    Broadcast,
    Day,
    Event,
    Registration,
    RegistrationRole,
    Session,
    Status,
    User,
    db,
    utcnow,
)

# Producers (called by the rules, inside their transaction) ---------------------------------


def _stamp(registration):
    return registration.updated_at.strftime("%Y%m%d%H%M%S%f")


def _user(registration):
    return User.get_by_id(registration.user_id)


def registration_confirmed(
    registration, kind="registration_confirmed", left_session=None, user=None
):
    """Approved (signed up, registered by an admin, promoted, moved): with the calendar, and
    for a move, the cancellation of the days of the session left behind."""
    queue_email(
        f"{kind}:{registration.id}:{_stamp(registration)}",
        user or _user(registration),
        kind,
        session_id=registration.session_id,
        left_session_id=left_session.id if left_session is not None else None,
    )


def registrations_confirmed(registrations, kind="registration_confirmed"):
    """`registration_confirmed` (or another `kind` of it, such as the mentoring invitation)
    for many new registrations at once, [(registration, user)]."""
    stamps = {}  # a batch's registrations share one moment: its stamp is written once

    def stamp(registration):
        moment = registration.updated_at
        if moment not in stamps:
            stamps[moment] = _stamp(registration)
        return stamps[moment]

    mail.queue_emails(
        (
            f"{kind}:{registration.id}:{stamp(registration)}",
            user,
            kind,
            {"session_id": registration.session_id, "left_session_id": None},
        )
        for registration, user in registrations
    )


def registration_promoted(registration):
    registration_confirmed(registration, "waitlist_promoted")


def registration_switched(registration, left_session):
    registration_confirmed(registration, "registration_switched", left_session)


def registration_cancelled(registration):
    queue_email(
        f"registration_cancelled:{registration.id}:{_stamp(registration)}",
        _user(registration),
        "registration_cancelled",
        session_id=registration.session_id,
    )


def status_changed(registration):
    queue_email(
        f"status_changed:{registration.id}:{_stamp(registration)}",
        _user(registration),
        "status_changed",
        session_id=registration.session_id,
        status=registration.status,
    )


def statuses_changed(session_id, status, user_ids, now):
    """An admin changed many statuses in one session at once: one broadcast row."""
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    queue_broadcast(
        f"status_changed:{session_id}:{status}:{stamp}",
        "status_changed",
        user_ids,
        session_id=session_id,
        status=status,
    )


def _concerned():
    """Who a change of a session's days concerns: its seat holders and its hosts."""
    return Registration.status.in_(Status.HOLDS_SEAT) | (Registration.role == RegistrationRole.HOST)


def _people_of(session_ids):
    """Ids of everyone a change of the sessions' days concerns (seat holders and hosts):
    {session id: [user id]}, one query per 500, no rows loaded."""
    people = {}
    session_ids = list(session_ids)
    for start in range(0, len(session_ids), 500):
        for row in (
            Registration.select(Registration.session, Registration.user)
            .where(
                Registration.session.in_(session_ids[start : start + 500]),
                _concerned(),
            )
            .distinct()
            .tuples()
        ):
            people.setdefault(row[0], []).append(row[1])
    return people


def _day_snapshot(day, session):
    """The day as the email shows it, kept with the notice: the day may be gone by then."""
    return {
        "id": day.id,
        "start_at": day.start_at.isoformat(),
        "end_at": day.end_at.isoformat(),
        "format": day.format,
        "address": day.address,
        "url": day.url,
        "platform": day.platform,
        "meeting_id": day.meeting_id,
        "passcode": day.passcode,
        "sequence": day.sequence,
        "session_id": session.id,
        "session_name": session.name,
        "event_id": session.event_id,
        "event_title": session.event.title if session.event_id else None,
    }


def day_changed(day, session=None):
    """An updated calendar entry (same UID, higher SEQUENCE) for everyone in the session;
    the worker writes one email each after the commit."""
    _day_notice("day_changed", f"day_changed:{day.id}:{day.sequence}", day, session)


def days_changed(days):
    """`day_changed` for many days at once, [(day, session)]: who is in the sessions is
    read in one query and the notices are written in one statement (a bulk upload)."""
    days = list(days)
    people = _people_of({session.id for _day, session in days})
    mail.queue_broadcasts(
        (
            f"day_changed:{day.id}:{day.sequence}",
            "day_changed",
            people.get(session.id, []),
            {"day": _day_snapshot(day, session)},
        )
        for day, session in days
    )


def day_cancelled(day, session=None):
    """METHOD:CANCEL for a deleted day (or every day of a deleted session)."""
    _day_notice("day_cancelled", f"day_cancelled:{day.id}", day, session)


def _day_notice(kind, key, day, session):
    """One broadcast to everyone in the day's session, its recipients written by the
    database itself (`SESSION_BROADCAST`): no ids travel through Python."""
    session = session or Session.get_by_id(day.session_id)
    SESSION_BROADCAST.run(
        key=key[:255],
        kind=check_kind(kind),
        context=json.dumps({"day": _day_snapshot(day, session)}),
        now=utcnow(),
        session_id=session.id,
    )


def _session_broadcast():
    """INSERT … SELECT of one Broadcast whose `user_ids` are the session's people (as
    `_people_of` counts them), gathered into a JSON array by the database; nothing when
    the session has nobody. A day save runs it, so it is built once."""
    is_sqlite = isinstance(db.obj, pw.SqliteDatabase)
    gathered = pw.fn.json_group_array if is_sqlite else pw.fn.json_agg
    context = slot("context") if is_sqlite else pw.Cast(slot("context"), "json")
    people = (
        Registration.select(
            slot("key"),
            slot("kind"),
            context,
            gathered(pw.fn.DISTINCT(Registration.user)),
            slot("now"),
        )
        .where(
            Registration.session == slot("session_id"),
            _concerned(),
        )
        .group_by(Registration.session)
    )
    columns = [Broadcast.key, Broadcast.kind, Broadcast.context, Broadcast.user_ids]
    return Broadcast.insert_from(people, [*columns, Broadcast.created_at]).on_conflict_ignore()


SESSION_BROADCAST = Prepared(_session_broadcast)


def session_cancelled(session):
    """Every day of a deleted or cancelled session is cancelled in calendars; who is in the
    session is read once for all of them."""
    sessions_cancelled([session])


def sessions_cancelled(sessions):
    """`session_cancelled` for many sessions at once: a few statements in all (a bulk
    upload's deletes)."""
    by_id = {session.id: session for session in sessions}
    people = _people_of(by_id)
    days = Day.select().where(Day.session.in_(list(by_id))) if by_id else []
    mail.queue_broadcasts(
        (
            f"day_cancelled:{day.id}",
            "day_cancelled",
            people.get(day.session_id, []),
            {"day": _day_snapshot(day, by_id[day.session_id])},
        )
        for day in days
    )


def reminder(reminder_row, user_ids):
    queue_broadcast(
        f"reminder:{reminder_row.id}",
        "reminder",
        user_ids,
        session_id=reminder_row.session_id,
        reminder_id=reminder_row.id,
    )


def group_invitation(registration, links):
    """Invited to a group session: Accept / Decline links (signed, single-purpose)."""
    queue_email(
        f"group_invitation:{registration.id}",
        _user(registration),
        "group_invitation",
        session_id=registration.session_id,
        links=links,
    )


def group_below_minimum(session, person, links):
    queue_email(
        f"group_below_minimum:{session.id}:{person.id}",
        person,
        "group_below_minimum",
        session_id=session.id,
        links=links,
        count=session.seats_taken + 1,
    )


def password_changed(user):
    """The owner of an account is told that its password changed (on the profile, through a
    reset link, by an admin or the create-admin command): if it was not them, they know at
    once. Connected to accounts.administration.password_changed by the app."""
    queue_email(f"password_changed:{user.id}:{utcnow():%Y%m%d%H%M%S%f}", user, "password_changed")
    mail.request_delivery()


def meeting_room_unavailable(session, host, now):
    """A participant could not get into the session's meeting room; the key keeps it to one
    email a day."""
    queue_email(
        f"meeting_room_unavailable:{session.id}:{now:%Y%m%d}",
        host,
        "meeting_room_unavailable",
        session_id=session.id,
    )


def password_reset(user, link):
    """A link to set a new password (signed, single-use, expiring in an hour), for someone
    who asked on the sign-in page. Every request is its own notice."""
    queue_email(
        f"password_reset:{user.id}:{utcnow():%Y%m%d%H%M%S%f}",
        user,
        "password_reset",
        link=link,
    )


# Loaders (called by the worker when it renders) --------------------------------------------


def _session(session_id):
    session = Session.get_or_none(Session.id == session_id)
    if session is None:
        raise Obsolete("The session no longer exists.")
    return session


def _days(session):
    return list(Day.with_zoom().where(Day.session == session).order_by(Day.start_at))


def _calendar(session, days, locale, cancelled=False):
    if not days:
        return []
    method = "CANCEL" if cancelled else "REQUEST"
    return [attachment([(day, session) for day in days], locale, method, cancelled)]


def _confirmation(context, locale):
    session = _session(context["session_id"])
    days = _days(session)
    left = Session.get_or_none(Session.id == context.get("left_session_id"))
    files = _calendar(session, days, locale)
    if left is not None:
        files += _calendar(left, _days(left), locale, cancelled=True)
    return {"session": session, "days": days, "left_session": left}, files


def _mentoring_invitation(context, locale):
    """An invited mentee holds a seat already: who invited them, the time in their zone, the
    meeting link (or when it comes), the calendar entry, and where to leave."""
    session = _session(context["session_id"])
    days = _days(session)
    mentor = User.get_or_none(User.id == session.host_id)
    return {"session": session, "days": days, "mentor": mentor}, _calendar(session, days, locale)


def _cancellation(context, locale):
    session = _session(context["session_id"])
    days = _days(session)
    return {"session": session, "days": days}, _calendar(session, days, locale, cancelled=True)


def _status(context, locale):
    return {"session": _session(context["session_id"]), "status": context["status"]}, []


def _day_of(snapshot):
    """The day and its session as they were when the notice was written (either may be
    deleted by now), unsaved."""
    fields = {name: snapshot[name] for name in ("id", "format", "address", "url", "sequence")}
    fields |= {name: snapshot.get(name, "") for name in ("platform", "meeting_id", "passcode")}
    fields |= {name: datetime.fromisoformat(snapshot[name]) for name in ("start_at", "end_at")}
    event = snapshot["event_id"] and Event(id=snapshot["event_id"], title=snapshot["event_title"])
    session = Session(id=snapshot["session_id"], name=snapshot["session_name"], event=event)
    day = Day(session=session, **fields)
    day.zoom = None  # its Zoom link is Convene's join page, which finds the meeting of the day
    return day, session


def _day_change(context, locale):
    day, session = _day_of(context["day"])
    return {"session": session, "day": day}, [attachment([(day, session)], locale)]


def _day_cancellation(context, locale):
    day, session = _day_of(context["day"])
    files = [attachment([(day, session)], locale, "CANCEL", cancelled=True)]
    return {"session": session, "day": day}, files


def _reminder(context, locale):
    session = _session(context["session_id"])
    return {"session": session, "days": _days(session)}, []


def _group_invitation(context, locale):
    session = _session(context["session_id"])
    days = _days(session)
    return {"session": session, "days": days, "links": context["links"], "host": session.host}, []


def _group_below_minimum(context, locale):
    session = _session(context["session_id"])
    days = _days(session)
    return {
        "session": session,
        "days": days,
        "links": context["links"],
        "count": context["count"],
    }, []


def _meeting_room_unavailable(context, locale):
    return {"session": _session(context["session_id"])}, []


def _password_reset(context, locale):
    return {"link": context["link"]}, []


def _password_changed(context, locale):
    return {"forgot_link": current_app.config["PUBLIC_URL"] + "/password/forgot"}, []


# What the worker needs to write each notice kind this module queues (background.py).
NOTICE_LOADERS = {
    "registration_confirmed": _confirmation,
    "waitlist_promoted": _confirmation,
    "registration_switched": _confirmation,
    "mentoring_invitation": _mentoring_invitation,
    "registration_cancelled": _cancellation,
    "status_changed": _status,
    "day_changed": _day_change,
    "day_cancelled": _day_cancellation,
    "reminder": _reminder,
    "group_invitation": _group_invitation,
    "group_below_minimum": _group_below_minimum,
    "password_reset": _password_reset,
    "password_changed": _password_changed,
    "meeting_room_unavailable": _meeting_room_unavailable,
}
