"""One schedule per person across the kinds of session they can be in: an event session's
days, group sessions and mentoring sessions (as a participant or as the host), and the
clashes between them.

A schedule item is one stretch of time with its session, zone, link and status
(`ScheduleItem`). Everything a person is in comes from one query whatever their number of
items (`items_of`); assessment deadlines are not intervals and are added by the
assessments package (`assessments.deadlines`), which may import this module where this
one may not import it.

A clash is information, never a rule: the member is told before they confirm and may go
ahead; the host's own clash rule (`sessions.hosting.find_clash`) is separate and stays a
refusal. Two stretches clash when they share an instant: one that ends at 18:00 and one
that starts at 18:00 do not clash (back-to-back sessions are a normal day). Only live
items clash: a seat held and not yet settled (approved or asked to confirm), or hosting;
the waiting list, an open invitation and cancelled sessions do not.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from peewee import JOIN, ValuesList

from foundation.i18n import format_span, session_title
from foundation.prepared import Prepared, slot
from foundation.schedule import overlaps
from models import (
    Day,
    Event,
    Registration,
    RegistrationRole,
    Session,
    SessionKind,
    Status,
    utcnow,
)

HOST = "host"  # the status of an item the person hosts
OWED = "owed"  # the status of a deadline the person has still to meet
LIVE_STATUSES = (*Status.PARTICIPATING, HOST)
SHOWN_STATUSES = (*Status.HOLDS_SEAT, Status.WAITLISTED, Status.INVITED)
SESSION_KINDS = (SessionKind.EVENT, SessionKind.GROUP, SessionKind.MENTORING)
CHUNK = 500  # people per query: within every database's limit of bound values


@dataclass
class ScheduleItem:
    """One thing in a person's schedule. A deadline has no start (`start_at` None) and
    ends when it closes."""

    kind: str  # a SessionKind, or "self_survey" / "rater_survey" for deadlines
    session: Session  # with its event loaded when it has one
    start_at: datetime | None  # naive UTC
    end_at: datetime  # naive UTC
    zone: str  # the session's zone
    endpoint: str  # where the item is seen: url_for(endpoint, **args)
    args: dict
    status: str  # the registration's status, HOST or OWED
    day: Day | None = None  # with its Zoom meeting loaded
    user_id: int | None = None

    @property
    def is_deadline(self):
        return self.start_at is None

    @property
    def is_live(self):
        return not self.is_deadline and self.status in LIVE_STATUSES

    @property
    def owner(self):
        return owner_of(self.session)

    def title(self, locale=None):
        return session_title(self.session, locale)


def owner_of(session):
    """What a session's items belong to when asking "is this the same thing": its event
    for an event session (moving within an event is no clash), else the session itself."""
    return ("event", session.event_id) if session.event_id else ("session", session.id)


def _status_of(registration):
    return HOST if registration.role == RegistrationRole.HOST else registration.status


def _day_item(day):
    session, registration = day.session, day.session.registration
    if session.event_id is None:
        session.event = None
    link = (
        ("event_signup.event_page", {"event_id": session.event_id})
        if session.event_id
        else ("session_pages.public_page", {"session_id": session.id})
    )
    return ScheduleItem(
        kind=session.kind,
        session=session,
        start_at=day.start_at,
        end_at=day.end_at,
        zone=session.timezone,
        endpoint=link[0],
        args=link[1],
        status=_status_of(registration),
        day=day,
        user_id=registration.user_id,
    )


def _days_query(user_ids, statuses, ending_after):
    """Every day of every session the people are in (participants in `statuses`, and
    hosts), with its session, event and registration: one query."""
    query = _days_of(Registration.user.in_(user_ids), statuses)
    return query.where(Day.end_at > ending_after) if ending_after else query


def _days_of(people, statuses):
    in_session = (Registration.role == RegistrationRole.HOST) | (
        (Registration.role == RegistrationRole.PARTICIPANT) & Registration.status.in_(statuses)
    )
    return (
        Day.with_zoom(Session, Event, Registration)
        .join(Session)
        .join(Event, JOIN.LEFT_OUTER, on=(Session.event == Event.id))
        .switch(Session)
        .join(Registration, on=(Registration.session == Session.id), attr="registration")
        .where(
            people,
            in_session,
            Session.kind.in_(SESSION_KINDS),
            Session.cancelled_at.is_null(),
            Event.id.is_null() | (Event.is_active == True),  # noqa: E712
        )
        .order_by(Day.start_at, Day.id)
    )


# Every sign-up and join asks this of the one person acting: its SQL is built once.
LIVE_DAYS_OF_ONE = Prepared(
    lambda: _days_of(Registration.user == slot("user_id"), Status.PARTICIPATING).where(
        Day.end_at > slot("after")
    )
)


def items_of(person, ending_after=None):
    """Every day of the sessions `person` is in, of every kind, soonest first (those that
    end after `ending_after` when given): one query whatever their number."""
    return [_day_item(day) for day in _days_query([person.id], SHOWN_STATUSES, ending_after)]


def live_items_of_many(user_ids, ending_after):
    """{user id: [their live items ending after `ending_after`]}: one query per 500 people
    (an import's file asks once for everyone in it)."""
    found = {user_id: [] for user_id in user_ids}
    ids = list(found)
    if len(ids) == 1 and ending_after:
        for day in LIVE_DAYS_OF_ONE.rows(user_id=ids[0], after=ending_after):
            found[ids[0]].append(_day_item(day))
        return found
    for start in range(0, len(ids), CHUNK):
        query = _days_query(ids[start : start + CHUNK], Status.PARTICIPATING, ending_after)
        for day in query:
            found[day.session.registration.user_id].append(_day_item(day))
    return found


def _live_clashes():
    """The live days of the people of a list of (index, user id, start, end) that overlap
    its time, each with the index it answers: the list is a VALUES of CHUNK places, so the
    statement is built once per process (places left over hold no one, and match nothing)."""
    asked = ValuesList(
        [tuple(slot(f"{name}{n}") for name in "iuse") for n in range(CHUNK)], alias="asked"
    )
    index, user_id, asked_start, asked_end = (getattr(asked.c, f"column{n}") for n in (1, 2, 3, 4))
    return (
        _days_of(Day.end_at > slot("after"), Status.PARTICIPATING)
        .join_from(
            Registration,
            asked,
            on=(
                (user_id == Registration.user)
                & (Day.start_at < asked_end)
                & (Day.end_at > asked_start)
            ),
        )
        .select_extend(index.alias("asked_index").bind_to(Day))
    )


LIVE_CLASHES = Prepared(_live_clashes)


def live_clashes_of_many(wanted, ending_after):
    """For many (user id, start, end) at once (the rows of a bulk file's batch): for each,
    the user's live items that share an instant with [start, end) and end after
    `ending_after`, soonest first, in the order of `wanted`. The database judges the
    overlaps, so only the clashes are read and built (reading everyone's whole schedule
    cost more than the rest of a batch together): one query per 500 wanted."""
    found = [[] for _wanted in wanted]
    for start in range(0, len(wanted), CHUNK):
        places = {"after": ending_after}
        chunk = wanted[start : start + CHUNK]
        for n in range(CHUNK):
            user_id, start_at, end_at = chunk[n] if n < len(chunk) else (None, None, None)
            places |= {f"i{n}": start + n, f"u{n}": user_id, f"s{n}": start_at, f"e{n}": end_at}
        for day in LIVE_CLASHES.rows(**places):
            found[day.asked_index].append(_day_item(day))
    return found


def overlapping(items, intervals, exclude=None):
    """The live items that share an instant with any of `intervals` ([(start, end)]),
    leaving out those that belong to `exclude` (an `owner_of` key)."""
    return [
        item
        for item in items
        if item.is_live
        and item.owner != exclude
        and any(overlaps(start, end, item.start_at, item.end_at) for start, end in intervals)
    ]


def clashes(person, start_at, end_at, exclude=None):
    """The person's live items overlapping [start_at, end_at) (touching is no clash),
    except those of `exclude` (a Session: its event's or its own)."""
    return clashes_with_days(person, [(start_at, end_at)], exclude)


def clashes_with_days(person, intervals, exclude=None):
    if not intervals:
        return []
    earliest = min(start for start, _end in intervals)
    items = live_items_of_many([person.id], earliest)[person.id]
    return overlapping(items, intervals, exclude and owner_of(exclude))


def clashes_with_session(person, session, now=None):
    """What joining `session` would overlap among the person's live items, judged on its
    days still to come: at most two queries (none for the days when the person has
    nothing else)."""
    now = now or utcnow()
    items = live_items_of_many([person.id], now)[person.id]
    if not items:
        return []
    intervals = [
        (day.start_at, day.end_at)
        for day in Day.select(Day.start_at, Day.end_at).where(
            Day.session == session, Day.end_at > now
        )
    ]
    return overlapping(items, intervals, owner_of(session))


def clashes_of_rows(rows, now=None):
    """For many (user id, [(start, end)], exclude owner) rows at once, such as an import's
    preview: the clashing items of each row, in order; one query per 500 people."""
    now = now or utcnow()
    items = live_items_of_many({user_id for user_id, _i, _e in rows if user_id}, now)
    return [
        overlapping(items.get(user_id, []), intervals, exclude)
        for user_id, intervals, exclude in rows
    ]


def days_of_sessions(session_ids, now=None):
    """{session id: [(start, end) of its days still to come]}: one query."""
    now = now or utcnow()
    found = {session_id: [] for session_id in session_ids}
    if found:
        query = Day.select(Day.session, Day.start_at, Day.end_at).where(
            Day.session.in_(list(found)), Day.end_at > now
        )
        for day in query:
            found[day.session_id].append((day.start_at, day.end_at))
    return found


def note_clashes(rows, event_id, zone, applying=("register", "move")):
    """Give each row of an event's registration import (with "user_id", "session_id",
    "outcome") that would register its person a "clash" note when the session overlaps
    another of their live sessions outside the event: two queries for the whole file
    (per 500 people). Rows are otherwise unchanged."""
    wanted = [row for row in rows if row["outcome"] in applying]
    days = days_of_sessions({row["session_id"] for row in wanted})
    own_event = ("event", event_id)
    found = clashes_of_rows(
        [(row["user_id"], days[row["session_id"]], own_event) for row in wanted]
    )
    for row, clashing in zip(wanted, found, strict=True):
        if clashing:
            title, when = describe(clashing[0], zone)
            row["clash"] = _("In “%(title)s” at that time: %(when)s.", title=title, when=when)
    return rows


def describe(item, zone):
    """(title, when) of an item for the reader, its time in `zone`: ("Leadership Training
    — Evening", "Tue, Mar 4, 2025, 6:00 – 8:00 PM Moscow (UTC+3)")."""
    return item.title(), format_span(item.start_at, item.end_at, zone)
