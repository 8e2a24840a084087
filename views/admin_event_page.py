"""What the admin's event page draws once per version rather than on every view: the
versions of the first screen's session cards (their rows, plus the company and the Zoom
accounts, read once per request), the places of the sessions below the first screen (id and
name, read as the driver gives them and drawn as one fragment), and the form that adds a
session. Each version is read from the database each request, so a change made by another
process shows on the next view."""

import json

from flask import request

from foundation.i18n import current_company
from foundation.prepared import Prepared, slot
from meetings.zoom import connections as zoom_connections
from models import Session
from views.fragments import drawn_once, drawn_once_from

FIRST_SCREEN = 8  # session cards drawn with the page; the rest load as they scroll into view
PLACES = "admin/_session_places.html"

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


def later_places_html(event_id):
    """The places of the sessions below the first screen, drawn once per their rows."""
    rows = tuple(LATER_SESSIONS.raw_rows(event_id=event_id))
    return drawn_once_from(PLACES, (rows, request.script_root), lambda: _places_context(rows))


def _places_context(rows):
    places = [(session_id, json.loads(name)) for session_id, name in rows]
    return {"places": places, "card_path": card_path}


def shared_version(event):
    """What every admin card of `event` depends on besides its own rows: whether the event
    is dated, the company's settings and the Zoom accounts (a day's Zoom warnings follow
    them). Computed once for all the cards of a request."""
    company = sorted(current_company().__data__.items())
    return event.has_date, company, zoom_connections.accounts_version()


def new_session_form_html(event, shared):
    """The empty "Add session" form: its fields follow the company's languages only."""
    version = (event.id, repr(shared[1]), request.script_root)
    return drawn_once("admin/_new_session_form.html", version, event=event, errors={}, form={})
