"""The history of who changed what, read-only: an event's and a person's for admins, a
session's for its host (and admins). Each list filters by change and actor, pages newest
first, shows times in the reader's zone, and downloads as CSV with the same filters.
Nothing here writes: the history is kept by the rules that make the changes."""

from flask import Blueprint, abort, g, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.access import allow
from foundation.exports import csv_download
from foundation.i18n import pick_text, viewer_timezone
from models import Event, HistoryEntry, Registration, RegistrationRole, Role, Session, User
from sessions import history_reading
from sessions.history import Actor, Change
from views.listing import Filter, SortKey, list_response, read_listing, wants_table
from views.lookups import get_or_404

URL_PREFIXES = ("/history",)
bp = Blueprint("history", __name__, url_prefix="/history")
bp.add_app_template_global(Change, "HistoryChange")
bp.add_app_template_global(Actor, "HistoryActor")

FILTERS = (
    Filter("change", tuple(Change.values()), _l("Unknown change in the filter; showing all.")),
    Filter("actor", tuple(Actor.values()), _l("Unknown actor in the filter; showing all.")),
)
SORTS = {"date": SortKey(HistoryEntry.id, first_dir="desc")}  # ids grow with time
TABLE = "history-table"


def _listing(endpoint, **route_args):
    return read_listing(f"history.{endpoint}", SORTS, "date", FILTERS, **route_args)


def _entries(listing, **subject):
    return history_reading.entries_of(
        change=listing.filters["change"], actor=listing.filters["actor"], text=listing.q, **subject
    )


def _page(listing, title, back, csv_endpoint, **subject):
    """The list as the URL says: the page, or its table for an htmx request from the list."""
    zone = viewer_timezone()
    entries = listing.fetch(_entries(listing, **subject))
    table_only = wants_table(TABLE)
    template = "history/_table.html" if table_only else "history/page.html"
    body = render_template(
        template,
        lines=history_reading.lines(entries, zone),
        listing=listing,
        title=title,
        back=back,
        zone=zone,
        csv_url=url_for(csv_endpoint, **listing.route_args, **listing.params(page=1)),
        table_only=table_only,
        shows_person="person" not in subject,
    )
    return list_response(listing, body, table_only)


def _csv(listing, filename, **subject):
    """Every entry the filters keep, newest first, in the words of the page."""
    entries = list(listing.order(_entries(listing, **subject)))
    rows = history_reading.csv_rows(history_reading.lines(entries, viewer_timezone()))
    return csv_download(rows, filename)


# An event's history (admins) --------------------------------------------------------------


@bp.route("/events/<int:event_id>")
@allow(Role.ADMIN)
def event_history(event_id):
    event = get_or_404(Event, event_id)
    listing = _listing("event_history", event_id=event.id)
    title = _("History of %(event)s", event=pick_text(event.title))
    back = ("event_planning.event_page", {"event_id": event.id}, pick_text(event.title))
    return _page(listing, title, back, "history.event_history_csv", event=event.id)


@bp.route("/events/<int:event_id>/history.csv")
@allow(Role.ADMIN)
def event_history_csv(event_id):
    event = get_or_404(Event, event_id)
    listing = _listing("event_history", event_id=event.id)
    return _csv(listing, f"history-{pick_text(event.title)}.csv", event=event.id)


# A person's history (admins) ---------------------------------------------------------------


@bp.route("/people/<int:user_id>")
@allow(Role.ADMIN)
def person_history(user_id):
    person = get_or_404(User, user_id)
    listing = _listing("person_history", user_id=person.id)
    title = _("History of %(name)s", name=person.name)
    back = ("users.list_users", {}, _("Users"))
    return _page(listing, title, back, "history.person_history_csv", person=person.id)


@bp.route("/people/<int:user_id>/history.csv")
@allow(Role.ADMIN)
def person_history_csv(user_id):
    person = get_or_404(User, user_id)
    listing = _listing("person_history", user_id=person.id)
    return _csv(listing, f"history-{person.name}.csv", person=person.id)


# A session's history (its host, and admins) ------------------------------------------------


def hosted_session_or_404(session_id):
    """A session the signed-in person hosts (its host, or a host registration in it), or
    any session for admins; another's session is not found."""
    session = get_or_404(Session, session_id)
    if g.user.is_admin or session.host_id == g.user.id:
        return session
    is_host = (
        Registration.select()
        .where(
            Registration.session == session.id,
            Registration.user == g.user.id,
            Registration.role == RegistrationRole.HOST,
        )
        .exists()
    )
    if not is_host:
        abort(404)
    return session


@bp.route("/sessions/<int:session_id>")
@allow(Role.HOST)
def session_history(session_id):
    session = hosted_session_or_404(session_id)
    listing = _listing("session_history", session_id=session.id)
    title = _("History of %(session)s", session=pick_text(session.name))
    back = ("hosting.dashboard", {}, _("My sessions"))
    return _page(listing, title, back, "history.session_history_csv", session=session.id)


@bp.route("/sessions/<int:session_id>/history.csv")
@allow(Role.HOST)
def session_history_csv(session_id):
    session = hosted_session_or_404(session_id)
    listing = _listing("session_history", session_id=session.id)
    return _csv(listing, f"history-{pick_text(session.name)}.csv", session=session.id)
