"""Admin screens that build an event, all in place: the event, its sessions, their days
(with a Zoom day's conference state) and the reminders on each session's card.

Each handler loads its objects (or 404), lets the blueprint-wide admin check stand, calls
one operation of `planning`, and renders the partial htmx swaps in. Validation errors come
back as the same partial with status 422 and the messages beside the fields.
"""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import allow
from foundation.forms import Invalid, row_id
from foundation.i18n import current_company
from foundation.prepared import Prepared, slot
from meetings.zoom import meeting_sync
from models import Day, DayFormat, Event, Reminder, Role, Session, User
from sessions import planning, reminders
from views.admin_event_page import card_html, sessions_html, top_html
from views.lookups import (
    attach_reminders,
    event_or_404,
    get_or_404,
    session_with_days,
    zoom_day_or_404,
)

URL_PREFIXES = ("/admin/events", "/admin/sessions", "/admin/days", "/admin/reminders")
bp = Blueprint("event_planning", __name__, url_prefix="/admin")
bp.add_app_template_global(reminders.UNITS, "reminder_units")
bp.add_app_template_global(reminders.MAX_PER_SESSION, "max_reminders_per_session")


def event_session_or_404(session_id):
    """A session of an event; group and other stand-alone sessions have screens of their own."""
    session = get_or_404(Session, session_id)
    if session.event_id is None:
        abort(404)
    return session


# A day save's loads, built once (foundation/prepared.py): the day with its Zoom meeting,
# session and event in one query; its reminders.
DAY_WITH_SESSION = Prepared(
    lambda: Day.with_zoom(Session, Event).join(Session).join(Event).where(Day.id == slot("day_id"))
)
REMINDERS_OF = Prepared(
    lambda: Reminder.select().where(Reminder.session == slot("session_id")).order_by(Reminder.id)
)


def event_day_or_404(day_id):
    """A day of an event's session, with its Zoom meeting, session and event loaded."""
    day = DAY_WITH_SESSION.first(day_id=day_id)
    if day is None:
        abort(404)
    return day


def card(session):
    """A session as its admin card shows it: with its days and reminders."""
    return attach_reminders([session_with_days(session)])[0]


def invalid(template, errors, **context):
    return render_template(template, errors=errors, form=request.form, **context), 422


# Events ------------------------------------------------------------------------------------


@bp.route("/events")
@allow(Role.ADMIN)
def list_events():
    events = Event.select().order_by(Event.created_at.desc())
    return render_template("admin/events.html", events=events, errors={}, form={})


@bp.route("/events", methods=["POST"])
@allow(Role.ADMIN)
def create_event():
    try:
        event = planning.save_event(None, request.form, current_company())
    except Invalid as error:
        return invalid("admin/_event_form.html", error.errors, event=None)
    target = url_for("event_planning.event_page", event_id=event.id)
    if request.htmx:
        return make_response("", 204, redirect=target)
    return redirect(target)


@bp.route("/events/<int:event_id>")
@allow(Role.ADMIN)
def event_page(event_id):
    event = event_or_404(event_id)
    return render_template(
        "admin/event.html", event=event, top=top_html(event), session_list=sessions_html(event)
    )


@bp.route("/events/<int:event_id>/header")
@allow(Role.ADMIN)
def event_header(event_id):
    return render_template("admin/_event_header.html", event=get_or_404(Event, event_id))


@bp.route("/events/<int:event_id>/edit")
@allow(Role.ADMIN)
def edit_event(event_id):
    event = get_or_404(Event, event_id)
    return render_template("admin/_event_form.html", event=event, errors={}, form={})


@bp.route("/events/<int:event_id>", methods=["POST"])
@allow(Role.ADMIN)
def update_event(event_id):
    event = get_or_404(Event, event_id)
    had_date = event.has_date
    try:
        planning.save_event(event, request.form, current_company())
    except Invalid as error:
        return invalid("admin/_event_form.html", error.errors, event=event)
    if had_date != event.has_date:
        # Registration end and the Zoom format depend on the date: redraw every session.
        return make_response("", 204, refresh=True)
    return render_template("admin/_event_header.html", event=event)


@bp.route("/events/<int:event_id>/visibility", methods=["POST"])
@allow(Role.ADMIN)
def set_visibility(event_id):
    event = get_or_404(Event, event_id)
    planning.set_event_active(event, request.form.get("active") == "1")
    return render_template("admin/_event_header.html", event=event)


# Sessions ----------------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/sessions", methods=["POST"])
@allow(Role.ADMIN)
def create_session(event_id):
    event = get_or_404(Event, event_id)
    form = request.form
    try:
        session = planning.save_session(event, None, form, current_company())
    except Invalid as error:
        response = make_response(
            render_template(
                "admin/_new_session_form.html", event=event, errors=error.errors, form=form
            ),
            422,
        )
        response.headers["HX-Retarget"] = "#new-session-form"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    session.day_list, session.reminder_list = [], []
    return card_html(session, event)


@bp.route("/sessions/<int:session_id>")
@allow(Role.ADMIN)
def session_card(session_id):
    session = card(event_session_or_404(session_id))
    return card_html(session, session.event)


@bp.route("/sessions/<int:session_id>/edit")
@allow(Role.ADMIN)
def edit_session(session_id):
    session = event_session_or_404(session_id)
    return render_template(
        "admin/_session_form.html", session=session, event=session.event, errors={}, form={}
    )


@bp.route("/sessions/<int:session_id>", methods=["POST"])
@allow(Role.ADMIN)
def update_session(session_id):
    session = event_session_or_404(session_id)
    try:
        planning.save_session(session.event, session, request.form, current_company())
    except Invalid as error:
        return invalid(
            "admin/_session_form.html", error.errors, session=session, event=session.event
        )
    session = card(event_session_or_404(session_id))
    return card_html(session, session.event)


@bp.route("/sessions/<int:session_id>", methods=["DELETE"])
@allow(Role.ADMIN)
def delete_session(session_id):
    planning.delete_session(event_session_or_404(session_id))
    return ""


# Days --------------------------------------------------------------------------------------


def organizers():
    return User.select().where(User.is_active == True).order_by(User.name)  # noqa: E712


def day_form(session, day, errors=None, form=None, status=200, confirm_reopen=False):
    context = {
        "confirm_reopen": confirm_reopen,
        "session": session,
        "day": day,
        "formats": planning.day_formats(session, current_company()),
        "organizers": organizers(),
        "errors": errors or {},
        "form": form or {},
    }
    return render_template("admin/_day_form.html", **context), status


def days_list(session):
    """After a change, the session's days are redrawn in order, in their list's place."""
    response = make_response(
        render_template(
            "admin/_days_changed.html",
            session=session_with_days(session),
            reminders=reminders_of(session),
        )
    )
    response.headers["HX-Retarget"] = f"#days-{session.id}"
    response.headers["HX-Reswap"] = "innerHTML"
    return response


@bp.route("/sessions/<int:session_id>/days/new")
@allow(Role.ADMIN)
def new_day(session_id):
    session = event_session_or_404(session_id)
    return day_form(session, planning.new_day_defaults(session, current_company()))


@bp.route("/sessions/<int:session_id>/days/place")
@allow(Role.ADMIN)
def day_place_fields(session_id):
    """The fields of the chosen format, swapped in when the format select changes."""
    session = event_session_or_404(session_id)
    day_format = request.args.get("format")
    if day_format not in planning.day_formats(session, current_company()):
        day_format = DayFormat.OFFLINE
    day = Day(session=session, format=day_format)
    return render_template(
        "admin/_day_place.html",
        session=session,
        day=day,
        organizers=organizers(),
        errors={},
        form=request.args,
    )


@bp.route("/sessions/<int:session_id>/days", methods=["POST"])
@allow(Role.ADMIN)
def create_day(session_id):
    session = event_session_or_404(session_id)
    try:
        planning.save_day(session, None, request.form, current_company())
    except Invalid as error:
        return day_form(session, Day(session=session), error.errors, request.form, 422)
    except planning.NeedsConfirmation:
        return day_form(session, Day(session=session), form=request.form, confirm_reopen=True)
    return days_list(session)


@bp.route("/days/<int:day_id>/edit")
@allow(Role.ADMIN)
def edit_day(day_id):
    day = event_day_or_404(day_id)
    return day_form(day.session, day)


def reminders_of(session):
    return REMINDERS_OF.rows(session_id=getattr(session, "id", session))


@bp.route("/days/<int:day_id>", methods=["POST"])
@allow(Role.ADMIN)
def update_day(day_id):
    """Answers with the day's row and, out of band, the due times of the reminders that
    follow it; only a day that moved past another redraws the list, to keep it in order."""
    day = event_day_or_404(day_id)
    session = day.session
    try:
        day = planning.save_day(session, day, request.form, current_company())
    except Invalid as error:
        return day_form(session, day, error.errors, request.form, 422)
    except planning.NeedsConfirmation:
        return day_form(session, day, form=request.form, confirm_reopen=True)
    if planning.moved_past_another(day):
        return days_list(session)
    return render_template(
        "admin/_day_saved.html", day=day, session=session, reminders=reminders_of(session)
    )


@bp.route("/days/<int:day_id>", methods=["DELETE"])
@allow(Role.ADMIN)
def delete_day(day_id):
    day = event_day_or_404(day_id)
    session = day.session
    planning.delete_day(day)
    return days_list(session)


@bp.route("/sessions/<int:session_id>/days")
@allow(Role.ADMIN)
def list_days(session_id):
    """The session's days as shown (used by "Cancel" on a day form)."""
    return render_template(
        "admin/_days.html", session=session_with_days(event_session_or_404(session_id))
    )


# Reminders ---------------------------------------------------------------------------------


def reminders_block(session, errors=None, form=None, editing=None, status=200):
    context = {
        "session": session,
        "reminders": list(reminders_of(session)),
        "errors": errors or {},
        "form": form or {},
        "editing": editing,
    }
    return render_template("admin/_reminders.html", **context), status


@bp.route("/sessions/<int:session_id>/reminders")
@allow(Role.ADMIN)
def list_reminders(session_id):
    editing = request.args.get("edit", type=row_id)
    return reminders_block(get_or_404(Session, session_id), editing=editing)


@bp.route("/sessions/<int:session_id>/reminders", methods=["POST"])
@allow(Role.ADMIN)
def save_reminder(session_id):
    session = get_or_404(Session, session_id)
    reminder_id = request.form.get("reminder_id", type=row_id)
    reminder = get_or_404(Reminder, reminder_id) if reminder_id else None
    if reminder is not None and reminder.session_id != session.id:
        return reminders_block(
            session, {"kind": _("Choose one of the options.")}, request.form, None, 422
        )
    try:
        reminders.save_reminder(session, reminder, request.form)
    except Invalid as error:
        return reminders_block(session, error.errors, request.form, reminder_id, 422)
    return reminders_block(session)


@bp.route("/reminders/<int:reminder_id>", methods=["DELETE"])
@allow(Role.ADMIN)
def delete_reminder(reminder_id):
    reminder = get_or_404(Reminder, reminder_id)
    session = reminder.session
    reminders.delete_reminder(reminder)
    return reminders_block(session)


# A Zoom day on the admin page ----------------------------------------------------------------


@bp.route("/days/<int:day_id>/zoom")
@allow(Role.ADMIN)
def zoom_day_state(day_id):
    """The day's conference block; the page polls it while the meeting is being made."""
    day = zoom_day_or_404(day_id)
    return render_template("zoom/_day_state.html", day=day, session=day.session)


@bp.route("/days/<int:day_id>/zoom/retry", methods=["POST"])
@allow(Role.ADMIN)
def retry_zoom_day(day_id):
    day = zoom_day_or_404(day_id)
    meeting_sync.retry(day)
    return render_template("zoom/_day_state.html", day=Day.get_by_id(day.id), session=day.session)
