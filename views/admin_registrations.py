"""The event's "Applications and visits" tab: who is in which session, their statuses,
registering people one by one or from a file, and the export."""

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import allow
from foundation.exports import csv_download
from foundation.forms import page_number, row_id
from foundation.i18n import current_company, pick_text
from models import (
    Event,
    ImportJob,
    Registration,
    RegistrationRole,
    Role,
    Session,
    Status,
    User,
    contains_text,
)
from sessions import booking, registration_import
from views.lookups import get_or_404

bp = Blueprint("admin_registrations", __name__, url_prefix="/admin")
PAGE_SIZE = 100


def read_filters(args, sessions):
    """Filters from the URL; a value that is not understood is named and ignored."""
    filters, problems = {"session": None, "status": None, "q": "", "page": 1}, []
    session_id = args.get("session", "")
    if session_id:
        if args.get("session", type=row_id) in {session.id for session in sessions}:
            filters["session"] = int(session_id)
        else:
            problems.append(_("Unknown session in the filter; showing all sessions."))
    status = args.get("status", "")
    if status:
        if status in Status.values():
            filters["status"] = status
        else:
            problems.append(_("Unknown status in the filter; showing all statuses."))
    filters["q"] = args.get("q", "").strip()[:100]
    filters["page"] = page_number(args.get("page", "1"))
    return filters, problems


def registrations_query(event, filters):
    query = (
        Registration.select(Registration, User, Session)
        .join(User)
        .switch(Registration)
        .join(Session)
        .where(Registration.event == event, Registration.role == RegistrationRole.PARTICIPANT)
    )
    if filters["session"]:
        query = query.where(Registration.session == filters["session"])
    if filters["status"]:
        query = query.where(Registration.status == filters["status"])
    if filters["q"]:
        text = filters["q"]
        query = query.where(contains_text(User.name, text) | contains_text(User.email, text))
    return query.order_by(Session.id, User.name)


def table_context(event, args):
    sessions = list(Session.select().where(Session.event == event).order_by(Session.id))
    filters, problems = read_filters(args, sessions)
    query = registrations_query(event, filters)
    total = query.count()
    rows = list(query.paginate(filters["page"], PAGE_SIZE))
    return {
        "event": event,
        "sessions": sessions,
        "filters": filters,
        "problems": problems,
        "registrations": rows,
        "total": total,
        "pages": max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "admin_statuses": booking.ADMIN_STATUSES,
    }


@bp.route("/events/<int:event_id>/registrations")
@allow(Role.ADMIN)
def registrations(event_id):
    event = get_or_404(Event, event_id)
    context = table_context(event, request.args)
    if request.htmx and request.htmx.target == "registrations-table":
        return render_template("admin/_registrations_table.html", **context)
    members = User.select(User.email, User.name).where(User.is_active == True).order_by(User.name)  # noqa: E712
    return render_template(
        "admin/registrations.html", members=members, errors={}, form={}, **context
    )


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
        admin_statuses=booking.ADMIN_STATUSES,
    )
    return make_response(row, 422 if error else 200)


@bp.route("/events/<int:event_id>/registrations", methods=["POST"])
@allow(Role.ADMIN)
def register_user(event_id):
    event = get_or_404(Event, event_id)
    email = (request.form.get("email") or "").strip().lower()
    session = Session.get_or_none(
        Session.id == request.form.get("session_id", type=row_id), Session.event == event
    )
    user = User.get_or_none(User.email == email, User.is_active == True)  # noqa: E712
    errors = {}
    if user is None:
        errors["email"] = _("No active user has this email.")
    if session is None:
        errors["session_id"] = _("Choose one of the options.")
    if not errors:
        try:
            booking.register_user(user, session)
        except booking.BookingError as refusal:
            errors["session_id"] = refusal.message
    if errors:
        form = render_template(
            "admin/_register_form.html",
            event=event,
            sessions=list(event.sessions),
            errors=errors,
            form=request.form,
        )
        response = make_response(form, 422)
        response.headers["HX-Retarget"] = "#register-form"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    table = render_template("admin/_registrations_table.html", **table_context(event, {}))
    message = _(
        "%(name)s is registered for %(session)s.", name=user.name, session=pick_text(session.name)
    )
    return make_response(table, trigger={"toast": message})


@bp.route("/events/<int:event_id>/registrations.csv")
@allow(Role.ADMIN)
def export(event_id):
    event = get_or_404(Event, event_id)
    sessions = list(Session.select().where(Session.event == event))
    filters, _problems = read_filters(request.args, sessions)

    def rows():
        yield [_("Name"), _("Email"), _("Session"), _("Status"), _("Registered at (UTC)")]
        for registration in registrations_query(event, filters).iterator():
            yield [
                registration.user.name,
                registration.user.email,
                pick_text(registration.session.name),
                Status.label(registration.status),
                registration.created_at.strftime("%Y-%m-%d %H:%M"),
            ]

    return csv_download(rows(), f"registrations-event-{event.id}.csv")


# Import from a file ------------------------------------------------------------------------


@bp.route("/events/<int:event_id>/imports", methods=["POST"])
@allow(Role.ADMIN)
def upload(event_id):
    event = get_or_404(Event, event_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template(
            "admin/_import_form.html", event=event, problem=_("Choose a file to upload.")
        ), 422
    try:
        job = registration_import.start_import(
            event, g.user, upload.filename, upload.read(), current_company()
        )
    except registration_import.FileProblem as problem:
        return render_template("admin/_import_form.html", event=event, problem=problem.message), 422
    return render_import(job)


def render_import(job):
    return render_template(
        "admin/_import.html",
        job=job,
        counts=registration_import.summary(job),
        outcomes=registration_import.Outcome,
    )


@bp.route("/imports/<int:job_id>/apply", methods=["POST"])
@allow(Role.ADMIN)
def apply_import(job_id):
    job = get_or_404(ImportJob, job_id)
    if registration_import.claim(job.id):
        if job.total > registration_import.INLINE_ROWS:
            registration_import.apply_import(job.id)
        else:
            registration_import.apply(job.id)
    return render_import(ImportJob.get_by_id(job.id))


@bp.route("/imports/<int:job_id>")
@allow(Role.ADMIN)
def import_progress(job_id):
    return render_import(get_or_404(ImportJob, job_id))


@bp.route("/imports/<int:job_id>/result.csv")
@allow(Role.ADMIN)
def import_result(job_id):
    job = get_or_404(ImportJob, job_id)
    return csv_download(registration_import.result_rows(job), f"import-{job.id}-result.csv")
