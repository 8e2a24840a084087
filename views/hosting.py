"""Sessions people host and attend (group and mentoring): the host's page of one session
(attendees, meeting link, Edit / Reschedule / Cancel), joining the meeting (BigBlueButton
rooms are made and signed here), and the sessions part of "My events"."""

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response
from peewee import JOIN

from accounts.access import allow
from foundation import schedule
from foundation.forms import FormReader, Invalid
from foundation.i18n import current_company, input_value, pick_text
from meetings import bigbluebutton
from meetings.platforms import MeetingPlatform, meeting_of
from models import (
    Invitation,
    MentoringDetails,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    Status,
    User,
    utcnow,
)
from sessions import booking, hosting
from views.lookups import get_or_404

bp = Blueprint("hosting", __name__)
bp.add_app_template_global(SessionKind, "SessionKind")


def hosted_session_or_404(session_id):
    """A group or mentoring session that the signed-in person hosts (or any, for admins)."""
    session = get_or_404(Session, session_id)
    if session.kind not in hosting.HOSTED_KINDS:
        abort(404)
    if not (g.user.is_admin or session.host_id == g.user.id):
        abort(404)
    return session


def attendee_label(registration, invited):
    if registration.status == Status.INVITED:
        return _("Invited, no answer yet")
    if registration.status == Status.CANCELLED:
        return _("Declined") if invited else _("Left")
    if registration.status == Status.WAITLISTED:
        return _("Waiting list")
    return _("Invited") if invited else _("Registered")


def attendees_of(session):
    """(user, label, status) of everyone in the session but the host, in name order."""
    return attendees_of_many([session])[0].attendee_list


def attendees_of_many(sessions):
    """Give each session `.attendee_list`: (user, label, status), in one query."""
    by_id = {session.id: session for session in sessions}
    for session in sessions:
        session.attendee_list = []
    if not by_id:
        return sessions
    rows = (
        Registration.select(Registration, User, Invitation.id.alias("invitation_id"))
        .join(User)
        .switch(Registration)
        .join(Invitation, JOIN.LEFT_OUTER)
        .where(
            Registration.session.in_(list(by_id)),
            Registration.role == RegistrationRole.PARTICIPANT,
        )
        .order_by(User.name)
        .objects()
    )
    for row in rows:
        label = attendee_label(row, row.invitation_id is not None)
        by_id[row.session_id].attendee_list.append((row.user, label, row.status))
    return sessions


def manage_context(session, errors=None, step=None, form=None):
    session = Session.get_by_id(session.id)
    day = hosting.only_day(session)
    now = utcnow()
    zone = session.timezone
    return {
        "session": session,
        "day": day,
        "meeting": meeting_of(day),
        "details": MentoringDetails.get_or_none(MentoringDetails.session == session),
        "mentor": User.get_or_none(User.id == session.host_id),
        "attendees": attendees_of(session),
        "status": hosting.display_status(session, day, now),
        "DisplayStatus": hosting.DisplayStatus,
        "changeable": not hosting.check_changeable(session, day, now),
        "join_open": hosting.join_is_open(session, day, now),
        "zone": zone,
        "start_value": (form or {}).get("start") or input_value(day.start_at, zone),
        "end_value": (form or {}).get("end") or input_value(day.end_at, zone),
        "errors": errors or {},
        "form": form or {},
        "step": step,
        "bbb_ready": bigbluebutton.is_configured(),
        "platforms": MeetingPlatform.values(),
        "MeetingPlatform": MeetingPlatform,
        "now": now,
    }


@bp.route("/host/sessions/<int:session_id>")
@allow(Role.HOST)
def manage(session_id):
    session = hosted_session_or_404(session_id)
    step = request.args.get("step") if request.args.get("step") in {"link"} else None
    return render_template("hosting/manage.html", **manage_context(session, step=step))


def redraw(session, errors=None, toast=None, form=None, **extra):
    context = manage_context(session, errors, form=form) | extra
    body = render_template("hosting/_manage.html", **context)
    return make_response(body, 422 if errors else 200, trigger={"toast": toast} if toast else None)


@bp.route("/host/sessions/<int:session_id>/meeting", methods=["POST"])
@allow(Role.HOST)
def set_meeting(session_id):
    session = hosted_session_or_404(session_id)
    form = request.form
    try:
        hosting.set_meeting(
            session,
            form.get("platform", ""),
            form.get("meeting_url", ""),
            form.get("meeting_id", ""),
            form.get("passcode", ""),
            form.get("link_later") in {"on", "1"},
        )
    except Invalid as refusal:
        return redraw(session, refusal.errors, form=form)
    return redraw(session, toast=_("Meeting link saved."))


@bp.route("/host/sessions/<int:session_id>/reschedule", methods=["POST"])
@allow(Role.HOST)
def reschedule(session_id):
    session = hosted_session_or_404(session_id)
    reader = FormReader(request.form)
    zone = session.timezone
    start = reader.local_datetime("start", zone=zone)
    end = reader.local_datetime("end", zone=zone)
    if reader.errors:
        return redraw(session, reader.errors, form=request.form)
    try:
        hosting.reschedule(
            session, schedule.to_utc(start, zone), schedule.to_utc(end, zone), current_company()
        )
    except Invalid as refusal:
        return redraw(session, refusal.errors, form=request.form)
    return redraw(session, toast=_("Rescheduled. Everyone in it gets the updated calendar entry."))


@bp.route("/host/sessions/<int:session_id>/cancel", methods=["POST"])
@allow(Role.HOST)
def cancel(session_id):
    session = hosted_session_or_404(session_id)
    if request.form.get("confirmed") != "1":
        # First the modal question (PRODUCT: destructive actions are confirmed), naming the
        # session and how many attendees the cancellation will be emailed to.
        context = manage_context(session)
        if not context["changeable"]:
            return redraw(session, hosting.check_changeable(session, context["day"], utcnow()))
        told = sum(
            1 for _person, _label, state in context["attendees"] if state in Status.HOLDS_SEAT
        )
        return redraw(session, confirm_cancel={"count": told})
    try:
        hosting.cancel(session)
    except Invalid as refusal:
        return redraw(session, refusal.errors)
    return redraw(session, toast=_("The session is cancelled and everyone in it has been told."))


@bp.route("/host/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@allow(Role.HOST)
def edit_group_session(session_id):
    """Title and description of a group session (mentoring sessions: their own form)."""
    session = hosted_session_or_404(session_id)
    if session.kind == SessionKind.MENTORING:
        return redirect(url_for("mentoring.edit_session", session_id=session.id))
    errors, form = {}, {"title": pick_text(session.name), "description": session.description}
    if request.method == "POST":
        form = request.form
        try:
            hosting.edit_details(
                session, form.get("title"), form.get("description"), current_company()
            )
            target = url_for("hosting.manage", session_id=session.id)
            if request.htmx:
                return make_response("", 204, redirect=target)
            return redirect(target, 303)
        except Invalid as refusal:
            errors = refusal.errors
    template = "hosting/_group_form.html" if request.htmx else "hosting/edit_group.html"
    body = render_template(template, session=session, errors=errors, form=form)
    return make_response(body, 422 if errors else 200)


# Joining the meeting -----------------------------------------------------------------------


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
            logout_url=current_app.config["PUBLIC_URL"] + url_for("member.home"),
        )
        url = bigbluebutton.join_url(room, g.user.name, g.user.id, moderator=moderator)
    except bigbluebutton.BigBlueButtonError as problem:
        if moderator:  # the host (or an admin) can act on what went wrong
            return meeting_page(session, day, problem.message, 503)
        hosting.report_room_unavailable(session)
        unavailable = _("The meeting room is not available; your host has been told.")
        return meeting_page(session, day, unavailable, 503)
    return redirect(url)


@bp.route("/s/<int:session_id>/meeting/end", methods=["POST"])
@allow(Role.HOST)
def end_meeting(session_id):
    """ "End" for a BigBlueButton room: everyone is taken out of it."""
    session = hosted_session_or_404(session_id)
    day = hosting.only_day(session)
    if not (bigbluebutton.is_configured() and meeting_of(day).is_bigbluebutton):
        abort(404)  # no BigBlueButton room to end
    try:
        bigbluebutton.end_meeting(bigbluebutton.meeting_id_for(day))
    except bigbluebutton.BigBlueButtonError as problem:
        return redraw(session, {"meeting": problem.message})
    return redraw(session, toast=_("The meeting is ended."))


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


@bp.route("/s/<int:session_id>/leave-session", methods=["POST"])
@allow(Role.MEMBER)
def leave(session_id):
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
