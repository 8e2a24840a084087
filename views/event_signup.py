"""What members see and do: their events, signing up, switching, withdrawing, confirming."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts import access, administration
from accounts.access import allow, limiter
from foundation.forms import FormReader, Invalid, row_id
from foundation.i18n import enabled_locales, viewer_timezone
from foundation.schedule import all_timezones, is_timezone
from models import Event, Registration, RegistrationRole, Role, Session, Status, User, utcnow
from sessions import booking
from views import hosting
from views.fragments import drawn_once, rows_of
from views.lookups import attach_days, get_or_404, session_with_days

bp = Blueprint("member", __name__)
FIRST_SCREEN = 8  # session cards drawn with the event page; the rest load as they scroll


def my_registrations():
    """The signed-in person's registrations with their session and event: one query."""
    return attach_days_of(
        list(
            Registration.select(Registration, Session, Event)
            .join(Session)
            .join(Event)
            .where(
                Registration.user == g.user,
                Registration.role == RegistrationRole.PARTICIPANT,
                Registration.status != Status.CANCELLED,
                Event.is_active == True,  # noqa: E712
            )
            .order_by(Registration.updated_at.desc())
        )
    )


def attach_days_of(registrations):
    attach_days([registration.session for registration in registrations])
    return registrations


@bp.route("/home")
@allow(Role.MEMBER)
def home():
    tab = request.args.get("tab", "participating")
    if tab not in {"participating", "completed"}:
        tab = "participating"
    registrations = my_registrations()
    in_events = {registration.session.event_id for registration in registrations}
    open_events = [
        event
        for event in Event.select().where(Event.is_active == True).order_by(Event.starts_on)  # noqa: E712
        if event.id not in in_events
    ]
    context = {
        "tab": tab,
        "participating": [
            r for r in registrations if r.status in (*Status.PARTICIPATING, Status.WAITLISTED)
        ],
        "completed": [r for r in registrations if r.status in Status.COMPLETED],
        "open_events": open_events,
        "now": utcnow(),
    }
    context |= hosting.sessions_context(request.args.get("sessions"))  # group and mentoring
    template = (
        "member/_tabs.html"
        if request.htmx and request.htmx.target == "tabs"
        else "member/home.html"
    )
    return render_template(template, **context)


def session_card_html(session, now):
    """A session's card as members with no seat in the event see it: the same for all who
    read it in one language and zone, so drawn once per version."""
    version = repr((rows_of(session), session.registration_is_open(now), viewer_timezone()))
    return drawn_once("member/_session_card.html", version, session=session, now=now)


def event_context(event, error=None):
    now = utcnow()
    sessions = list(Session.select().where(Session.event == event).order_by(Session.id))
    mine = booking.live_registration(g.user, event)
    open_sessions = [s for s in sessions if s.registration_is_open(now)]
    closed = sorted(
        (s for s in sessions if not s.registration_is_open(now)),
        key=lambda s: s.registration_end_at,
        reverse=True,  # newest to oldest by registration end
    )
    my_session = next((s for s in sessions if mine and s.id == mine.session_id), None)
    alternatives = [s for s in open_sessions if not my_session or s.id != my_session.id]
    # Days for what the first screen shows; the other cards load as they scroll into view.
    shown = [my_session] if my_session else (open_sessions + closed)[:FIRST_SCREEN]
    attach_days(shown)
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
        "session_card_html": session_card_html,
    }


def visible_event_session_or_404(session_id):
    """A session of an active event, with its event loaded; group sessions are joined on
    their own page."""
    session = get_or_404(Session, session_id)
    if session.event_id is None:
        abort(404)
    session.event = visible_event_or_404(session.event_id)
    return session


def visible_event_or_404(event_id):
    event = get_or_404(Event, event_id)
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


def my_session_card(event, mine, toast):
    """After signing up or switching: the member's own card alone (a constant-size answer);
    the other sessions are hidden now and load only if "Change session" opens."""
    now = utcnow()
    session = session_with_days(Session.get_by_id(mine.session_id))  # its seats just moved
    others_open = Session.select().where(
        Session.event == event,
        Session.id != session.id,
        Session.cancelled_at.is_null(),
        Session.registration_end_at.is_null() | (Session.registration_end_at > now),
    )
    body = render_template(
        "member/_my_session.html",
        mine=mine,
        session=session,
        has_alternatives=others_open.exists(),
        now=now,
    )
    return make_response(body, trigger={"toast": toast})


def act_on_session(session_id, operation, toast, answer=my_session_card):
    """Load the session and its event (or 404), do `operation`, and answer with what
    changed; a refusal redraws the event with its message."""
    session = visible_event_session_or_404(session_id)
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
    return act_on_session(
        session_id, lambda s: booking.sign_up(g.user, s), _("You are registered.")
    )


@bp.route("/sessions/<int:session_id>/waitlist", methods=["POST"])
@allow(Role.MEMBER)
def join_waiting_list(session_id):
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
    context = event_context(visible_event_or_404(mine.event_id)) | {"mine": mine}
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
    return redirect(url_for("member.home", tab="participating"), 303)


def profile_page(status=200, **context):
    context = {
        "errors": {},
        "saved": False,
        "password_errors": {},
        "password_changed": False,
        "password_error": None,
        "password_min": administration.PASSWORD_MIN,
        "timezones": all_timezones(),
    } | context
    return make_response(render_template("member/profile.html", **context), status)


@bp.route("/profile", methods=["GET", "POST"])
@allow(Role.MEMBER)
def profile():
    errors, saved = {}, False
    if request.method == "POST":
        try:
            save_profile(g.user, request.form)
            saved = True
        except Invalid as error:
            errors = error.errors
    status = 422 if errors else 200
    if request.htmx:
        return render_template(
            "member/_profile_form.html", errors=errors, saved=saved, timezones=all_timezones()
        ), status
    return profile_page(status, errors=errors, saved=saved)


def password_refusal(error, status):
    return profile_page(status, password_error=error)


@bp.route("/profile/password", methods=["POST"])
@allow(Role.MEMBER)
@limiter.shared_limit(
    access.ACCOUNT_FAILURES,
    access.PASSWORD_GUESSES,  # the same count as failed sign-ins to this account
    key_func=access.signed_in_account,
    deduct_when=lambda response: response.status_code == 422,
    on_breach=access.too_many(password_refusal),
)
def change_password():
    """A new password, with the current one: this browser stays signed in, every other
    session of the account ends."""
    try:
        administration.change_password(g.user, request.form, "current_password")
    except Invalid as error:
        return profile_page(422, password_errors=error.errors)
    access.sign_in(g.user)
    return profile_page(password_changed=True)


@bp.route("/profile/sign-out-everywhere", methods=["POST"])
@allow(Role.MEMBER)
def sign_out_everywhere():
    """Every browser and phone signed in to the account is signed out, this one too."""
    access.sign_out()
    return redirect(url_for("auth.login"))


def save_profile(user, form):
    reader = FormReader(form)
    name = reader.text("name", required=True, max_length=120)
    zone = reader.text("timezone") or None
    if zone and not is_timezone(zone):
        reader.error("timezone", _("Choose a time zone from the list."))
    locale = form.get("locale") or None
    if locale and locale not in enabled_locales():
        reader.error("locale", _("Choose one of the options."))
    reader.raise_if_invalid()
    user.name, user.timezone, user.locale = name, zone, locale
    user.save(only=[User.name, User.timezone, User.locale])
