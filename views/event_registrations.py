"""The event's "Applications and visits" tab: who is in which session, their statuses,
registering people one by one or from a file, statuses from Zoom attendance, and the
export."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from htmx_flask import make_response

from accounts.access import allow
from foundation.exports import csv_download
from foundation.forms import Invalid, row_id, row_ids
from foundation.i18n import current_company, pick_text
from imports import lifecycle
from models import (
    Event,
    NaturalOrder,
    Registration,
    RegistrationRole,
    Role,
    Session,
    Status,
    UploadKind,
    User,
    contains_text,
)
from sessions import attendance, booking, personal_schedule, registration_import
from views import clash_warnings
from views.listing import Filter, SortKey, list_response, read_listing, wants_table
from views.lookups import get_or_404

URL_PREFIXES = (
    "/admin/events/<event_id>/registrations",
    "/admin/events/<event_id>/imports",
    "/admin/registrations",
    "/admin/imports",
    "/admin/members",
)
bp = Blueprint("event_registrations", __name__, url_prefix="/admin")

SORTS = {
    "session": SortKey(Session.id, (NaturalOrder(User.name), Registration.id)),
    "name": SortKey(NaturalOrder(User.name), (Registration.id,)),
    "email": SortKey(NaturalOrder(User.email), (Registration.id,)),
    "status": SortKey(Registration.status, (NaturalOrder(User.name), Registration.id)),
    "date": SortKey(Registration.created_at, (Registration.id,), first_dir="desc"),
}
# A bulk action names what it does in its value: a status to set, "remove" or "export".
REMOVE, EXPORT = "remove", "export"
MAX_SELECTED = 10_000  # rows one bulk action may touch: a whole imported file


def event_listing(event, sessions, args=None):
    filters = (
        Filter(
            "session",
            tuple(str(session.id) for session in sessions),
            _l("Unknown session in the filter; showing all sessions."),
        ),
        Filter(
            "status",
            tuple(Status.values()),
            _l("Unknown status in the filter; showing all statuses."),
        ),
    )
    return read_listing(
        "event_registrations.registrations", SORTS, "session", filters, args, event_id=event.id
    )


def registrations_matching(event, listing):
    query = (
        Registration.select(Registration, User, Session)
        .join(User)
        .switch(Registration)
        .join(Session)
        .where(Registration.event == event, Registration.role == RegistrationRole.PARTICIPANT)
    )
    if listing.filters["session"]:
        query = query.where(Registration.session == int(listing.filters["session"]))
    if listing.filters["status"]:
        query = query.where(Registration.status == listing.filters["status"])
    if listing.q:
        text = listing.q
        query = query.where(contains_text(User.name, text) | contains_text(User.email, text))
    return query


def event_sessions(event):
    return list(Session.select().where(Session.event == event).order_by(Session.id))


def table_context(event, listing=None, sessions=None, **extra):
    """What the table shows: one page of the list its URL describes."""
    sessions = sessions if sessions is not None else event_sessions(event)
    listing = listing or event_listing(event, sessions)
    registrations = listing.fetch(registrations_matching(event, listing))
    return {
        "event": event,
        "sessions": sessions,
        "session_choices": [(str(session.id), pick_text(session.name)) for session in sessions],
        "listing": listing,
        "registrations": registrations,
        "admin_statuses": booking.ADMIN_STATUSES,
        "table_only": wants_table("registrations-table"),
        "selected": set(),
        **extra,
    }


@bp.route("/events/<int:event_id>/registrations")
@allow(Role.ADMIN)
def registrations(event_id):
    """One page of the event's registrations as the URL says (session, status, search, sort,
    page); an htmx request from the list itself gets the table only."""
    event = get_or_404(Event, event_id)
    context = table_context(event)
    if context["table_only"]:
        page = render_template("admin/_registrations_table.html", **context)
    else:
        page = render_template("admin/registrations.html", errors={}, form={}, **context)
    return list_response(context["listing"], page, context["table_only"])


# Bulk actions --------------------------------------------------------------------------------


def chosen_ids(event, listing, form):
    """The registrations a bulk action is for: the ticked boxes, or every registration the
    list's filters match when "all matching" is ticked; always of this event only."""
    matching = registrations_matching(event, listing)
    if form.get("all_matching") != "1":
        ticked = row_ids(form.getlist("registration_ids")[:MAX_SELECTED])
        matching = matching.where(Registration.id.in_(ticked))
    return [row.id for row in matching.select(Registration.id).limit(MAX_SELECTED)]


def bulk_confirmation(action, count):
    if action == REMOVE:
        return ngettext(
            "Remove %(num)d registration? Seats it holds go to the waiting list.",
            "Remove %(num)d registrations? Seats they hold go to the waiting list.",
            count,
        )
    return ngettext(
        'Set the status of %(num)d registration to "%(status)s"?',
        'Set the status of %(num)d registrations to "%(status)s"?',
        count,
        status=Status.label(action),
    )


def apply_bulk(action, ids):
    """Carry out a confirmed action; the toast it answers with."""
    if action == REMOVE:
        removed = booking.remove_registrations(ids)
        return ngettext("%(num)d registration removed.", "%(num)d registrations removed.", removed)
    changed = booking.set_statuses(ids, action)
    return ngettext("%(num)d status changed.", "%(num)d statuses changed.", changed)


@bp.route("/events/<int:event_id>/registrations/bulk", methods=["POST"])
@allow(Role.ADMIN)
def bulk(event_id):
    """Select rows (or all matching) → set a status, remove, or export them. A change asks
    once, naming how many it touches, then happens in one transaction: all or nothing."""
    event = get_or_404(Event, event_id)
    sessions = event_sessions(event)
    listing = event_listing(event, sessions)
    action = request.form.get("action", "")
    ids = chosen_ids(event, listing, request.form)
    if action == EXPORT and ids:
        url = url_for("event_registrations.export", event_id=event.id, ids=",".join(map(str, ids)))
        if request.form.get("all_matching") == "1":
            url = url_for("event_registrations.export", event_id=event.id, **listing.params())
        return redirect_response(url)
    problem = None
    if not ids:
        problem = _("Select at least one registration.")
    elif action != REMOVE and action not in booking.ADMIN_STATUSES:
        problem = _("Choose what to do with the selected registrations.")
    elif request.form.get("confirmed") != "1":
        question = bulk_confirmation(action, len(ids))
        return bulk_answer(event, listing, sessions, ids, confirm=question)
    else:
        try:
            toast = apply_bulk(action, ids)
        except booking.BookingError as refusal:
            problem = refusal.message
        else:
            return bulk_answer(event, listing, sessions, trigger={"toast": toast})
    return bulk_answer(event, listing, sessions, ids, problem=problem, status=422)


def bulk_answer(event, listing, sessions, ids=(), status=200, trigger=None, **extra):
    """The list as it was asked for, with the selection kept while a question is open."""
    context = table_context(event, listing, sessions, selected=set(ids), **extra)
    context["all_matching"] = request.form.get("all_matching") == "1" and bool(ids)
    context["action"] = request.form.get("action", "")
    if request.htmx:
        page = render_template("admin/_registrations_table.html", **context)
    else:
        page = render_template("admin/registrations.html", errors={}, form={}, **context)
    return make_response(page, status, trigger=trigger)


def redirect_response(url):
    """A download asked for by htmx is fetched by the browser itself."""
    if request.htmx:
        return make_response("", redirect=url)
    return redirect(url, 303)


@bp.route("/registrations/<int:registration_id>/status", methods=["POST"])
@allow(Role.ADMIN)
def change_status(registration_id):
    registration = get_or_404(Registration, registration_id)
    error = None
    try:
        booking.set_status(registration, request.form.get("status", ""))
    except booking.BookingError as refusal:
        error = refusal.message
    registration = Registration.get_by_id(registration_id)
    row = render_template(
        "admin/_registration_row.html",
        registration=registration,
        error=error,
        selected=(),
        admin_statuses=booking.ADMIN_STATUSES,
    )
    return make_response(row, 422 if error else 200)


@bp.route("/members/suggestions")
@allow(Role.ADMIN)
def member_suggestions():
    """Up to ten active people whose name or email holds what was typed, as <option>s of
    the email field's datalist: type-ahead without sending every member with the page."""
    people = active_people_matching(" ".join(request.args.get("email", "").split())[:100])
    return render_template("admin/_member_suggestions.html", people=people)


def active_people_matching(text):
    if len(text) < 2:
        return []
    return (
        User.select(User.email, User.name)
        .where(
            User.is_active == True,  # noqa: E712
            contains_text(User.name, text) | contains_text(User.email, text),
        )
        .order_by(NaturalOrder(User.name))
        .limit(10)
    )


@bp.route("/events/<int:event_id>/registrations", methods=["POST"])
@allow(Role.ADMIN)
def register_user(event_id):
    event = get_or_404(Event, event_id)
    try:
        user, session = register_from_form(event, request.form)
    except Invalid as error:
        form = render_template(
            "admin/_register_form.html",
            event=event,
            sessions=list(event.sessions),
            errors=error.errors,
            form=request.form,
        )
        response = make_response(form, 422)
        response.headers["HX-Retarget"] = "#register-form"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    listing = event_listing(event, list(event.sessions), args={})
    table = render_template("admin/_registrations_table.html", **table_context(event, listing))
    message = _(
        "%(name)s is registered for %(session)s.", name=user.name, session=pick_text(session.name)
    )
    clashes = personal_schedule.clashes_with_session(user, session)
    if clashes:  # information for the admin, not a refusal
        note = clash_warnings.someone_elses_clash_text(user.name, clashes)
        message = _("%(done)s Note: %(clash)s", done=message, clash=note)
    return make_response(table, trigger={"toast": message})


def register_from_form(event, form):
    """Register the active person whose email the form names for the chosen session of
    `event`: (user, session), or Invalid with the problems by field."""
    email = (form.get("email") or "").strip().lower()
    session = Session.get_or_none(
        Session.id == form.get("session_id", type=row_id), Session.event == event
    )
    user = User.get_or_none(User.email == email, User.is_active == True)  # noqa: E712
    errors = {}
    if user is None:
        errors["email"] = _("No active user has this email.")
    if session is None:
        errors["session_id"] = _("Choose one of the options.")
    if errors:
        raise Invalid(errors)
    try:
        booking.register_user(user, session)
    except booking.BookingError as refusal:
        raise Invalid({"session_id": refusal.message}) from refusal
    return user, session


@bp.route("/events/<int:event_id>/registrations.csv")
@allow(Role.ADMIN)
def export(event_id):
    """The list's matches as CSV, or the registrations named in `ids` (an export of
    selected rows)."""
    event = get_or_404(Event, event_id)
    listing = event_listing(event, event_sessions(event))
    matching = registrations_matching(event, listing).order_by(Session.id, User.name)
    if "ids" in request.args:
        ids = row_ids(request.args["ids"].split(",")[:MAX_SELECTED])
        matching = matching.where(Registration.id.in_(ids))

    def rows():
        yield [_("Name"), _("Email"), _("Session"), _("Status"), _("Registered at (UTC)")]
        for registration in matching.iterator():
            yield [
                registration.user.name,
                registration.user.email,
                pick_text(registration.session.name),
                Status.label(registration.status),
                registration.created_at.strftime("%Y-%m-%d %H:%M"),
            ]

    return csv_download(rows(), f"registrations-event-{event.id}.csv")


# Attendance from Zoom ----------------------------------------------------------------------


@bp.app_template_global()
def zoom_attendance_of(event_id):
    """The event's Zoom attendance per user, once per request (None: no Zoom days)."""
    cache = g.setdefault("zoom_attendance", {})
    if event_id not in cache:
        event = Event.get_or_none(Event.id == event_id)
        shown = event is not None and attendance.has_zoom_days(event)
        cache[event_id] = attendance.event_attendance(event) if shown else None
    return cache[event_id]


@bp.route("/events/<int:event_id>/registrations/zoom-attendance", methods=["POST"])
@allow(Role.ADMIN)
def apply_zoom_attendance(event_id):
    """One click: participated or missed from Zoom attendance; answers with the table and,
    out of band, the panel."""
    event = get_or_404(Event, event_id)
    changed = attendance.apply_event_attendance(event)
    g.pop("zoom_attendance", None)
    context = table_context(event)  # the list as its address says (the query string)
    body = render_template("admin/_registrations_table.html", **context) + render_template(
        "zoom/_attendance_panel.html", event=event, oob=True
    )
    message = ngettext("%(num)d status changed.", "%(num)d statuses changed.", changed)
    return make_response(body, 200, trigger={"toast": message})


# Import from a file ------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/imports", methods=["POST"])
@allow(Role.ADMIN)
def upload(event_id):
    event = get_or_404(Event, event_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return refused_file(event, _("Choose a file to upload."))
    try:
        job = registration_import.start_import(
            event, g.user, upload.filename, upload.read(), current_company()
        )
    except registration_import.FileProblem as problem:
        return refused_file(event, problem.message)
    return render_import(job)


def refused_file(event, problem):
    """A file that cannot be read is named beside the file field, not in the preview."""
    form = render_template("admin/_import_form.html", event=event, problem=problem)
    return make_response(form, 422, retarget="#import-area", reswap="innerHTML")


@bp.route("/events/<int:event_id>/imports/sample.csv")
@allow(Role.ADMIN)
def import_sample(event_id):
    """A file to start from: the two columns, and a row for each of the event's sessions."""
    event = get_or_404(Event, event_id)

    def rows():
        yield ["email", "session"]
        for number, session in enumerate(event_sessions(event)[:5], start=1):
            yield [f"person{number}@example.org", pick_text(session.name)]

    return csv_download(rows(), f"registrations-sample-event-{event.id}.csv")


def render_import(job):
    return render_template(
        "admin/_import.html",
        upload=job,
        counts=lifecycle.summary(job),
        outcomes=registration_import.Outcome,
    )


def import_or_404(job_id):
    return lifecycle.find(UploadKind.REGISTRATIONS, job_id) or abort(404)


@bp.route("/imports/<int:job_id>/apply", methods=["POST"])
@allow(Role.ADMIN)
def apply_import(job_id):
    return render_import(lifecycle.apply_previewed(import_or_404(job_id)))


@bp.route("/imports/<int:job_id>")
@allow(Role.ADMIN)
def import_progress(job_id):
    return render_import(import_or_404(job_id))


@bp.route("/imports/<int:job_id>/result.csv")
@allow(Role.ADMIN)
def import_result(job_id):
    job = import_or_404(job_id)
    return csv_download(registration_import.result_rows(job), f"import-{job.id}-result.csv")
