"""The catalog admins keep for assessment sessions: the assessments (imported from and
exported to a JSON document) and the client organizations a session is run for."""

from flask import Blueprint, render_template, request, url_for

from accounts.access import allow
from assessments import catalog, planning
from foundation.downloads import download
from foundation.forms import Invalid, row_id
from models import Assessment, ClientOrganization, Role
from views.answers import go_to
from views.lookups import get_or_404

URL_PREFIXES = ("/admin/assessments", "/admin/client-organizations")
bp = Blueprint("assessment_catalog", __name__, url_prefix="/admin")


# Assessments -------------------------------------------------------------------------------


@bp.route("/assessments")
@allow(Role.ADMIN)
def catalog_page():
    assessments = list(Assessment.select().order_by(Assessment.id))
    return render_template("assessments/catalog.html", assessments=assessments, errors={})


@bp.route("/assessments/import", methods=["POST"])
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
    return go_to(url_for("assessment_catalog.assessment_page", assessment_id=assessment.id))


@bp.route("/assessments/<int:assessment_id>")
@allow(Role.ADMIN)
def assessment_page(assessment_id):
    assessment = get_or_404(Assessment, assessment_id)
    return render_template("assessments/assessment.html", assessment=assessment)


@bp.route("/assessments/<int:assessment_id>/export")
@allow(Role.ADMIN)
def export_assessment(assessment_id):
    assessment = get_or_404(Assessment, assessment_id)
    body = catalog.export_assessment(assessment)
    return download(body, f"assessment-{assessment.id}.json", "application/json")


# Client organizations ----------------------------------------------------------------------


def chosen_client(value):
    try:
        return row_id(value or "")
    except ValueError:
        return None


@bp.route("/client-organizations", methods=["POST"])
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
