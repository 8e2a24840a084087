"""Bulk session upload: the screen (sample CSV, Check, Upload, progress, result) and the
`flask --app app sessions upload` command, both through `sessions.bulk_upload`."""

import sys
from pathlib import Path

import click
from flask import Blueprint, abort, g, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import allow
from foundation.exports import csv_download
from foundation.i18n import current_company, locale_code
from imports import lifecycle
from models import Role, Upload, UploadKind, User, db
from sessions import bulk_upload

URL_PREFIXES = ("/bulk-upload",)
bp = Blueprint("bulk_upload", __name__, cli_group="sessions")
SHOWN_ROWS = 100


def require_permission():
    if not bulk_upload.may_upload(g.user, current_company()):
        abort(403)


def get_upload_or_404(upload_id):
    """The uploader's own upload (any upload for an admin)."""
    upload = lifecycle.find(UploadKind.SESSIONS, upload_id) or abort(404)
    if upload.uploaded_by_id != g.user.id and not g.user.is_admin:
        abort(404)
    return upload


@bp.route("/bulk-upload")
@allow(Role.HOST)
def page():
    require_permission()
    uploads = bulk_upload.uploads_of(g.user)
    current = uploads[0] if uploads else None
    return render_template(
        "bulk_upload/page.html",
        problem=None,
        uploads=uploads,
        **_result_context(current and Upload.get_by_id(current.id)),
    )


@bp.route("/bulk-upload/sample.csv")
@allow(Role.HOST)
def sample():
    require_permission()
    rows = bulk_upload.sample_rows(g.user, current_company())
    return csv_download(rows, "sessions-sample.csv")


@bp.route("/bulk-upload", methods=["POST"])
@allow(Role.HOST)
def upload():
    require_permission()
    is_check = request.form.get("mode") != "apply"
    file = request.files.get("file")
    if file is None or not file.filename:
        return _form_problem(_("Choose a CSV file to check or upload."))
    try:
        started = bulk_upload.start_upload(
            g.user, file.filename, file.read(), current_company(), is_check, locale_code()
        )
    except bulk_upload.FileProblem as problem:
        return _form_problem(problem.message)
    done = lifecycle.run(started)
    response = make_response(render_template("bulk_upload/_result.html", **_result_context(done)))
    response.headers["HX-Push-Url"] = url_for("bulk_upload.show", upload_id=done.id)
    return response


def _form_problem(message):
    response = make_response(render_template("bulk_upload/_problem.html", problem=message), 422)
    response.headers["HX-Retarget"] = "#bulk-problem"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def _result_context(upload):
    only_invalid = request.args.get("show") == "invalid"
    rows = (
        list(bulk_upload.result_rows(upload, only_invalid, SHOWN_ROWS))
        if upload is not None and not upload.is_working
        else []
    )
    return {
        "upload": upload,
        "rows": rows,
        "only_invalid": only_invalid,
        "shown_rows": SHOWN_ROWS,
        "statuses": bulk_upload.RowStatus,
        "format_number": format_decimal,
    }


@bp.route("/bulk-upload/<int:upload_id>")
@allow(Role.HOST)
def show(upload_id):
    upload = get_upload_or_404(upload_id)
    context = _result_context(upload)
    if request.htmx:
        return render_template("bulk_upload/_result.html", **context)
    require_permission()
    return render_template(
        "bulk_upload/page.html", problem=None, uploads=bulk_upload.uploads_of(g.user), **context
    )


@bp.route("/bulk-upload/<int:upload_id>/result.csv")
@allow(Role.HOST)
def result(upload_id):
    upload = get_upload_or_404(upload_id)
    if upload.is_working:
        abort(404)
    return csv_download(
        (row for row in bulk_upload.result_table(upload)), bulk_upload.result_filename(upload)
    )


# The command -------------------------------------------------------------------------------


@bp.cli.command("upload")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "email", required=True, help="The uploader: an admin or a host's email.")
@click.option("--check", is_flag=True, help="Check every row and write nothing (a dry run).")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the result CSV here."
)
def upload_command(file, email, check, out):
    """Create, edit and delete mentoring sessions from FILE, as the screen does; prints
    published=N valid=N deleted=N invalid=N."""
    with db.connection_context():
        uploader = User.get_or_none(User.email == email.strip().lower(), User.is_active == True)  # noqa: E712
        company = current_company()
        if uploader is None or not bulk_upload.may_upload(uploader, company):
            click.echo(
                f"{email}: no active admin or host with this email may upload sessions.", err=True
            )
            sys.exit(1)
        try:
            started = bulk_upload.start_upload(
                uploader, file.name, file.read_bytes(), company, check
            )
        except bulk_upload.FileProblem as problem:
            click.echo(f"{file}: {problem.message}", err=True)
            sys.exit(1)
        done = lifecycle.process(started.id)
        if done.extra_columns:
            click.echo("Columns not used: " + ", ".join(done.extra_columns), err=True)
        if out:
            out.write_text(bulk_upload.result_csv(done), encoding="utf-8")
        click.echo(bulk_upload.summary_line(done))
