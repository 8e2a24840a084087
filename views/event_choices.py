"""The sessions a member can choose from on an event's page (when they hold none of its
seats): the open ones by id, then those whose registration closed, newest first; the first
screenful drawn as cards, the others as places that load as they scroll into view.

The whole list is the same for every member who reads it in one language and zone, so it is
drawn once per version of what it shows (views/fragments.py). That version is the rows
themselves, read each request as the driver gives them (no model objects): the sessions'
columns a card or a place shows, whether each is open now, and the days of the first
screen. A repeat view costs two small statements and one lookup, whatever the event holds;
a change made by any process is in the next request's rows, so it shows at once."""

import json

from flask import request
from peewee import Case

from foundation.i18n import viewer_timezone
from foundation.prepared import Prepared, PreparedByLength, slot
from models import Day, Session
from views.fragments import drawn_once, drawn_once_from
from views.lookups import attach_days

FIRST_SCREEN = 8  # session cards drawn with the event page; the rest load as they scroll
CHOICES = "member/_session_choices.html"
CARD = "member/_session_card.html"

# What a card or a place shows of a session, in this order, and whether it is open now. The
# name comes as its JSON text on both databases (PostgreSQL's driver would give a dict), so
# that every row is a tuple of plain values: hashable, a version as it stands.
SHOWN = (
    Session.id,
    Session.name.cast("text"),
    Session.registration_end_at,
    Session.cancelled_at,
    Session.participant_limit,
    Session.seats_taken,
)
END, IS_OPEN = 2, len(SHOWN)
SESSION_ROWS = Prepared(
    lambda: (
        Session.select(
            *SHOWN,
            Case(
                None,
                [
                    (
                        Session.cancelled_at.is_null()
                        & (
                            Session.registration_end_at.is_null()
                            | (Session.registration_end_at > slot("now"))
                        ),
                        1,
                    )
                ],
                0,
            ),
        )
        .where(Session.event == slot("event_id"))
        .order_by(Session.id)
    )
)
# What a card shows of its days to a member with no seat (member/_session_summary.html
# without links): when, the format, the address. Widen this if that template shows more.
SHOWN_DAYS = PreparedByLength(
    lambda ids: (
        Day.select(Day.session, Day.start_at, Day.end_at, Day.format, Day.address)
        .where(Day.session.in_(ids))
        .order_by(Day.start_at, Day.id)
    ),
    longest=FIRST_SCREEN,
)


def _newest_end_first(row):
    # Raw values sort in time order on both databases (strings of one format in SQLite,
    # datetimes in PostgreSQL); a closed session with no end goes last.
    return (row[END] is not None, row[END])


def card_path(session_id):
    """Where a card not yet shown loads from (views/event_signup.py `session_card`): spelled
    here because a large event has a hundred of them, and building each address through
    url_for cost more than drawing the card."""
    return f"{request.script_root}/sessions/{session_id}/card"


def choices_html(event_id, now):
    """The event's sessions to choose from, drawn once per version of their rows."""
    rows = SESSION_ROWS.raw_rows(event_id=event_id, now=now)
    open_rows = [row for row in rows if row[IS_OPEN]]
    closed_rows = sorted(
        (row for row in rows if not row[IS_OPEN]), key=_newest_end_first, reverse=True
    )
    first = [row[0] for row in (open_rows + closed_rows)[:FIRST_SCREEN]]
    days = _stored_days(first)
    zone = viewer_timezone()
    version = (tuple(rows), tuple(days.values()), zone, request.script_root)
    return drawn_once_from(
        CHOICES, version, lambda: _drawing_context(open_rows, closed_rows, days, zone, now)
    )


def _stored_days(session_ids):
    """{session id: its days' rows as stored, in order}, for the first screen's sessions."""
    days = {session_id: [] for session_id in session_ids}
    if days:
        for row in SHOWN_DAYS.raw_rows(days):
            days[row[0]].append(row)
    return {session_id: tuple(rows) for session_id, rows in days.items()}


def _drawing_context(open_rows, closed_rows, days, zone, now):
    """What the list's template needs, built only when its version was not drawn before:
    sessions as objects, and the first screen's cards, each drawn once per its own rows
    (`days` holds the first screen's sessions)."""
    rows = {row[0]: row for row in open_rows + closed_rows}
    sessions = {session_id: _session_of(row) for session_id, row in rows.items()}
    shown = attach_days([sessions[session_id] for session_id in days])
    cards = {
        session.id: drawn_once(
            CARD, (rows[session.id], days[session.id], zone), session=session, now=now
        )
        for session in shown
    }
    return {
        "open_sessions": [sessions[row[0]] for row in open_rows],
        "closed_sessions": [sessions[row[0]] for row in closed_rows],
        "cards": cards,
        "card_path": card_path,
    }


def _session_of(row):
    """A session object holding the columns the list shows (the others at their defaults)."""
    session_id, name, end, cancelled, limit, seats, _is_open = row
    return Session(
        id=session_id,
        name=json.loads(name),
        registration_end_at=Session.registration_end_at.python_value(end),
        cancelled_at=Session.cancelled_at.python_value(cancelled),
        participant_limit=limit,
        seats_taken=seats,
    )
