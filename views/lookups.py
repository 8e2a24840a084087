"""Loading what pages show: one row or 404 (a Zoom day too), and sessions with their days in
few queries. The loads of the hot pages are built once (foundation/prepared.py)."""

from flask import abort
from peewee import JOIN

from foundation.prepared import Prepared, PreparedByLength, slot
from models import Day, DayFormat, Event, Reminder, Session, User


def get_or_404(model, row_id):
    row = model.get_or_none(model.id == row_id)
    if row is None:
        abort(404)
    return row


def _days_query():
    return (
        Day.with_zoom(User)
        .join(User, JOIN.LEFT_OUTER, on=(Day.zoom_organizer == User.id))
        .order_by(Day.start_at)
    )


DAYS_OF_SESSIONS = PreparedByLength(lambda ids: _days_query().where(Day.session.in_(ids)))


def stored_days(sessions):
    """{session id: [its days' rows as stored]}: each day (with its Zoom meeting and
    organizer) as the driver's tuple, not turned into objects; what a card cached by the
    version of its rows needs to know whether it was drawn before."""
    days = {session.id: [] for session in sessions}
    if days:
        for row in DAYS_OF_SESSIONS.raw_rows(days):
            days[row[1]].append(row)  # the day's session id
    return days


SESSION_WITH_EVENT = Prepared(
    lambda: Session.select(Session, Event).join(Event).where(Session.id == slot("session_id"))
)
SESSION = Prepared(lambda: Session.select().where(Session.id == slot("session_id")))
EVENT = Prepared(lambda: Event.select().where(Event.id == slot("event_id")))
REMINDERS_OF_SESSIONS = PreparedByLength(
    lambda ids: Reminder.select().where(Reminder.session.in_(ids)).order_by(Reminder.id)
)


def event_or_404(event_id):
    event = EVENT.first(event_id=event_id)
    if event is None:
        abort(404)
    return event


def session_with_event_or_404(session_id):
    """A session of an event, with its event loaded, in one query; 404 for any other."""
    session = SESSION_WITH_EVENT.first(session_id=session_id)
    if session is None:
        abort(404)
    return session


def session_by_id(session_id):
    return SESSION.first(session_id=session_id)


def attach_days(sessions):
    """Give each session `.day_list` (with Zoom organizers and meetings), in one query whatever
    their number."""
    by_id = {session.id: session for session in sessions}
    for session in sessions:
        session.day_list = []
    if not by_id:
        return sessions
    for day in DAYS_OF_SESSIONS.rows(by_id):
        by_id[day.session_id].day_list.append(day)
    return sessions


def attach_reminders(sessions):
    """Give each session `.reminder_list`, in one query whatever their number."""
    by_id = {session.id: session for session in sessions}
    for session in sessions:
        session.reminder_list = []
    if by_id:
        for reminder in REMINDERS_OF_SESSIONS.rows(by_id):
            by_id[reminder.session_id].reminder_list.append(reminder)
    return sessions


def sessions_with_days(event):
    return attach_days(list(Session.select().where(Session.event == event).order_by(Session.id)))


def session_with_days(session):
    return attach_days([session])[0]


def zoom_day_or_404(day_id):
    """A day held on Zoom; any other day is "not found" where Zoom is asked for."""
    day = get_or_404(Day, day_id)
    if day.format != DayFormat.ZOOM:
        abort(404)
    return day
