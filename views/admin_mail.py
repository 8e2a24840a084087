"""Reminders on the session card, and the email log."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from htmx_flask import make_response
from peewee import JOIN

from accounts.access import allow
from foundation.forms import Invalid, page_number, row_id
from messaging import mail
from models import Email, EmailStatus, Reminder, Role, Session, User, contains_text
from sessions import reminders
from views.lookups import get_or_404

bp = Blueprint("admin_mail", __name__, url_prefix="/admin")
bp.add_app_template_global(reminders.UNITS, "reminder_units")
bp.add_app_template_global(reminders.MAX_PER_SESSION, "max_reminders_per_session")
LOG_PAGE = 100


def reminders_block(session, errors=None, form=None, editing=None, status=200):
    context = {
        "session": session,
        "reminders": list(
            Reminder.select().where(Reminder.session == session).order_by(Reminder.id)
        ),
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


@bp.route("/emails")
@allow(Role.ADMIN)
def email_log():
    status = request.args.get("status", "")
    query_text = request.args.get("q", "").strip()[:100]
    problems = []
    emails = Email.select(Email, User).join(User, JOIN.LEFT_OUTER, on=(Email.user == User.id))
    if status:
        if status in EmailStatus.values():
            emails = emails.where(Email.status == status)
        else:
            problems.append(_("Unknown status in the filter; showing all statuses."))
            status = ""
    if query_text:
        emails = emails.where(
            contains_text(Email.to_address, query_text) | contains_text(Email.subject, query_text)
        )
    page = page_number(request.args.get("page", "1"))
    context = {
        "emails": list(emails.order_by(Email.id.desc()).paginate(page, LOG_PAGE)),
        "total": emails.count(),
        "status": status,
        "q": query_text,
        "page": page,
        "page_size": LOG_PAGE,
        "problems": problems,
    }
    template = (
        "admin/_email_table.html"
        if request.htmx and request.htmx.target == "email-table"
        else "admin/emails.html"
    )
    return render_template(template, **context)


@bp.route("/emails/<int:email_id>/resend", methods=["POST"])
@allow(Role.ADMIN)
def resend(email_id):
    email = get_or_404(Email, email_id)
    mail.resend(email)
    mail.request_delivery()
    email = Email.get_by_id(email_id)
    return make_response(
        render_template("admin/_email_row.html", email=email), trigger={"toast": _("Queued again.")}
    )
