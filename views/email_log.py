"""The email log: the outbox as a list, resending failed emails, one email opened."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from htmx_flask import make_response

from accounts.access import allow, mask_private_links
from foundation.forms import row_ids
from messaging import mail
from models import (
    Email,
    EmailStatus,
    NaturalOrder,
    Role,
    contains_text,
    write_transaction,
)
from views.listing import Filter, SortKey, list_response, read_listing, wants_table
from views.lookups import get_or_404

URL_PREFIXES = ("/admin/emails",)
bp = Blueprint("email_log", __name__, url_prefix="/admin")


EMAIL_FILTERS = (
    Filter(
        "status",
        tuple(EmailStatus.values()),
        _l("Unknown status in the filter; showing all statuses."),
    ),
)
# Ids grow with time, so "date" orders by id (the primary key's index); addresses sort
# naturally (models.NaturalOrder), newest first among equals.
EMAIL_SORTS = {
    "date": SortKey(Email.id, first_dir="desc"),
    "recipient": SortKey(NaturalOrder(Email.to_address), (Email.id.desc(),)),
    "status": SortKey(Email.status, (Email.id.desc(),)),
}
MAX_SELECTED = 500  # a page holds 50; more ids than this in one request are ignored
# The HTML body is shown in an <iframe sandbox>: it may style itself and show inline images,
# never run script, load anything or leave the frame; only our own pages may frame it.
BODY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; sandbox; frame-ancestors 'self'"
)


def email_listing():
    return read_listing("email_log.email_log", EMAIL_SORTS, "date", EMAIL_FILTERS)


def emails_matching(listing):
    emails = Email.select(
        Email.id,
        Email.to_address,
        Email.subject,
        Email.status,
        Email.attempts,
        Email.last_error,
        Email.created_at,
    )
    if listing.filters["status"]:
        emails = emails.where(Email.status == listing.filters["status"])
    if listing.q:
        emails = emails.where(
            contains_text(Email.to_address, listing.q) | contains_text(Email.subject, listing.q)
        )
    return emails


def email_log_answer(listing, **headers):
    """The log as the URL says: the page, or its table for an htmx request from the list."""
    emails = listing.fetch(emails_matching(listing))
    context = {"emails": emails, "listing": listing}
    table_only = wants_table("email-table")
    template = "admin/_email_table.html" if table_only else "admin/emails.html"
    page = render_template(template, table_only=table_only, **context)
    return list_response(listing, page, table_only, **headers)


@bp.route("/emails")
@allow(Role.ADMIN)
def email_log():
    """One page of the outbox, newest first unless the URL sorts it otherwise."""
    return email_log_answer(email_listing())


@bp.route("/emails/resend", methods=["POST"])
@allow(Role.ADMIN)
def resend_selected():
    """Queue the selected failed emails again, in one transaction, and wake one delivery; the
    answer is the list as it was asked for (its state is in the query string)."""
    ids = sorted(row_ids(request.form.getlist("email_ids")))[:MAX_SELECTED]
    with write_transaction():
        requeued = mail.resend_failed(ids)
    if requeued:
        mail.request_delivery()
        toast = ngettext("%(num)d email queued again.", "%(num)d emails queued again.", requeued)
    else:
        toast = _("No failed emails were selected.")
    listing = email_listing()
    if not request.htmx:
        return redirect(listing.url())
    return email_log_answer(listing, trigger={"toast": toast}, push_url=False)


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


@bp.route("/emails/<int:email_id>")
@allow(Role.ADMIN)
def show_email(email_id):
    """One email as it was sent: who, when, status and error, both bodies, attachments."""
    email = get_or_404(Email, email_id)
    attachments = [
        {
            "filename": attachment.get("filename", ""),
            "content_type": attachment.get("content_type", ""),
            "size": len(attachment.get("data", "").encode()),
        }
        for attachment in email.attachments
    ]
    title = email.subject or _("Email to %(address)s", address=email.to_address)
    text_body = mask_private_links(email.text_body)
    return render_template(
        "admin/email.html",
        email=email,
        title=mask_private_links(title),
        text_body=text_body,
        has_private_links=text_body != email.text_body,
        attachments=attachments,
    )


@bp.route("/emails/<int:email_id>/send-again", methods=["POST"])
@allow(Role.ADMIN)
def send_again(email_id):
    """The same notice to the same person once more, as a new email (its page opens)."""
    email = get_or_404(Email, email_id)
    with write_transaction():
        copy = mail.send_again(email)
    mail.request_delivery()
    return redirect(url_for("email_log.show_email", email_id=copy.id))


@bp.route("/emails/<int:email_id>/body.html")
@allow(Role.ADMIN)
def email_html_body(email_id):
    """The HTML body alone, for the sandboxed frame of the email's page: a policy of its own
    (nothing loads, nothing runs) instead of the app's, and framing by our pages only."""
    email = get_or_404(Email, email_id)
    if not email.is_rendered:
        abort(404)
    response = make_response(mask_private_links(email.html_body))
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = BODY_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response
