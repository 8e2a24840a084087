"""Signing up for an event's sessions: the member's event page and its session cards,
signing up or joining a waiting list, switching, withdrawing, and confirming having taken
part. "My events" is views/home.py."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import allow
from foundation.forms import row_id
from foundation.i18n import viewer_timezone
from foundation.prepared import Prepared, PreparedByLength, slot
from models import Registration, Role, Session, utcnow
from sessions import booking, personal_schedule
from views import clash_warnings
from views.fragments import drawn_once, is_drawn, rows_of
from views.lookups import (
    attach_days,
    event_or_404,
    get_or_404,
    session_by_id,
    session_with_days,
    session_with_event_or_404,
    stored_days,
)

URL_PREFIXES = ("/events", "/sessions", "/registrations")
bp = Blueprint("event_signup", __name__)
FIRST_SCREEN = 8  # session cards drawn with the event page; the rest load as they scroll


def session_card_html(session, now):
    """A session's card as members with no seat in the event see it: the same for all who
    read it in one language and zone, so drawn once per version."""
    version = repr((rows_of(session), session.registration_is_open(now), viewer_timezone()))
    return drawn_once("member/_session_card.html", version, session=session, now=now)


def first_screen_cards(sessions, now):
    """{session id: card} for the sessions the event page draws. A card's version is its
    rows as stored (the session's, its days'), so cards drawn before cost one query for all
    their days and no objects; the days of cards still to draw are loaded as objects, in
    one query for all of them."""
    days, zone, template = stored_days(sessions), viewer_timezone(), "member/_session_card.html"
    versions = {
        session.id: repr(
            (session.__data__, days[session.id], session.registration_is_open(now), zone)
        )
        for session in sessions
    }
    attach_days([s for s in sessions if not is_drawn(template, versions[s.id])])
    return {
        session.id: drawn_once(template, versions[session.id], session=session, now=now)
        for session in sessions
    }


SESSIONS_OF_EVENT = Prepared(
    lambda: Session.select().where(Session.event == slot("event_id")).order_by(Session.id)
)
# What a card not yet shown needs: enough to place it, name it and load it later.
SESSION_PLACES = Prepared(
    lambda: (
        Session.select(Session.id, Session.name, Session.registration_end_at, Session.cancelled_at)
        .where(Session.event == slot("event_id"))
        .order_by(Session.id)
    )
)
WHOLE_SESSIONS = PreparedByLength(
    lambda ids: Session.select().where(Session.id.in_(ids)), longest=FIRST_SCREEN
)


def card_path(session_id):
    """Where a card not yet shown loads from (`session_card`, below): spelled here because
    a large event has a hundred of them, and building each address through url_for cost
    more than drawing the card."""
    return f"{request.script_root}/sessions/{session_id}/card"


def event_context(event, error=None, whole=False):
    """What the event's body shows. The sessions below the first screen are loaded as
    places only (id, name, registration end), unless `whole` asks for every one in full."""
    now = utcnow()
    loaded = SESSIONS_OF_EVENT if whole else SESSION_PLACES
    sessions = loaded.rows(event_id=event.id)
    mine = booking.live_registration(g.user, event)
    open_sessions = [s for s in sessions if s.registration_is_open(now)]
    closed = sorted(
        (s for s in sessions if not s.registration_is_open(now)),
        key=lambda s: s.registration_end_at,
        reverse=True,  # newest to oldest by registration end
    )
    my_session = next((s for s in sessions if mine and s.id == mine.session_id), None)
    # Days for what the first screen shows; the other cards load as they scroll into view.
    shown = [my_session] if my_session else (open_sessions + closed)[:FIRST_SCREEN]
    if not whole:
        shown = _in_full(shown, [open_sessions, closed])
        my_session = shown[0] if my_session else None
    if my_session:
        attach_days(shown)
    cards = {} if my_session else first_screen_cards(shown, now)
    alternatives = [s for s in open_sessions if not my_session or s.id != my_session.id]
    return {
        "event": event,
        "mine": mine,
        "my_session": my_session,
        "open_sessions": open_sessions,
        "closed_sessions": closed,
        "alternatives": alternatives,
        "has_alternatives": bool(alternatives),
        "now": now,
        "error": error,
        "cards": cards,
        "card_path": card_path,
    }


def _in_full(places, lists):
    """The sessions of `places` loaded whole, put in their places in each of `lists`."""
    whole = {session.id: session for session in WHOLE_SESSIONS.rows([s.id for s in places])}
    for sessions in lists:
        sessions[:] = [whole.get(session.id, session) for session in sessions]
    return [whole[session.id] for session in places]


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
    return render_template("member/event.html", **event_context(event))


def redraw_event(event, error=None, toast=None):
    body = render_template("member/_event_body.html", **event_context(event, error))
    return make_response(body, 422 if error else 200, trigger={"toast": toast} if toast else None)


OTHERS_OPEN = Prepared(
    lambda: (
        Session.select(Session.id)
        .where(
            Session.event == slot("event_id"),
            Session.id != slot("session_id"),
            Session.cancelled_at.is_null(),
            Session.registration_end_at.is_null() | (Session.registration_end_at > slot("now")),
        )
        .limit(1)
    )
)


def my_session_card(event, mine, toast):
    """After signing up or switching: the member's own card alone (a constant-size answer);
    the other sessions are hidden now and load only if "Change session" opens."""
    now = utcnow()
    session = session_with_days(session_by_id(mine.session_id))  # its seats just moved
    body = render_template(
        "member/_my_session.html",
        mine=mine,
        session=session,
        has_alternatives=OTHERS_OPEN.exists(event_id=event.id, session_id=session.id, now=now),
        now=now,
    )
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
    context = event_context(visible_event_or_404(mine.event_id), whole=True) | {"mine": mine}
    attach_days(context["alternatives"])
    return render_template("member/_alternatives.html", **context)


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
