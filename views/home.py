"""Where people land: `/` sends admins to their events and everyone else to "My events"
(`/home`: their event registrations, and the group and mentoring sessions they are in or
host, with Leave); and the health probe."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response
from peewee import DatabaseError

from accounts.access import VISITOR, allow
from meetings.platforms import meeting_of
from models import Event, Registration, RegistrationRole, Role, Session, Status, db, utcnow
from sessions import booking, hosting
from views.lookups import attach_days, get_or_404

URL_PREFIXES = ("/", "/home", "/healthz")
bp = Blueprint("home", __name__)


@bp.route("/")
@allow(Role.MEMBER)
def index():
    if g.user.is_admin:
        return redirect(url_for("event_planning.list_events"))
    return redirect(url_for("home.home"))


@bp.route("/healthz")
@allow(VISITOR)
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except DatabaseError:
        return {"status": "database unavailable"}, 503
    return {"status": "ok"}


# "My events": registrations --------------------------------------------------------------


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
    context |= sessions_context(request.args.get("sessions"))  # group and mentoring
    template = (
        "member/_tabs.html"
        if request.htmx and request.htmx.target == "tabs"
        else "member/home.html"
    )
    return render_template(template, **context)


# "My events": the group and mentoring sessions a person is in ------------------------------


def my_sessions(user, now=None):
    """{"upcoming": [...], "past": [...]} of (registration, session, day): the person's group
    and mentoring sessions where they hold a seat or host, upcoming soonest first, past
    latest first; two queries whatever their number."""
    now = now or utcnow()
    rows = list(
        Registration.select(Registration, Session)
        .join(Session)
        .where(
            Registration.user == user,
            Session.kind.in_(hosting.HOSTED_KINDS),
            Session.cancelled_at.is_null(),
            Registration.status.in_(Status.HOLDS_SEAT)
            | (Registration.role == RegistrationRole.HOST),
        )
    )
    days = {day.session_id: day for day in hosting.days_of([row.session_id for row in rows])}
    found = {"upcoming": [], "past": []}
    for row in rows:
        day = days.get(row.session_id)
        if day is not None:
            found["upcoming" if day.end_at > now else "past"].append((row, row.session, day))
    found["upcoming"].sort(key=lambda item: item[2].start_at)
    found["past"].sort(key=lambda item: item[2].start_at, reverse=True)
    return found


def sessions_context(when):
    when = when if when in {"upcoming", "past"} else "upcoming"
    now = utcnow()
    found = my_sessions(g.user, now)
    return {
        "when": when,
        "items": found[when],
        "counts": {key: len(items) for key, items in found.items()},
        "now": now,
        "join_is_open": hosting.join_is_open,
        "display_status": hosting.display_status,
        "DisplayStatus": hosting.DisplayStatus,
        "meeting_of": meeting_of,
        "join_minutes": hosting.join_minutes(),
    }


@bp.route("/home/sessions")
@allow(Role.MEMBER)
def my_sessions_part():
    return render_template(
        "hosting/_my_sessions.html", **sessions_context(request.args.get("when"))
    )


@bp.route("/home/sessions/<int:session_id>/leave", methods=["POST"])
@allow(Role.MEMBER)
def leave_session(session_id):
    """ "Leave" in My events: give the seat back until the start."""
    session = get_or_404(Session, session_id)
    mine = booking.live_in(g.user, session) if session.kind in hosting.HOSTED_KINDS else None
    if mine is None:
        abort(404)
    try:
        booking.withdraw(mine)
        toast = _("You have withdrawn.")
    except booking.BookingError as refusal:
        toast = refusal.message
    body = render_template("hosting/_my_sessions.html", **sessions_context("upcoming"))
    return make_response(body, trigger={"toast": toast})
