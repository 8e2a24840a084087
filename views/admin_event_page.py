"""The admin's event page and the session cards it is made of, drawn once per version of
what they show rather than on every view.

A card's version is its session's rows (the session, its days with their Zoom meetings and
organizers, its reminders) and what every card shares (whether the event is dated, the
company's settings, the Zoom accounts). The page's list of sessions is one fragment whose
version is the first screen's rows as the driver gives them (no model objects), the places
of the sessions below the first screen (id and name) and the same shared parts; the "Add
session" form follows the company's languages only. Every version is read from the database
each request, so a change made by another process shows on the next view, and a repeat view
costs a few small statements and one lookup whatever the event holds."""

import json

from flask import request

from foundation.i18n import current_company
from foundation.prepared import Prepared, slot
from meetings.zoom.connections import accounts_version
from models import Session
from views.fragments import drawn_once, drawn_once_from, is_drawn, rows_of
from views.lookups import (
    DAYS_OF_SESSIONS,
    REMINDERS_OF_SESSIONS,
    attach_days,
    attach_reminders,
    stored_days,
)

FIRST_SCREEN = 8  # session cards drawn with the page; the rest load as they scroll into view
CARD = "admin/_session_card.html"
SESSIONS = "admin/_event_sessions.html"


def _first_sessions():
    return (
        Session.select()
        .where(Session.event == slot("event_id"))
        .order_by(Session.id)
        .limit(FIRST_SCREEN)
    )


FIRST_SESSIONS = Prepared(_first_sessions)
FIRST_SESSION_ROWS = Prepared(lambda: _first_sessions().tuples())
# The sessions below the first screen: id and name (as JSON text on both databases, so each
# row is a tuple of plain values, hashable as a version).
LATER_SESSIONS = Prepared(
    lambda: (
        Session.select(Session.id, Session.name.cast("text"))
        .where(Session.event == slot("event_id"))
        .order_by(Session.id)
        .offset(FIRST_SCREEN)
    )
)


def card_path(session_id):
    """Where a card below the first screen loads from (`session_card`): spelled here, as a
    large event has a hundred of them and url_for for each cost more than the card."""
    return f"{request.script_root}/admin/sessions/{session_id}"


def shared_version(event):
    """What every admin card of `event` depends on besides its own rows: whether the event
    is dated, the company's settings and the Zoom accounts. Read once for all the cards."""
    company = sorted(current_company().__data__.items())
    return event.has_date, company, accounts_version()


def top_html(event):
    """The page's top (the event's header and its pages' tabs), drawn once per event row."""
    version = repr((event.__data__, request.script_root))
    return drawn_once("admin/_event_top.html", version, event=event)


def sessions_html(event):
    """The page's list of sessions and the form that adds one, drawn once per version."""
    first = FIRST_SESSION_ROWS.raw_rows(event_id=event.id)
    ids = [row[0] for row in first]
    days = DAYS_OF_SESSIONS.raw_rows(ids) if ids else []
    reminders = REMINDERS_OF_SESSIONS.raw_rows(ids) if ids else []
    shared = shared_version(event)
    later = tuple(LATER_SESSIONS.raw_rows(event_id=event.id))
    version = (repr((event.id, first, days, reminders, shared)), later, request.script_root)
    return drawn_once_from(SESSIONS, version, lambda: _sessions_context(event, shared, later))


def _sessions_context(event, shared, later):
    """What the list's template needs, built only when its version was not drawn before."""
    sessions = FIRST_SESSIONS.rows(event_id=event.id)
    return {
        "event": event,
        "sessions": sessions,
        "cards": first_screen_cards(sessions, event, shared),
        "places": [(session_id, json.loads(name)) for session_id, name in later],
        "card_path": card_path,
        "errors": {},
        "form": {},
    }


def card_html(session, event):
    """A session's admin card: the same for every admin, drawn once per version."""
    version = _card_version(session, rows_of(session)[1], shared_version(event))
    return drawn_once(CARD, version, session=session, event=event)


def _card_version(session, days, shared):
    """What an admin card is drawn from: the session's rows (`days`: its days' rows, as
    objects' data or as stored), its reminders, and what all cards share (`shared_version`)."""
    reminders = [reminder.__data__ for reminder in session.reminder_list]
    return repr((session.__data__, days, reminders, shared))


def first_screen_cards(sessions, event, shared):
    """{session id: card} for the event page's first screen. The days are read as stored
    for the versions (no objects: most cards were drawn before), and loaded as objects, in
    one query, only for the cards still to draw."""
    attach_reminders(sessions)
    days = stored_days(sessions)
    versions = {
        session.id: _card_version(session, days[session.id], shared) for session in sessions
    }
    attach_days([session for session in sessions if not is_drawn(CARD, versions[session.id])])
    return {
        session.id: drawn_once(CARD, versions[session.id], session=session, event=event)
        for session in sessions
    }
