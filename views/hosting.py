"""Hosting group and mentoring sessions: the host's dashboard of their sessions, and the
host's page of one session (attendees, meeting link, Edit / Reschedule / Cancel, and once a
BigBlueButton meeting is over its recordings and the one-click attendance). What attendees
see, the meeting room included, is views/session_pages.py."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
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
    Recording,
    Registration,
    RegistrationRole,
    Role,
    Session,
    SessionKind,
    Status,
    User,
    utcnow,
)
from sessions import attendance, hosting, meeting_records, personal_schedule
from sessions.hosting import HOSTED_KINDS
from views import clash_warnings
from views.lookups import attach_days, get_or_404

URL_PREFIXES = ("/host",)
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
    if registration.status in Status.COMPLETED:  # marked after the session, by hand or attendance
        return Status.label(registration.status)
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


def clash_notes(session, attendees):
    """{user id: "Anna is in 'Evening' at that time: …"} for the attendees holding a seat
    whose other sessions overlap this one: what the host who enrolled them should know.
    Two queries whatever the number of attendees."""
    seated = [person for person, _label, state in attendees if state in Status.PARTICIPATING]
    if not seated:
        return {}
    intervals = personal_schedule.days_of_sessions([session.id])[session.id]
    rows = [(person.id, intervals, personal_schedule.owner_of(session)) for person in seated]
    found = personal_schedule.clashes_of_rows(rows)
    return {
        person.id: clash_warnings.someone_elses_clash_text(person.name, clashes)
        for person, clashes in zip(seated, found, strict=True)
        if clashes
    }


def manage_context(session, errors=None, step=None, form=None):
    session = Session.get_by_id(session.id)
    day = hosting.only_day(session)
    now = utcnow()
    zone = session.timezone
    attendees = attendees_of(session)
    return {
        "session": session,
        "day": day,
        "meeting": meeting_of(day),
        "details": MentoringDetails.get_or_none(MentoringDetails.session == session),
        "mentor": User.get_or_none(User.id == session.host_id),
        "attendees": attendees,
        "clash_notes": clash_notes(session, attendees),
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
        "recordings": meeting_records.shown_recordings(session),
        "hide_url": hide_url,
        "attendance": attendance_context(session, day, now),
    }


def attendance_context(session, day, now):
    """What the attendance panel shows once a BigBlueButton day has ended (None before or
    on another platform): each participant's suggestion ({} until the report arrives)."""
    if day.end_at > now or not meeting_of(day).is_bigbluebutton:
        return None
    return {
        "by_user": attendance.session_attendance(session, now),
        "threshold": attendance.threshold_percent(),
    }


def hide_url(recording):
    return url_for("hosting.hide_recording", recording_id=recording.id)


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


@bp.route("/host/sessions/<int:session_id>/attendance", methods=["POST"])
@allow(Role.HOST)
def apply_attendance(session_id):
    """One click: participated or missed from the meeting's attendance report."""
    session = hosted_session_or_404(session_id)
    changed = attendance.apply_session_attendance(session)
    message = ngettext("%(num)d status changed.", "%(num)d statuses changed.", changed)
    return redraw(session, toast=message)


@bp.route("/host/recordings/<int:recording_id>/hide", methods=["POST"])
@allow(Role.HOST)
def hide_recording(recording_id):
    """The host (or an admin) hides a recording from everyone; it never comes back."""
    recording = get_or_404(Recording, recording_id)
    session = hosted_session_or_404(recording.day.session_id)
    meeting_records.hide_recording(recording)
    body = render_template(
        "recordings/_list.html",
        recordings=meeting_records.shown_recordings(session),
        hide_url=hide_url,
    )
    return make_response(body, 200, trigger={"toast": _("Recording hidden.")})


@bp.route("/host/sessions/<int:session_id>/meeting/end", methods=["POST"])
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


# The host's dashboard ---------------------------------------------------------------------


@bp.route("/host/sessions")
@allow(Role.HOST)
def dashboard():
    tab = request.args.get("tab", "future")
    tab = tab if tab in {"future", "past"} else "future"
    sessions = attendees_of_many(attach_days(sessions_hosted_by(g.user, tab)))
    return render_template("group/dashboard.html", sessions=sessions, tab=tab)


def sessions_hosted_by(user, tab):
    """The user's group and mentoring sessions whose registration is still open ("future",
    soonest closing first) or closed ("past", latest first)."""
    query = Session.select().where(Session.kind.in_(HOSTED_KINDS), Session.host == user)
    if tab == "future":
        query = query.where(Session.registration_end_at > utcnow())
        return list(query.order_by(Session.registration_end_at))
    query = query.where(Session.registration_end_at <= utcnow())
    return list(query.order_by(Session.registration_end_at.desc()))
