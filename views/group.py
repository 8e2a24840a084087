"""Group sessions: creating them, the host's dashboard, public pages, invitations."""

from flask import Blueprint, abort, g, render_template, request
from flask_babel import gettext as _
from htmx_flask import make_response
from markupsafe import escape

from accounts.access import INVITEE_SEARCHES, VISITOR, allow, limiter
from foundation.forms import Invalid, row_ids
from foundation.i18n import current_company, viewer_timezone
from models import Registration, Role, Session, Status, User, utcnow
from sessions import booking, group_sessions, hosting, mentoring
from sessions.hosting import HOSTED_KINDS, join_is_open
from views import hosting as hosting_views
from views.lookups import attach_days, get_or_404

bp = Blueprint("group", __name__)


def require_gate():
    """Creating group sessions exists only while the company allows it."""
    if not current_company().allows_group_sessions:
        abort(404)


@bp.route("/group-sessions/new")
@allow(Role.HOST)
def new_group_session():
    require_gate()
    return render_template("group/new.html", errors={}, form={}, zone=viewer_timezone())


@bp.route("/group-sessions", methods=["POST"])
@allow(Role.HOST)
def create_group_session():
    require_gate()
    try:
        session = group_sessions.create_group_session(g.user, request.form, current_company())
    except Invalid as error:
        invitees = User.select().where(User.id.in_(row_ids(request.form.getlist("invitees"))))
        context = {
            "errors": error.errors,
            "form": request.form,
            "zone": viewer_timezone(),
            "invitees": invitees,
        }
        return render_template("group/_form.html", **context), 422
    created = render_template("group/_created.html", session=session)
    return make_response(created, trigger={"toast": _("Created!")})


def searcher():
    return f"invitee-search:{g.user.id}"


def too_many_searches(_request_limit):
    """Said where the suggestions appear (a refused type-ahead is no failure to toast)."""
    message = _("Too many searches. Wait a moment and type again.")
    # No options; the combobox's live region says why (group/_invitee_results.html).
    return make_response(f'<p id="invitee-count" hx-swap-oob="innerHTML">{escape(message)}</p>')


@bp.route("/group-sessions/invitees")
@allow(Role.HOST)
@limiter.limit(INVITEE_SEARCHES, key_func=searcher, on_breach=too_many_searches)
def search_invitees():
    require_gate()
    text = request.args.get("q", "")
    people = group_sessions.search_members(text)
    searched = len(text.strip()) >= 2
    return render_template("group/_invitee_results.html", people=people, searched=searched)


@bp.route("/host/sessions")
@allow(Role.HOST)
def dashboard():
    tab = request.args.get("tab", "future")
    tab = tab if tab in {"future", "past"} else "future"
    now = utcnow()
    query = (
        Session.select()
        .where(Session.kind.in_(HOSTED_KINDS), Session.host == g.user)
        .order_by(
            Session.registration_end_at if tab == "future" else Session.registration_end_at.desc()
        )
    )
    if tab == "future":
        query = query.where(Session.registration_end_at > now)
    else:
        query = query.where(Session.registration_end_at <= now)
    sessions = attach_days(list(query))
    return render_template("group/dashboard.html", sessions=attach_attendees(sessions), tab=tab)


def attach_attendees(sessions):
    """Give each session `.attendee_list` of (user, label, status), in one query."""
    return hosting_views.attendees_of_many(sessions)


@bp.route("/u/<handle>")
@allow(VISITOR)
def profile(handle):
    host = User.get_or_none(User.handle == handle.lower(), User.is_active == True)  # noqa: E712
    if host is None:
        abort(404)
    upcoming = attach_days(
        list(
            Session.select()
            .where(
                Session.kind.in_(HOSTED_KINDS),
                Session.host == host,
                Session.is_public == True,  # noqa: E712
                Session.cancelled_at.is_null(),
                Session.registration_end_at > utcnow(),
            )
            .order_by(Session.registration_end_at)
        )
    )
    return render_template("group/profile.html", host=host, sessions=upcoming)


def visible_session_or_404(session_id):
    """A group session as the viewer may see it; a private one only for its people."""
    session = get_or_404(Session, session_id)
    if session.kind not in HOSTED_KINDS:
        abort(404)
    user = g.user
    if not session.is_public and not (
        user and (user.is_admin or session.host_id == user.id or booking.is_invited(user, session))
    ):
        abort(404)
    return session


def public_context(session, error=None):
    user = g.user
    mine = booking.live_in(user, session) if user else None
    invited = (
        user
        and Registration.select()
        .where(
            Registration.session == session,
            Registration.user == user,
            Registration.status == Status.INVITED,
        )
        .exists()
    )
    return {
        "session": attach_days([session])[0],
        "image_name": mentoring.image_of(session),
        "host": session.host,
        "mine": mine,
        "invited": invited,
        "is_host": bool(user and session.host_id == user.id),
        "attending": group_sessions.participants_count(session),
        "now": utcnow(),
        "join_open": join_is_open(session, session.day_list[0] if session.day_list else None),
        "error": error,
    }


@bp.route("/s/<int:session_id>")
@allow(VISITOR)
def public_page(session_id):
    session = visible_session_or_404(session_id)
    return render_template("group/public.html", **public_context(session))


def redraw_state(session, error=None, toast=None):
    session = Session.get_by_id(session.id)
    body = render_template("group/_state.html", **public_context(session, error))
    return make_response(body, 422 if error else 200, trigger={"toast": toast} if toast else None)


@bp.route("/s/<int:session_id>/join", methods=["POST"])
@allow(Role.MEMBER)
def join(session_id):
    session = visible_session_or_404(session_id)
    try:
        booking.sign_up(g.user, session)
    except booking.BookingError as refusal:
        return redraw_state(session, refusal.message)
    return redraw_state(session, toast=_("You are registered."))


@bp.route("/s/<int:session_id>/leave", methods=["POST"])
@allow(Role.MEMBER)
def leave(session_id):
    session = visible_session_or_404(session_id)
    mine = booking.live_in(g.user, session)
    if mine is None:
        return redraw_state(session)
    try:
        booking.withdraw(mine)
    except booking.BookingError as refusal:
        return redraw_state(session, refusal.message)
    return redraw_state(session, toast=_("You have withdrawn."))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@allow(VISITOR)
def invitation(token):
    """The email's Accept / Decline link: a page that asks once more, so that link scanners
    in mail systems cannot answer for the person."""
    try:
        registration, action = group_sessions.read_invitation(token)
    except Invalid as error:
        return render_template("group/invitation.html", problem=error.errors["token"]), 400
    message = None
    if request.method == "POST":
        try:
            group_sessions.answer_invitation(registration, action)
            message = _("Thank you, your answer is saved.")
        except booking.BookingError as refusal:
            message = refusal.message
        registration = Registration.get_by_id(registration.id)
    return render_template(
        "group/invitation.html",
        registration=registration,
        action=action,
        message=message,
        session=registration.session,
        problem=None,
    )


@bp.route("/group-sessions/<int:session_id>/decide/<token>", methods=["GET", "POST"])
@allow(Role.HOST)
def decide(session_id, token):
    """ "Cancel session" / "Keep it" for a session below its minimum (host or admin)."""
    session = get_or_404(Session, session_id)
    if not (g.user.is_admin or session.host_id == g.user.id):
        abort(404)  # someone else's session: nothing to decide here
    try:
        decision = group_sessions.read_decision(session, token)
    except Invalid as error:
        return render_template(
            "group/decide.html", session=session, problem=error.errors["token"]
        ), 400
    done = None
    if request.method == "POST":
        if decision == "cancel":
            hosting.cancel_session(session)
            done = _("The session is cancelled and everyone in it has been told.")
        else:
            done = _("The session goes ahead.")
        session = Session.get_by_id(session.id)
    return render_template(
        "group/decide.html", session=session, decision=decision, done=done, problem=None
    )


bp.add_app_template_global(
    lambda: current_company().allows_group_sessions, "group_sessions_allowed"
)
