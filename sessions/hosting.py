"""What hosts do to a session of their own (group and mentoring sessions, one day each):
its status as shown (derived from time and state, never stored), when Join opens, the
host-clash rule, rescheduling and cancelling. Mentoring sessions (`mentoring`) and the
group-session screens both call these; capacity stays with `booking`.

The clash rule: one host never has two live sessions that overlap or touch. Touching
counts (15:00-16:00 blocks a session that starts at 16:00), so the test is on closed
intervals: start <= other end and other start <= end. Writes that could create a clash
lock the host's user row first (`models.locked`: FOR UPDATE on PostgreSQL; on SQLite the
write transaction is BEGIN IMMEDIATE) and check again inside the transaction, so two
concurrent writers for one host cannot both pass.
"""

from datetime import UTC, timedelta
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from foundation.forms import Invalid
from foundation.i18n import format_span, pick_text
from foundation.prepared import Prepared, slot
from meetings.platforms import check_meeting
from meetings.zoom import meeting_sync
from messaging import mail, notifications
from models import (
    Choices,
    Day,
    DayFormat,
    Registration,
    RegistrationRole,
    Session,
    SessionKind,
    Status,
    User,
    locked,
    utcnow,
    write_transaction,
)
from sessions import history

HOSTED_KINDS = (SessionKind.GROUP, SessionKind.MENTORING)
MAX_LENGTH = timedelta(hours=24)


class Problems(Invalid):
    """Refused: `errors` is {field: message in plain words}; nothing was changed."""


class DisplayStatus(Choices):
    UPCOMING = "upcoming"
    LIVE = "live"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    LABELS = {
        UPCOMING: _l("Upcoming"),
        LIVE: _l("Live"),
        COMPLETED: _l("Completed"),
        CANCELLED: _l("Cancelled"),
    }


def as_utc(moment):
    """An aware datetime, or a naive one read as UTC, as stored: naive UTC to the minute."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(second=0, microsecond=0)


def display_status(session, day, now=None):
    now = now or utcnow()
    if session.cancelled_at is not None:
        return DisplayStatus.CANCELLED
    if day is None or now < day.start_at:
        return DisplayStatus.UPCOMING
    if now < day.end_at:
        return DisplayStatus.LIVE
    return DisplayStatus.COMPLETED


def join_minutes():
    return current_app.config.get("JOIN_OPENS_MINUTES", 10)


def join_opens_at(day):
    return day.start_at - timedelta(minutes=join_minutes())


def join_is_open(session, day, now=None):
    """Join is active from shortly before the start (10 minutes) until the end."""
    now = now or utcnow()
    return (
        session.cancelled_at is None and day is not None and join_opens_at(day) <= now < day.end_at
    )


def has_started(day, now=None):
    return day is not None and day.start_at <= (now or utcnow())


def only_day(session):
    return Day.select().where(Day.session == session).order_by(Day.start_at).first()


def days_of(session_ids):
    """The first day of each of these sessions, in one query."""
    if not session_ids:
        return []
    return list(Day.select().where(Day.session.in_(session_ids)).order_by(Day.start_at.desc()))


# The clash rule ----------------------------------------------------------------------------


def find_clash(host_id, start_at, end_at, ignore_session_id=None):
    """The host's live session that overlaps or touches [start_at, end_at], if any (its
    day is `.slot`)."""
    query = (
        Session.select(Session, Day)
        .join(Day, on=(Day.session == Session.id), attr="slot")
        .where(
            Session.host == host_id,
            Session.kind.in_(HOSTED_KINDS),
            Session.cancelled_at.is_null(),
            Day.start_at <= end_at,
            Day.end_at >= start_at,
        )
        .order_by(Day.start_at)
    )
    if ignore_session_id is not None:
        query = query.where(Session.id != ignore_session_id)
    return query.first()


def overlaps_or_touches(start_at, end_at, other_start, other_end):
    """The clash rule of `find_clash` for two intervals in memory (the bulk upload checks a
    whole file against what it loaded once): closed intervals, so touching counts."""
    return start_at <= other_end and other_start <= end_at


def hosted_slots(host_ids, ending_from):
    """The hosts' live sessions that end at `ending_from` or later: what `find_clash` looks
    through, loaded at once for many rows (the bulk upload). Only what the clash rule and
    its message read (id, host_id, name, timezone; the day as `.slot`: start_at, end_at),
    as light records: a file's mentors may have thousands."""
    query = (
        Session.select(
            Session.id, Session.host, Session.name, Session.timezone, Day.start_at, Day.end_at
        )
        .join(Day, on=(Day.session == Session.id))
        .where(
            Session.host.in_(list(host_ids)),
            Session.kind.in_(HOSTED_KINDS),
            Session.cancelled_at.is_null(),
            Day.end_at >= ending_from,
        )
        .tuples()
    )
    for session_id, host_id, name, timezone, start_at, end_at in query:
        yield SimpleNamespace(
            id=session_id,
            host_id=host_id,
            name=name,
            timezone=timezone,
            slot=SimpleNamespace(start_at=start_at, end_at=end_at),
        )


def clash_message(clash):
    host = User.get_by_id(clash.host_id)
    return _(
        "%(name)s already has a session at this time: %(title)s, %(when)s. One mentor's "
        "sessions cannot overlap or follow each other without a break.",
        name=host.name,
        title=pick_text(clash.name),
        when=format_span(clash.slot.start_at, clash.slot.end_at, clash.timezone),
    )


def lock_host_and_check(host_id, start_at, end_at, ignore_session_id=None):
    """Inside a write transaction: lock the host's row, then check for a clash again."""
    locked(User, host_id)
    clash = find_clash(host_id, start_at, end_at, ignore_session_id)
    if clash is not None:
        raise Problems({"start": clash_message(clash)})


def check_times(start_at, end_at, company, now, problems, must_be_future=True):
    """The time rules: start in the future, end after start, at least the company's
    minimum duration, at most 24 hours. Adds to `problems`."""
    if start_at is None:
        problems.setdefault("start", _("This field is required."))
    elif must_be_future and start_at <= now:
        problems.setdefault("start", _("Choose a time in the future."))
    if end_at is None:
        problems.setdefault("end", _("This field is required."))
    if start_at is None or end_at is None:
        return
    if end_at <= start_at:
        problems.setdefault("end", _("The end must be after the start."))
    elif end_at - start_at < timedelta(minutes=company.min_duration_minutes):
        problems.setdefault(
            "end",
            _("A session lasts at least %(num)d minutes.", num=company.min_duration_minutes),
        )
    elif end_at - start_at > MAX_LENGTH:
        problems.setdefault("end", _("A session lasts at most 24 hours."))


def check_changeable(session, day, now):
    """A cancelled session, or one that has started, is no longer edited or deleted."""
    if session.cancelled_at is not None:
        return {"session": _("This session is cancelled.")}
    if has_started(day, now):
        return {"session": _("A session that has started cannot be edited or deleted.")}
    return {}


# Rescheduling and cancelling ---------------------------------------------------------------


def move_day(session, day, start_at, end_at, meeting=None):
    """Inside a write transaction: give the day its new time (and meeting), raise its
    SEQUENCE when anything people's calendars show changed, and queue the updated calendar
    entry for everyone in the session. Answers whether anything changed."""
    # Until someone holds a seat nobody has been sent the entry (a link added right after
    # publishing): nothing to update in anyone's calendar, so SEQUENCE stays.
    told = bool(sessions_with_seats_taken([session.id]))
    if not move_day_only(day, start_at, end_at, meeting, told):
        return False
    Session.update(registration_end_at=start_at).where(Session.id == session.id).execute()
    if told:
        tell_days_changed([day.id])
    return True


def sessions_with_seats_taken(session_ids):
    """The ids among these sessions where a participant holds a seat (who has been sent the
    calendar entry): one query."""
    return {
        row[0]
        for row in Registration.select(Registration.session)
        .where(
            Registration.session.in_(list(session_ids)),
            Registration.role == RegistrationRole.PARTICIPANT,
            Registration.status.in_(Status.HOLDS_SEAT),
        )
        .distinct()
        .tuples()
    }


def _day_move(*names):
    return Day.update(
        {"sequence": Day.sequence + slot("raised"), **{name: slot(name) for name in names}}
    ).where(Day.id == slot("day_id"))


# A bulk file moves thousands of days: the statements are built once.
DAY_MOVE = Prepared(lambda: _day_move("start_at", "end_at"))
DAY_MOVE_WITH_MEETING = Prepared(
    lambda: _day_move("start_at", "end_at", "platform", "url", "meeting_id", "passcode")
)


def move_day_only(day, start_at, end_at, meeting, told):
    """`move_day`'s write of the day alone (SEQUENCE raised when `told`); whether anything
    changed. The caller tells people (`tell_days_changed`), for many days at once."""
    fields = {"start_at": start_at, "end_at": end_at}
    if meeting is not None:
        fields |= {
            "platform": meeting.platform,
            "url": meeting.url,
            "meeting_id": meeting.meeting_id,
            "passcode": meeting.passcode,
        }
    if not any(getattr(day, name) != value for name, value in fields.items()):
        return False
    moved = DAY_MOVE if meeting is None else DAY_MOVE_WITH_MEETING
    moved.run(day_id=day.id, raised=1 if told else 0, **fields)
    history.record_day_moved(day, start_at, end_at)
    return True


def tell_days_changed(day_ids):
    """The updated calendar entries of these days for everyone in their sessions, in a few
    statements."""
    days = list(Day.select().where(Day.id.in_(list(day_ids))))
    sessions = Session.select().where(Session.id.in_([day.session_id for day in days]))
    by_id = {session.id: session for session in sessions}
    notifications.days_changed((day, by_id[day.session_id]) for day in days)


def reschedule(session, start_at, end_at, company, now=None):
    """Move a group or mentoring session to a new time: clash-checked for its host, and
    everyone in it gets an updated calendar entry (same UID, higher SEQUENCE)."""
    now = now or utcnow()
    start_at, end_at = as_utc(start_at), as_utc(end_at)
    day = only_day(session)
    problems = check_changeable(session, day, now)
    check_times(start_at, end_at, company, now, problems)
    if problems:
        raise Problems(problems)
    with write_transaction():
        if session.host_id:
            lock_host_and_check(session.host_id, start_at, end_at, session.id)
        fresh = locked(Day, day.id)
        problems = check_changeable(Session.get_by_id(session.id), fresh, now)
        if problems:
            raise Problems(problems)
        move_day(session, fresh, start_at, end_at)
    mail.request_delivery()
    return Session.get_by_id(session.id)


def cancel(session, now=None):
    """Cancel a session before it starts; everyone in it gets the calendar cancellation."""
    now = now or utcnow()
    problems = check_changeable(session, only_day(session), now)
    if problems:
        raise Problems(problems)
    cancel_session(session, now)
    return Session.get_by_id(session.id)


def cancel_session(session, now=None):
    """Cancel the session at once (the minimum-participants decision, or `cancel` once its
    checks pass) and tell everyone in it; seats and invitations end with it. Its
    days' Zoom meetings are deleted after the commit (jobs), as when a day is deleted."""
    now = now or utcnow()
    meetings = []
    with write_transaction():
        if (
            Session.update(cancelled_at=now)
            .where(Session.id == session.id, Session.cancelled_at.is_null())
            .execute()
        ):
            meetings = meeting_sync.forget_meetings(session)
            # A CANCEL must carry a SEQUENCE above the last one sent, or calendars ignore it.
            Day.update(sequence=Day.sequence + 1).where(Day.session == session).execute()
            notifications.session_cancelled(session)
            history.record_cancelled(session)
            Registration.update(status=Status.CANCELLED, updated_at=now).where(
                Registration.session == session, Registration.role == RegistrationRole.PARTICIPANT
            ).execute()
            Session.update(seats_taken=0).where(Session.id == session.id).execute()
    mail.request_delivery()
    for meeting in meetings:
        meeting_sync.after_delete(*meeting)


def delete(session, now=None):
    """Delete a session before it starts; everyone in it gets the calendar cancellation
    first (the notice keeps a snapshot of the day)."""
    now = now or utcnow()
    problems = check_changeable(session, only_day(session), now)
    if problems:
        raise Problems(problems)
    with write_transaction():
        meetings = meeting_sync.forget_meetings(session)  # before the days go with the session
        delete_many([session])
    mail.request_delivery()
    for meeting in meetings:
        meeting_sync.after_delete(*meeting)


def delete_many(sessions):
    """Inside the caller's write transaction: delete these sessions, everyone in them told
    with the calendar cancellation (a few statements in all, however many sessions). The
    caller has checked each with `check_changeable` in this transaction (`delete` does)."""
    ids = [session.id for session in sessions]
    if not ids:
        return
    Day.update(sequence=Day.sequence + 1).where(Day.session.in_(ids)).execute()
    notifications.sessions_cancelled(sessions)
    history.record_deletions(sessions)
    Session.delete().where(Session.id.in_(ids)).execute()


def set_meeting(session, platform, url="", meeting_id="", passcode="", link_later=False, now=None):
    """The meeting-link step: choose the platform and paste the link (or set it later).
    Everyone in the session gets the updated calendar entry when it changed."""
    now = now or utcnow()
    day = only_day(session)
    problems = check_changeable(session, day, now)
    meeting, link_problems = check_meeting(platform, url, meeting_id, passcode, link_later)
    problems |= link_problems
    if problems:
        raise Problems(problems)
    with write_transaction():
        fresh = locked(Day, day.id)
        problems = check_changeable(Session.get_by_id(session.id), fresh, now)
        if problems:
            raise Problems(problems)
        if fresh.format != DayFormat.ONLINE:
            Day.update(format=DayFormat.ONLINE).where(Day.id == fresh.id).execute()
        move_day(session, fresh, fresh.start_at, fresh.end_at, meeting)
    mail.request_delivery()
    return Day.get_by_id(day.id)


def edit_details(session, title, description, company, now=None):
    """A new title and description for a group session (its time: `reschedule`; its
    link: `set_meeting`)."""
    now = now or utcnow()
    problems = check_changeable(session, only_day(session), now)
    title, description = (title or "").strip(), (description or "").strip()
    for name, text, limit in (("title", title, 180), ("description", description, 5000)):
        if not text:
            problems[name] = _("This field is required.")
        elif len(text) > limit:
            problems[name] = _(
                "At most %(max)d characters (now %(count)d).", max=limit, count=len(text)
            )
    if problems:
        raise Problems(problems)
    names = dict(session.name) | {company.default_locale: title}
    with write_transaction():
        Session.update(name=names, description=description).where(
            Session.id == session.id
        ).execute()
    return Session.get_by_id(session.id)


def report_room_unavailable(session, now=None):
    """A participant pressed Join and the meeting room could not be opened: the host is
    emailed, once a day at most, however many press it."""
    host = User.get_or_none(User.id == session.host_id)
    if host is None:
        return
    with write_transaction():
        notifications.meeting_room_unavailable(session, host, now or utcnow())
    mail.request_delivery()
