"""Assessment sessions for admins: the assessments catalog (import, export), creating and
editing a session with its key dates, and its Registrations tab. The participant's and
rater's pages and the report are blueprints of their own, registered under this one."""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from htmx_flask import make_response

from accounts.access import allow
from assessments import catalog, lifecycle, participant_import, planning, surveys
from foundation.downloads import download
from foundation.exports import csv_download
from foundation.forms import Invalid, row_id
from foundation.i18n import current_company
from models import (
    Assessment,
    AssessmentImport,
    AssessmentParticipant,
    AssessmentReminder,
    AssessmentSession,
    ClientOrganization,
    Rater,
    RaterRelationship,
    Registration,
    Role,
    Session,
    SessionKind,
    utcnow,
)
from views import assessment_report, assessment_surveys
from views.lookups import get_or_404

bp = Blueprint("assessments", __name__, cli_group="assessments")
bp.register_blueprint(assessment_surveys.bp)
bp.register_blueprint(assessment_report.bp)
assessment_report.register_commands(bp)


@bp.app_context_processor
def assessment_names():
    return {"RaterRelationship": RaterRelationship}


def go_to(url):
    return make_response(redirect=url) if request.htmx else redirect(url, 303)


# Catalog ------------------------------------------------------------------------------------


@bp.route("/admin/assessments")
@allow(Role.ADMIN)
def catalog_page():
    assessments = list(Assessment.select().order_by(Assessment.id))
    return render_template("assessments/catalog.html", assessments=assessments, errors={})


@bp.route("/admin/assessments/import", methods=["POST"])
@allow(Role.ADMIN)
def import_assessment():
    upload = request.files.get("file")
    raw = ""
    if upload is not None and upload.filename:
        try:
            raw = upload.read(catalog.MAX_DOCUMENT + 1).decode("utf-8-sig")
        except UnicodeDecodeError:
            raw = "\x00"
    try:
        assessment = catalog.import_assessment(raw)
    except Invalid as error:
        assessments = list(Assessment.select().order_by(Assessment.id))
        page = render_template(
            "assessments/catalog.html", assessments=assessments, errors=error.errors
        )
        return page, 422
    return go_to(url_for("assessments.assessment_page", assessment_id=assessment.id))


@bp.route("/admin/assessments/<int:assessment_id>")
@allow(Role.ADMIN)
def assessment_page(assessment_id):
    assessment = get_or_404(Assessment, assessment_id)
    return render_template("assessments/assessment.html", assessment=assessment)


@bp.route("/admin/assessments/<int:assessment_id>/export")
@allow(Role.ADMIN)
def export_assessment(assessment_id):
    assessment = get_or_404(Assessment, assessment_id)
    body = catalog.export_assessment(assessment)
    return download(body, f"assessment-{assessment.id}.json", "application/json")


# Sessions -----------------------------------------------------------------------------------


def detail_or_404(session_id):
    detail = AssessmentSession.get_or_none(AssessmentSession.session == session_id)
    if detail is None:
        abort(404)
    return detail


def form_context(detail=None, form=None, errors=None):
    form = form if form is not None else {}
    dates = {}
    if form:
        _reader, dates = planning.read_dates(form)
    elif detail is not None:
        dates = {
            "session_on": detail.session_on,
            "invitation_on": detail.invitation_on,
            "completion_on": detail.completion_on,
        } | {f"reminder_{row.number}": row.due_on for row in detail.reminders}
    return {
        "detail": detail,
        "form": form,
        "values": dates,
        "errors": errors or {},
        "assessments": list(Assessment.select().order_by(Assessment.id)),
        "clients": list(ClientOrganization.select().order_by(ClientOrganization.name)),
        "facilitators": planning.facilitators(),
        "guidance": planning.guidance(dates),
        "zone": (detail.session.timezone if detail else current_company().timezone),
    }


@bp.route("/admin/assessment-sessions")
@allow(Role.ADMIN)
def sessions_page():
    details = list(
        AssessmentSession.select(AssessmentSession, Session)
        .join(Session)
        .where(Session.kind == SessionKind.ASSESSMENT)
        .order_by(AssessmentSession.session_on.desc())
    )
    return render_template("assessments/sessions.html", details=details)


@bp.route("/admin/assessment-sessions/new")
@allow(Role.ADMIN)
def new_session():
    return render_template("assessments/session_new.html", **form_context())


@bp.route("/admin/assessment-sessions", methods=["POST"])
@allow(Role.ADMIN)
def create_session():
    try:
        detail = planning.save_session(None, request.form)
    except Invalid as error:
        context = form_context(None, request.form, error.errors)
        template = (
            "assessments/_session_form.html" if request.htmx else "assessments/session_new.html"
        )
        return render_template(template, **context), 422
    return go_to(url_for("assessments.registrations", session_id=detail.session_id))


@bp.route("/admin/assessment-sessions/guidance", methods=["POST"])
@allow(Role.ADMIN)
def guidance():
    _reader, dates = planning.read_dates(request.form)
    return render_template("assessments/_guidance.html", guidance=planning.guidance(dates))


def lifecycle_context(detail, confirm=None, errors=None):
    return {
        "cancelled": lifecycle.is_cancelled(detail),
        "can_cancel": lifecycle.can_cancel(detail),
        "can_delete": lifecycle.can_delete(detail),
        "confirm": confirm,
        "lifecycle_errors": errors or {},
    }


@bp.route("/admin/assessment-sessions/<int:session_id>")
@allow(Role.ADMIN)
def session_page(session_id):
    detail = detail_or_404(session_id)
    return render_template(
        "assessments/session.html",
        active="details",
        saved=False,
        **form_context(detail),
        **lifecycle_context(detail),
    )


@bp.route("/admin/assessment-sessions/<int:session_id>", methods=["POST"])
@allow(Role.ADMIN)
def update_session(session_id):
    detail = detail_or_404(session_id)
    try:
        detail = planning.save_session(detail, request.form)
    except Invalid as error:
        context = form_context(detail_or_404(session_id), request.form, error.errors)
        if request.htmx:
            return render_template("assessments/_session_form.html", **context), 422
        return render_template(
            "assessments/session.html",
            active="details",
            saved=False,
            **context,
            **lifecycle_context(detail),
        ), 422
    context = form_context(detail_or_404(session_id))
    if request.htmx:
        return make_response(
            render_template("assessments/_session_form.html", saved=True, **context),
            trigger={"toast": _("Saved.")},
        )
    return go_to(url_for("assessments.session_page", session_id=session_id))


def chosen_client(value):
    try:
        return row_id(value or "")
    except ValueError:
        return None


@bp.route("/admin/client-organizations", methods=["POST"])
@allow(Role.ADMIN)
def add_client():
    errors, chosen = {}, None
    try:
        chosen = planning.add_client(request.form)
    except Invalid as error:
        errors = error.errors
    clients = list(ClientOrganization.select().order_by(ClientOrganization.name))
    html = render_template(
        "assessments/_client_field.html",
        clients=clients,
        chosen=chosen.id if chosen else chosen_client(request.form.get("client")),
        errors=errors,
    )
    return html, 422 if errors else 200


# Registrations tab --------------------------------------------------------------------------


def registrations_context(detail, errors=None, form=None):
    rows = planning.participants(detail)
    raters = {}
    for rater in Rater.select().where(Rater.participant.in_([row.id for row in rows])):
        raters.setdefault(rater.participant_id, []).append(rater)
    return {
        "detail": detail,
        "participants": rows,
        "raters": raters,
        "progress": surveys.progress(detail, rows),
        "errors": errors or {},
        "form": form or {},
        "now": utcnow(),
        "reminders": list(detail.reminders.order_by(AssessmentReminder.number)),
        "active": "registrations",
    }


@bp.route("/admin/assessment-sessions/<int:session_id>/registrations")
@allow(Role.ADMIN)
def registrations(session_id):
    detail = detail_or_404(session_id)
    return render_template("assessments/registrations.html", **registrations_context(detail))


@bp.route("/admin/assessment-sessions/<int:session_id>/people")
@allow(Role.ADMIN)
def search_people(session_id):
    detail = detail_or_404(session_id)
    people = planning.search_people(detail, request.args.get("query", ""))
    return render_template("assessments/_people_results.html", people=people)


@bp.route("/admin/assessment-sessions/<int:session_id>/participants", methods=["POST"])
@allow(Role.ADMIN)
def add_participant(session_id):
    detail = detail_or_404(session_id)
    try:
        planning.add_participant(detail, request.form)
    except Invalid as error:
        context = registrations_context(detail, error.errors, request.form)
        template = (
            "assessments/_registrations.html" if request.htmx else "assessments/registrations.html"
        )
        return render_template(template, **context), 422
    if request.htmx:
        return render_template("assessments/_registrations.html", **registrations_context(detail))
    return go_to(url_for("assessments.registrations", session_id=session_id))


@bp.route(
    "/admin/assessment-sessions/<int:session_id>/participants/<int:participant_id>/remove",
    methods=["POST"],
)
@allow(Role.ADMIN)
def remove_participant(session_id, participant_id):
    detail = detail_or_404(session_id)
    participant = (
        AssessmentParticipant.select()
        .join(Registration)
        .where(AssessmentParticipant.id == participant_id, Registration.session == session_id)
        .first()
    )
    if participant is None:
        abort(404)
    errors = {}
    try:
        planning.remove_participant(detail, participant)
    except Invalid as error:
        errors = error.errors
    context = registrations_context(detail, errors)
    if request.htmx:
        return render_template("assessments/_registrations.html", **context), 422 if errors else 200
    if errors:
        return render_template("assessments/registrations.html", **context), 422
    return go_to(url_for("assessments.registrations", session_id=session_id))


@bp.route(
    "/admin/assessment-sessions/<int:session_id>/raters/<int:rater_id>/revoke", methods=["POST"]
)
@allow(Role.ADMIN)
def revoke_rater_link(session_id, rater_id):
    """An admin stops a rater's link (the participant may send a new one)."""
    detail = detail_or_404(session_id)
    rater = (
        Rater.select()
        .join(AssessmentParticipant)
        .join(Registration)
        .where(Rater.id == rater_id, Registration.session == session_id)
        .first()
    )
    if rater is None:
        abort(404)
    surveys.revoke_link(rater)
    if request.htmx:
        return render_template("assessments/_registrations.html", **registrations_context(detail))
    return go_to(url_for("assessments.registrations", session_id=session_id))


# Participants from a file ------------------------------------------------------------------


def upload_or_404(detail, upload_id):
    upload = AssessmentImport.get_or_none(
        AssessmentImport.id == upload_id, AssessmentImport.assessment_session == detail
    )
    if upload is None:
        abort(404)
    return upload


def preview_html(detail, upload, **extra):
    return render_template(
        "assessments/_import.html",
        detail=detail,
        upload=upload,
        counts=participant_import.summary(upload),
        outcomes=participant_import.Outcome,
        shown=participant_import.PREVIEW_SHOWN,
        **extra,
    )


def full_page(detail, status=200, upload=None, import_problem=None):
    context = registrations_context(detail) | {"upload": upload, "import_problem": import_problem}
    if upload is not None:
        context |= {
            "counts": participant_import.summary(upload),
            "outcomes": participant_import.Outcome,
            "shown": participant_import.PREVIEW_SHOWN,
        }
    return render_template("assessments/registrations.html", **context), status


@bp.route("/admin/assessment-sessions/<int:session_id>/imports", methods=["POST"])
@allow(Role.ADMIN)
def import_upload(session_id):
    detail = detail_or_404(session_id)
    file = request.files.get("file")
    try:
        if file is None or not file.filename:
            raise participant_import.FileProblem(_("Choose a file to upload."))
        upload = participant_import.start_import(
            detail, g.user, file.filename, file.read(), current_company()
        )
    except participant_import.FileProblem as problem:
        if not request.htmx:
            return full_page(detail, 422, import_problem=problem.message)
        form = render_template(
            "assessments/_import_form.html", detail=detail, import_problem=problem.message
        )
        return make_response(form, 422, retarget="#import-area", reswap="innerHTML")
    if not request.htmx:
        return full_page(detail, upload=upload)
    return preview_html(detail, upload)


@bp.route(
    "/admin/assessment-sessions/<int:session_id>/imports/<int:upload_id>/apply",
    methods=["POST"],
)
@allow(Role.ADMIN)
def import_apply(session_id, upload_id):
    detail = detail_or_404(session_id)
    upload = upload_or_404(detail, upload_id)
    if participant_import.claim(upload.id):
        if participant_import.runs_in_background(upload):
            participant_import.apply_in_background(upload.id)
        else:
            participant_import.apply(upload.id)
    return import_state(detail, AssessmentImport.get_by_id(upload.id))


@bp.route("/admin/assessment-sessions/<int:session_id>/imports/<int:upload_id>")
@allow(Role.ADMIN)
def import_progress(session_id, upload_id):
    detail = detail_or_404(session_id)
    return import_state(detail, upload_or_404(detail, upload_id))


def import_state(detail, upload):
    """The preview, the progress bar (polled) or the result; once done, the participants
    table beside it shows the people just added."""
    if not request.htmx:
        return full_page(detail, upload=upload)
    html = preview_html(detail, upload)
    if upload.status == "done":
        html += render_template(
            "assessments/_registrations.html", oob=True, **registrations_context(detail)
        )
    return html


@bp.route("/admin/assessment-sessions/<int:session_id>/imports/<int:upload_id>/result.csv")
@allow(Role.ADMIN)
def import_result(session_id, upload_id):
    detail = detail_or_404(session_id)
    upload = upload_or_404(detail, upload_id)
    return csv_download(
        participant_import.result_rows(upload), f"assessment-participants-{upload.id}-result.csv"
    )


@bp.route("/admin/assessment-sessions/<int:session_id>/imports/sample.csv")
@allow(Role.ADMIN)
def import_sample(session_id):
    detail_or_404(session_id)
    rows = [["email", "name"], ["person1@example.org", "Person One"]]
    return csv_download(rows, "assessment-participants-sample.csv")


# Cancel or delete ----------------------------------------------------------------------------


def lifecycle_answer(detail, confirm=None, errors=None):
    """The card with the Cancel and Delete buttons; `confirm` adds the modal that asks."""
    context = lifecycle_context(detail, confirm, errors)
    status = 422 if errors else 200
    if request.htmx:
        return render_template("assessments/_lifecycle.html", detail=detail, **context), status
    page = render_template(
        "assessments/session.html", active="details", saved=False, **form_context(detail), **context
    )
    return page, status


@bp.route("/admin/assessment-sessions/<int:session_id>/cancel", methods=["POST"])
@allow(Role.ADMIN)
def cancel_session(session_id):
    detail = detail_or_404(session_id)
    if request.form.get("confirmed") != "1":
        return lifecycle_answer(detail, confirm="cancel")
    try:
        told = lifecycle.cancel(detail)
    except Invalid as error:
        return lifecycle_answer(detail, errors=error.errors)
    message = ngettext(
        "The session is cancelled; %(num)d person will be told.",
        "The session is cancelled; %(num)d people will be told.",
        told,
    )
    url = url_for("assessments.session_page", session_id=session_id)
    if request.htmx:
        return make_response(redirect=url, trigger={"toast": message})
    return redirect(url, 303)


@bp.route("/admin/assessment-sessions/<int:session_id>/delete", methods=["POST"])
@allow(Role.ADMIN)
def delete_session(session_id):
    detail = detail_or_404(session_id)
    if request.form.get("confirmed") != "1":
        return lifecycle_answer(detail, confirm="delete")
    try:
        lifecycle.delete(detail)
    except Invalid as error:
        return lifecycle_answer(detail, errors=error.errors)
    return go_to(url_for("assessments.sessions_page"))
