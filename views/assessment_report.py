"""The facilitator's report of an assessment session: the page (printable), its PDF and the
CSV of scores, for admins and the session's facilitator; and the shell command that writes
the PDF (`flask --app app assessments report SESSION_ID --pdf OUT.pdf`)."""

import logging
from pathlib import Path
from types import SimpleNamespace

import click
from flask import Blueprint, abort, current_app, g, render_template

from accounts.access import allow
from assessments import report
from foundation.downloads import download
from foundation.exports import csv_download
from foundation.i18n import locale_code, pick_text
from models import (
    AssessmentParticipant,
    AssessmentSession,
    Registration,
    Role,
    Session,
    db,
    utcnow,
)

URL_PREFIXES = ("/assessment-sessions",)
bp = Blueprint("assessment_report", __name__, cli_group="assessments")


def readable_detail_or_404(session_id):
    """Admins and the session's facilitator (its host) read the report; others get 404."""
    detail = AssessmentSession.get_or_none(AssessmentSession.session == session_id)
    if detail is None:
        abort(404)
    session = Session.get_by_id(detail.session_id)
    if not (g.user.is_admin or session.host_id == g.user.id):
        abort(404)
    return detail


def report_html(detail, for_pdf=False):
    session = Session.get_by_id(detail.session_id)
    available = report.is_available(detail, utcnow())
    reports = report.session_report(detail, locale_code()) if available else []
    return render_template(
        "assessments/report.html",
        detail=detail,
        session=session,
        title=pick_text(session.name),
        available=available,
        reports=reports,
        charts={r["participant"].id: report.chart(r) for r in reports},
        for_pdf=for_pdf,
        threshold=report.ANONYMITY_MINIMUM,
    )


def pdf_bytes(html):
    # WeasyPrint's progress and the screen-only CSS it skips (media queries, dialogs) are no
    # news; set before the import, which already parses its own stylesheets.
    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from weasyprint import HTML  # loaded on demand: pango is needed only for a PDF

    static = Path(current_app.static_folder).as_uri() + "/"
    return HTML(string=html, base_url=static).write_pdf()


@bp.app_template_global()
def facilitated_assessments():
    """The assessment sessions the viewer facilitates, newest first, with how far they are:
    participants, self-surveys submitted, and whether the report is ready. Two queries."""
    if not g.get("user"):
        return []
    details = list(
        AssessmentSession.select(AssessmentSession, Session)
        .join(Session)
        .where(Session.host == g.user.id, Session.cancelled_at.is_null())
        .order_by(AssessmentSession.session_on.desc())
    )
    counts = {}
    rows = (
        AssessmentParticipant.select(Registration.session, AssessmentParticipant.submitted_at)
        .join(Registration)
        .where(Registration.session.in_([detail.session_id for detail in details]))
        .tuples()
    )
    for session_id, submitted_at in rows if details else []:
        total, done = counts.get(session_id, (0, 0))
        counts[session_id] = (total + 1, done + (submitted_at is not None))
    now = utcnow()
    return [
        SimpleNamespace(
            detail=detail,
            session=detail.session,
            participants=counts.get(detail.session_id, (0, 0))[0],
            self_surveys=counts.get(detail.session_id, (0, 0))[1],
            report_ready=report.is_available(detail, now),
        )
        for detail in details
    ]


@bp.route("/assessment-sessions/<int:session_id>/report")
@allow(Role.HOST)
def report_page(session_id):
    return report_html(readable_detail_or_404(session_id))


@bp.route("/assessment-sessions/<int:session_id>/report.pdf")
@allow(Role.HOST)
def report_pdf(session_id):
    detail = readable_detail_or_404(session_id)
    if not report.is_available(detail, utcnow()):
        abort(404)
    body = pdf_bytes(report_html(detail, for_pdf=True))
    return download(body, f"assessment-report-{session_id}.pdf", "application/pdf")


@bp.route("/assessment-sessions/<int:session_id>/report.csv")
@allow(Role.HOST)
def report_csv(session_id):
    detail = readable_detail_or_404(session_id)
    if not report.is_available(detail, utcnow()):
        abort(404)
    reports = report.session_report(detail, locale_code())
    return csv_download(report.score_rows(reports), f"assessment-scores-{session_id}.csv")


@bp.cli.command("report")
@click.argument("session_id", type=int)
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), required=True)
@click.option("--locale", default=None, help="en, ru... (default: the company's)")
def report_command(session_id, pdf_path, locale):
    """Write the facilitator's report of assessment session SESSION_ID as a PDF."""
    from flask_babel import force_locale

    from foundation.i18n import default_locale

    with (
        current_app.test_request_context("/"),
        force_locale(locale or default_locale()),
        db.connection_context(),
    ):
        detail = AssessmentSession.get_or_none(AssessmentSession.session == session_id)
        if detail is None:
            raise click.BadParameter("no assessment session has this id", param_hint="SESSION_ID")
        g.user = None
        Path(pdf_path).write_bytes(pdf_bytes(report_html(detail, for_pdf=True)))
    click.echo(f"Report written to {pdf_path}.")
