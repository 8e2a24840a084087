"""Signing up for an event's sessions: the member's event page and its session cards,
signing up or joining a waiting list, switching, withdrawing, and confirming having taken
part. "My events" is views/home.py."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import allow
from foundation.forms import row_id
from foundation.i18n import viewer_timezone, zone_name
from foundation.prepared import Prepared, slot
from models import Day, DayFormat, Registration, Role, Session, Status, utcnow
from sessions import booking, personal_schedule
from views import clash_warnings
from views.event_choices import choices_html
from views.fragments import drawn_once, drawn_once_from, rows_of
from views.lookups import (
    DAYS_OF_SESSIONS,
    attach_days,
    event_or_404,
    get_or_404,
    session_by_id,
    session_with_days,
    session_with_event_or_404,
)
from views.zoom import join_is_open

URL_PREFIXES = ("/events", "/sessions", "/registrations")
bp = Blueprint("event_signup", __name__)
DAY_LIST = "member/_day_list.html"
# Where a day's format sits in a row of DAYS_OF_SESSIONS (the day's columns come first).
DAY_FORMAT = [field.name for field in Day._meta.sorted_fields].index("format")


def session_card_html(session, now):
    """A session's card as members with no seat in the event see it: the same for all who
    read it in one language and zone, so drawn once per version."""
    version = repr((rows_of(session), session.registration_is_open(now), viewer_timezone()))
    return drawn_once("member/_session_card.html", version, session=session, now=now)


def my_session_context(mine, session, now):
    """What the member's own card (member/_my_session.html) is drawn from: their
    registration and the session's seats, drawn each time, and its days, drawn once per
    version (a sign-up moves the seats, not the days)."""
    others_open = OTHERS_OPEN.exists(event_id=session.event_id, session_id=session.id, now=now)
    show_links = mine.status in Status.HOLDS_SEAT
    return {
        "mine": mine,
        "session": session,
        "now": now,
        "has_alternatives": others_open,
        "days": my_session_days(session, show_links, now),
    }


def my_session_days(session, show_links, now):
    """The days on the member's own card (when, where, and for a seat holder the links), the
    same for all who read them in one language and zone: drawn once per the days' rows as
    stored (objects are made only to draw them, or to ask a Zoom day what it shows), and per
    what a Zoom day shows only its organizer or only at some times (the Join button opens
    shortly before the start, the records after the end)."""
    rows = DAYS_OF_SESSIONS.raw_rows([session.id])
    zoom_moments = ()
    if show_links and any(row[DAY_FORMAT] == DayFormat.ZOOM for row in rows):
        zoom_moments = tuple(
            (day.zoom_organizer_id == g.user.id, join_is_open(day, now), day.end_at < now)
            for day in attach_days([session])[0].day_list
            if day.format == DayFormat.ZOOM
        )
    shown = repr((rows, show_links, zoom_moments, viewer_timezone(), request.script_root))
    return drawn_once_from(
        DAY_LIST, shown, lambda: {"session": with_days(session), "show_links": show_links}
    )


def with_days(session):
    """`session` with its `day_list`, loaded unless it was already."""
    return session if "day_list" in vars(session) else attach_days([session])[0]


def _open_others(*columns):
    """The event's open sessions other than the member's, by id."""
    return (
        Session.select(*columns)
        .where(
            Session.event == slot("event_id"),
            Session.id != slot("session_id"),
            Session.cancelled_at.is_null(),
            Session.registration_end_at.is_null() | (Session.registration_end_at > slot("now")),
        )
        .order_by(Session.id)
    )


OPEN_OTHERS = Prepared(_open_others)
OTHERS_OPEN = Prepared(lambda: _open_others(Session.id).limit(1))


def event_context(event, error=None):
    """What the event's body shows: the member's own session when they hold one (the others
    load when "Change session" opens), else the sessions they can choose from."""
    now = utcnow()
    mine = booking.live_registration(g.user, event)
    my_session = mine and session_by_id(mine.session_id)
    context = {"event": event, "mine": mine, "now": now, "error": error, "my_session": None}
    if my_session and my_session.event_id == event.id:
        context |= my_session_context(mine, my_session, now)
        context["my_session"] = context["session"]
    else:
        context["choices"] = choices_html(event.id, now)
    return context


def visible_event_session_or_404(session_id):
    """A session of an active event, with its event loaded; group sessions are joined on
    their own page."""
    session = session_with_event_or_404(session_id)
    if not session.event.is_active:
        abort(404)
    return session


def visible_event_or_404(event_id):
    event = event_or_404(event_id)
    if not event.is_active:
        abort(404)
    return event


@bp.route("/events/<int:event_id>")
@allow(Role.MEMBER)
def event_page(event_id):
    event = visible_event_or_404(event_id)
    context = event_context(event)
    return render_template("member/event.html", event_header=event_header_html(event), **context)


def event_header_html(event):
    """The page's top (the event's title and description, the zone times are shown in),
    drawn once per what it shows: the zone's name holds its offset now."""
    zone_label = zone_name(viewer_timezone())
    version = repr((event.title, event.description, zone_label, request.script_root))
    return drawn_once("member/_event_header.html", version, event=event, zone_label=zone_label)


def redraw_event(event, error=None, toast=None):
    body = render_template("member/_event_body.html", **event_context(event, error))
    return make_response(body, 422 if error else 200, trigger={"toast": toast} if toast else None)


def my_session_card(event, mine, toast):
    """After signing up or switching: the member's own card alone (a constant-size answer);
    the other sessions are hidden now and load only if "Change session" opens."""
    session = session_by_id(mine.session_id)  # its seats just moved
    body = render_template("member/_my_session.html", **my_session_context(mine, session, utcnow()))
    return make_response(body, trigger={"toast": toast})


def act_on_session(session_id, operation, toast, answer=my_session_card, ask_first=None):
    """Load the session and its event (or 404), do `operation`, and answer with what
    changed; a refusal redraws the event with its message. `ask_first(session)` may answer
    instead, with a question to confirm first."""
    session = visible_event_session_or_404(session_id)
    question = ask_first and ask_first(session)
    if question is not None:
        return question
    event = session.event
    try:
        registration = operation(session)
    except booking.BookingError as refusal:
        return redraw_event(event, refusal.message)
    return answer(event, registration, toast)


def redraw_after(event, _registration, toast):
    return redraw_event(event, toast=toast)


@bp.route("/sessions/<int:session_id>/signup", methods=["POST"])
@allow(Role.MEMBER)
def sign_up(session_id):
    answer = my_session_card if request.htmx else event_page_again
    return act_on_session(
        session_id,
        lambda s: booking.sign_up(g.user, s),
        _("You are registered."),
        answer,
        ask_first=clash_before_joining,
    )


def clash_before_joining(session):
    """The "Join anyway?" question when the session overlaps another of the member's live
    sessions and they have not answered it yet; None to go ahead (a sign-up that will be
    refused anyway is not asked about)."""
    if clash_warnings.is_confirmed() or session.is_full:
        return None
    if not session.registration_is_open(utcnow()):
        return None
    clashes = personal_schedule.clashes_with_session(g.user, session)
    if not clashes:
        return None
    url = url_for("event_signup.sign_up", session_id=session.id)
    return clash_warnings.confirmation(clashes, url, "#event-body")


def event_page_again(event, _registration, _toast):
    """A browser without JavaScript that confirmed a clash goes back to the event's page."""
    return redirect(url_for("event_signup.event_page", event_id=event.id), 303)


@bp.route("/sessions/<int:session_id>/waitlist", methods=["POST"])
@allow(Role.MEMBER)
def join_waiting_list(session_id):
    # The waiting list holds no seat: a clash is told when the seat comes, on the schedule.
    return act_on_session(
        session_id,
        lambda s: booking.join_waiting_list(g.user, s),
        _("You are on the waiting list."),
    )


def my_registration_or_404(registration_id):
    registration = get_or_404(Registration, registration_id)
    if registration.user_id != g.user.id:
        abort(404)  # other people's registrations do not exist for you
    return registration


@bp.route("/registrations/<int:registration_id>/switch", methods=["POST"])
@allow(Role.MEMBER)
def switch(registration_id):
    registration = my_registration_or_404(registration_id)
    target = Session.get_or_none(Session.id == request.form.get("session_id", type=row_id))
    if target is None:
        return redraw_event(
            registration.session.event, _("Choose another session of the same event.")
        )
    return act_on_session(
        registration.session_id,
        lambda _s: booking.switch(registration, target),
        _("Session changed."),
    )


@bp.route("/registrations/<int:registration_id>/withdraw", methods=["POST"])
@allow(Role.MEMBER)
def withdraw(registration_id):
    registration = my_registration_or_404(registration_id)
    return act_on_session(
        registration.session_id,
        lambda _s: booking.withdraw(registration),
        _("You have withdrawn."),
        answer=redraw_after,  # every open session is offered again
    )


@bp.route("/registrations/<int:registration_id>/alternatives")
@allow(Role.MEMBER)
def alternatives(registration_id):
    """The other open sessions of the member's event, when "Change session" opens."""
    mine = my_registration_or_404(registration_id)
    event = visible_event_or_404(mine.event_id)
    now = utcnow()
    others = OPEN_OTHERS.rows(event_id=event.id, session_id=mine.session_id, now=now)
    return render_template(
        "member/_alternatives.html", alternatives=attach_days(others), mine=mine, now=now
    )


@bp.route("/sessions/<int:session_id>/card")
@allow(Role.MEMBER)
def session_card(session_id):
    """One session's card, loaded as the event page scrolls."""
    session = visible_event_session_or_404(session_id)
    return session_card_html(session_with_days(session), utcnow())


@bp.route("/registrations/<int:registration_id>/confirm", methods=["POST"])
@allow(Role.MEMBER)
def confirm(registration_id):
    registration = my_registration_or_404(registration_id)
    try:
        booking.confirm_participation(registration, request.form.get("took_part") == "yes")
    except booking.BookingError:
        pass  # answered in another tab meanwhile: the redrawn tab shows the current state
    return redirect(url_for("home.home", tab="participating"), 303)
