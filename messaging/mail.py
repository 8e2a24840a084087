"""The outbox: every email is a row written with the change that causes it, then delivered
by a Huey job over SMTP (or, with no SMTP_HOST, into instance/outbox/ as .eml files).

Delivery claims one row at a time with a lease: a row is taken by an atomic UPDATE that only
one worker can win; a worker that dies leaves its claim to expire, and the next worker
takes the row over. Every message carries a Message-ID made from the row's idempotency key,
so even the one case SMTP cannot settle (the server accepted the message and the worker
died before recording it) reaches the reader as one message.
"""

import secrets
import smtplib
import ssl
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

import peewee as pw
from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup

from foundation.i18n import current_company
from foundation.i18n import recipient_locale_of as recipient_locale
from foundation.jobs import job
from models import Email, EmailStatus, db, utcnow, write_transaction

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)


# Queueing ----------------------------------------------------------------------------------


def recipient_timezone(user):
    return user.timezone or current_company().timezone


def queue_email(key, user, template, attachments=(), **context):
    """Render `email/<template>` in the recipient's language and time zone and add it to the
    outbox; a key already there is ignored. Call it inside the transaction of the change."""
    locale = recipient_locale(user)
    context.update(recipient=user, zone=recipient_timezone(user), email_locale=locale)
    with force_locale(locale):
        html_template = current_app.jinja_env.get_template(f"email/{template}.html")
        # The block is HTML-escaped like the page around it; a subject is plain text.
        subject = Markup(
            "".join(html_template.blocks["subject"](html_template.new_context(context)))
        )
        subject = subject.striptags()
        html_body = render_template(f"email/{template}.html", **context)
        text_body = render_template(f"email/{template}.txt", **context)
    Email.insert(
        key=key[:255],
        to_address=user.email,
        user=user,
        locale=locale,
        subject=subject[:300],
        text_body=text_body,
        html_body=html_body,
        attachments=list(attachments),
    ).on_conflict_ignore().execute()


_batched = ContextVar("batched", default=False)


def request_delivery():
    """Ask a worker to deliver now (after the change committed); the minutely sweep is the
    safety net if this request is lost."""
    if not _batched.get():
        deliver_outbox()


@contextmanager
def one_delivery_request():
    """Many operations in a row (an import) ask for delivery once, at the end."""
    token = _batched.set(True)
    try:
        yield
    finally:
        _batched.reset(token)
    request_delivery()


# Transports --------------------------------------------------------------------------------


def build_message(email, sender):
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = email.to_address
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{email.key.replace(' ', '-').replace(':', '.')}@convene>"
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    for attachment in email.attachments:
        maintype, subtype = attachment["content_type"].split(";")[0].split("/")
        params = dict(
            part.strip().split("=", 1)
            for part in attachment["content_type"].split(";")[1:]
            if "=" in part
        )
        message.add_attachment(
            attachment["data"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=params,
        )
    return message


class SmtpTransport:
    """One SMTP connection for a whole batch (a new one per message is several times slower)."""

    def __init__(self, config):
        self.config = config
        self.connection = None

    def _connect(self):
        host, port, tls = (
            self.config["SMTP_HOST"],
            self.config["SMTP_PORT"],
            self.config["SMTP_TLS"],
        )
        if tls == "ssl":
            connection = smtplib.SMTP_SSL(
                host, port, timeout=30, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=30)
            if tls == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if self.config["SMTP_USER"]:
            connection.login(self.config["SMTP_USER"], self.config["SMTP_PASSWORD"])
        return connection

    def send(self, message):
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.connection = self._connect()
            self.connection.send_message(message)

    def close(self):
        if self.connection is not None:
            try:
                self.connection.quit()
            except smtplib.SMTPException:
                pass
            self.connection = None


class FileTransport:
    """No SMTP server configured (the `make run` default): each email becomes an .eml file."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def send(self, message):
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("/", "_")
        (self.folder / f"{utcnow():%Y%m%d-%H%M%S}-{name}.eml").write_bytes(bytes(message))

    def close(self):
        pass


def make_transport(config):
    if config.get("SMTP_HOST"):
        return SmtpTransport(config)
    return FileTransport(config["OUTBOX_DIR"])


# Delivery ----------------------------------------------------------------------------------


def _claimable(now):
    queued = (Email.status == EmailStatus.QUEUED) & (Email.next_attempt_at <= now)
    abandoned = (Email.status == EmailStatus.SENDING) & (Email.claimed_at < now - LEASE)
    return queued | abandoned


def claim_next(now):
    """Atomically take the next deliverable email for this worker, or None."""
    token = secrets.token_hex(8)
    while True:
        with write_transaction():
            candidates = Email.select(Email.id).where(_claimable(now)).order_by(Email.id).limit(1)
            if not isinstance(db.obj, pw.SqliteDatabase):
                candidates = candidates.for_update(skip_locked=True)
            row = candidates.first()
            if row is None:
                return None
            won = (
                Email.update(
                    status=EmailStatus.SENDING,
                    claim=token,
                    claimed_at=now,
                    attempts=Email.attempts + 1,
                )
                .where(Email.id == row.id, _claimable(now))
                .execute()
            )
        if won:  # otherwise another worker took it between our read and write: try the next
            return Email.get_by_id(row.id)


def _record(email, **fields):
    """Write the outcome only if this worker still holds the claim."""
    Email.update(**fields).where(Email.id == email.id, Email.claim == email.claim).execute()


def backoff(attempts):
    return timedelta(minutes=2**attempts)


@job()
def deliver_outbox():
    """Deliver queued emails now (asked for after every change that queued some)."""
    deliver_due()


def deliver_due(limit=None, now=None):
    """Deliver what is due, one claimed row at a time; returns how many were sent."""
    config = current_app.config
    transport, sent = make_transport(config), 0
    try:
        while limit is None or sent < limit:
            moment = now or utcnow()
            email = claim_next(moment)
            if email is None:
                break
            try:
                transport.send(build_message(email, config["MAIL_FROM"]))
            except (smtplib.SMTPException, OSError) as error:
                transport.close()
                _record_failure(email, error, moment)
                continue
            _record(email, status=EmailStatus.SENT, sent_at=utcnow(), last_error="")
            sent += 1
    finally:
        transport.close()
    return sent


def _record_failure(email, error, now):
    if email.attempts >= MAX_ATTEMPTS:
        _record(email, status=EmailStatus.FAILED, last_error=str(error)[:2000])
    else:
        _record(
            email,
            status=EmailStatus.QUEUED,
            last_error=str(error)[:2000],
            next_attempt_at=now + backoff(email.attempts),
        )


def resend(email):
    """An admin sends a failed email again, with a fresh set of attempts."""
    Email.update(status=EmailStatus.QUEUED, attempts=0, next_attempt_at=utcnow(), claim=None).where(
        Email.id == email.id, Email.status == EmailStatus.FAILED
    ).execute()
