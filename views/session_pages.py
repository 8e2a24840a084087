"""A group or mentoring session as the people in it see it: its public page `/s/<id>`
(join, leave), its meeting room `/s/<id>/meeting` (BigBlueButton rooms are made and signed
here), the host's profile `/u/<handle>`, and the answer to an emailed invitation. These are
the addresses people keep in emails and calendars."""

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import VISITOR, allow, private_link
from foundation.forms import Invalid
from foundation.i18n import pick_text
from meetings import bigbluebutton
from meetings.platforms import meeting_of
from models import Registration, Role, Session, Status, User, utcnow
from sessions import booking, group_sessions, hosting, meeting_records, mentoring, personal_schedule
from sessions.hosting import HOSTED_KINDS, join_is_open
from views import clash_warnings
from views.bigbluebutton import room_parameters_for
from views.lookups import attach_days, get_or_404

URL_PREFIXES = ("/s", "/u", "/invitations")
bp = Blueprint("session_pages", __name__)


@bp.route("/u/<handle>")
@allow(VISITOR)
def profile(handle):
    host = active_host_or_404(handle)
    upcoming = attach_days(upcoming_public_sessions(host))
    return render_template("group/profile.html", host=host, sessions=upcoming)


def active_host_or_404(handle):
    host = User.get_or_none(User.handle == handle.lower(), User.is_active == True)  # noqa: E712
    if host is None:
        abort(404)
    return host


def upcoming_public_sessions(host):
    """The host's public sessions still open for registration, soonest closing first."""
    return list(
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
        "recordings": (
            meeting_records.shown_recordings(session)
            if meeting_records.may_watch(user, session)
            else []
        ),
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
    clashes = [] if clash_warnings.is_confirmed() else clashes_of_joining(session)
    if clashes:
        url = url_for("session_pages.join", session_id=session.id)
        return clash_warnings.confirmation(clashes, url, "#session-state", "outerHTML")
    try:
        booking.sign_up(g.user, session)
    except booking.BookingError as refusal:
        return redraw_state(session, refusal.message)
    if not request.htmx:  # "Join anyway" from the page a browser without JavaScript shows
        return redirect(url_for("session_pages.public_page", session_id=session.id), 303)
    return redraw_state(session, toast=_("You are registered."))


def clashes_of_joining(session):
    """What the member's seat in `session` would overlap; nothing when booking will refuse
    it (full, closed, they host it or are in it already)."""
    if session.is_full or not session.registration_is_open(utcnow()):
        return []  # refused anyway: nothing to ask
    if session.host_id == g.user.id or booking.live_in(g.user, session):
        return []
    return personal_schedule.clashes_with_session(g.user, session)


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
@private_link
def invitation(token):
    """The email's Accept / Decline link: a page that asks once more, so that link scanners
    in mail systems cannot answer for the person."""
    try:
        registration, action = group_sessions.read_invitation(token)
    except Invalid as error:
        return render_template("group/invitation.html", problem=error.errors["token"]), 400
    message, clash = None, None
    if request.method == "POST":
        clash = clash_of_accepting(registration, action)
        if clash is None:
            message = answer_invitation(registration, action)
        registration = Registration.get_by_id(registration.id)
    return render_template(
        "group/invitation.html",
        registration=registration,
        action=action,
        message=message,
        clash=clash,
        session=registration.session,
        problem=None,
    )


def clash_of_accepting(registration, action):
    """The clash text to show before accepting, unless the person has seen it already."""
    if action != "accept" or clash_warnings.is_confirmed():
        return None
    if registration.status != Status.INVITED:
        return None
    user = User.get_by_id(registration.user_id)
    clashes = personal_schedule.clashes_with_session(user, registration.session)
    return clash_warnings.clash_text(clashes) if clashes else None


def answer_invitation(registration, action):
    try:
        group_sessions.answer_invitation(registration, action)
    except booking.BookingError as refusal:
        return refusal.message
    return _("Thank you, your answer is saved.")


# The meeting room --------------------------------------------------------------------------


def may_join(user, session):
    """Who may open the room: its host, admins, and whoever holds a seat."""
    if user.is_admin or session.host_id == user.id:
        return True
    mine = booking.live_in(user, session)
    return mine is not None and mine.status in Status.HOLDS_SEAT


def meeting_page(session, day, message, status=200):
    return make_response(
        render_template("hosting/meeting.html", session=session, day=day, message=message),
        status,
    )


@bp.route("/s/<int:session_id>/meeting")
@allow(Role.MEMBER)
def join_meeting(session_id):
    """ "Join": from shortly before the start to the end, the meeting opens; for
    BigBlueButton the room is made (idempotent) and a freshly signed join link opens it,
    the host and admins as moderators, mentees as attendees."""
    session = get_or_404(Session, session_id)
    if session.kind not in hosting.HOSTED_KINDS or not may_join(g.user, session):
        abort(404)
    day = hosting.only_day(session)
    now = utcnow()
    if session.cancelled_at is not None:
        return meeting_page(session, day, _("This session is cancelled."))
    if not hosting.join_is_open(session, day, now):
        if now >= day.end_at:
            return meeting_page(session, day, _("This session has ended."))
        return meeting_page(
            session,
            day,
            _(
                "The meeting opens %(minutes)d minutes before the start.",
                minutes=hosting.join_minutes(),
            ),
        )
    meeting = meeting_of(day)
    if not meeting.is_bigbluebutton:
        if not meeting.url:
            return meeting_page(session, day, _("The host has not added the meeting link yet."))
        return redirect(meeting.url)
    moderator = g.user.is_admin or session.host_id == g.user.id
    room = bigbluebutton.meeting_id_for(day)
    try:
        bigbluebutton.create_meeting(
            room,
            pick_text(session.name),
            duration_minutes=int((day.end_at - day.start_at).total_seconds() // 60) + 30,
            logout_url=current_app.config["PUBLIC_URL"] + url_for("home.home"),
            extra=room_parameters_for(day),
        )
        url = bigbluebutton.join_url(room, g.user.name, g.user.id, moderator=moderator)
    except bigbluebutton.BigBlueButtonError as problem:
        if moderator:  # the host (or an admin) can act on what went wrong
            return meeting_page(session, day, problem.message, 503)
        hosting.report_room_unavailable(session)
        unavailable = _("The meeting room is not available; your host has been told.")
        return meeting_page(session, day, unavailable, 503)
    return redirect(url)
