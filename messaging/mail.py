"""The outbox: every email is a row written with the change that causes it, then rendered
and delivered by a Huey job over SMTP (or, with no SMTP_HOST, into instance/outbox/ as .eml
files).

The change's transaction writes only what to tell whom (`queue_email`: kind, ids, locale,
zone, idempotency key), or one row for many people (`queue_broadcast`); it never renders.
The worker expands broadcasts in batches, renders each notice once per (notice, locale,
zone) and puts the recipient's name in afterwards.

Delivery claims a few rows at a time with a lease: one atomic UPDATE, which only one worker
can win for each row, takes up to CLAIM_BATCH of them; the worker then sends them one by one
and marks each sent as soon as the server took it. A worker that dies leaves its claim to
expire, and the next worker takes the rows over. Every message carries a Message-ID made
from the row's idempotency key (an HMAC of it with the app's secret: a key can hold part of
a private link, the Message-ID reveals nothing), so even the one case SMTP cannot settle
(the server accepted the message and the worker died before recording it) reaches the
reader as one message. That case stays one message per dead worker: the claimed rows it had
not begun were never handed to the server, and go out once the lease runs out.
"""

import json
import secrets
import smtplib
import time
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from types import SimpleNamespace

import peewee as pw
from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup, escape

from foundation.bulk_insert import insert_rows
from foundation.i18n import current_company
from foundation.i18n import recipient_locale_of as recipient_locale
from foundation.jobs import huey, job
from foundation.prepared import Prepared, slot
from messaging.coalescing import covered_by_waiting_notices, hold_for
from messaging.transports import build_message, make_transport
from models import Broadcast, Email, EmailStatus, User, db, utcnow, write_transaction

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
CLAIM_BATCH = 20  # rows claimed per transaction: claiming is most of a message's database work
EXPAND_BATCH = 500  # emails written per transaction when a broadcast fans out
WAKE_KEY = "outbox-wake"
HELPERS = 3  # extra senders for a large backlog (the job worker runs threads: JOB_WORKERS)
HELPER_SHARE = 200  # emails of backlog that justify one more sender
RETRIES, RETRY_DELAY_SECONDS = 5, 2  # a failed delivery run (a busy database) tries again


# Queueing ----------------------------------------------------------------------------------


def recipient_timezone(user):
    return user.timezone or current_company().timezone


def _email_row(key, user, kind, context, reader=None, due_at=None):
    """`reader`: (locale, zone) the email is written in, and `due_at`: when it may go (its
    kind checked), when the caller knows them."""
    if due_at is None:
        due_at = utcnow() + hold_for(check_kind(kind))
    locale, zone = reader or (recipient_locale(user), recipient_timezone(user))
    return {
        "next_attempt_at": due_at,
        "key": key[:255],
        "to_address": user.email,
        "user": user.id,
        "kind": kind,
        "context": context,
        "locale": locale,
        "zone": zone,
    }


# Every sign-up queues one: built once (foundation/prepared.py).
NEW_EMAIL = Prepared(
    lambda: Email.insert(
        {
            name: slot(name)
            for name in ("key", "to_address", "user", "kind", "context", "locale", "zone")
            + ("next_attempt_at", "created_at")
        }
    ).on_conflict_ignore()
)


def queue_email(key, user, kind, **context):
    """Add notice `kind` for `user` to the outbox; `context` holds ids and snapshots (JSON),
    never rendered text. A key already there is ignored. Call it inside the transaction of
    the change."""
    row = _email_row(key, user, kind, context)
    NEW_EMAIL.insert(**row | {"context": json.dumps(context), "created_at": utcnow()})


def queue_emails(notices):
    """`queue_email` for many notices at once, [(key, user, kind, context)]: one statement
    per 500 (a bulk upload's confirmations)."""
    readers = {}  # an account's (locale, timezone) -> what its emails are written in
    due = {}  # a kind -> when its notices may go (they are all queued now)
    now = utcnow()
    rows = []
    for key, user, kind, context in notices:
        pair = (user.locale, user.timezone)
        if pair not in readers:  # the same few for thousands of people
            readers[pair] = (recipient_locale(user), recipient_timezone(user))
        if kind not in due:
            due[kind] = now + hold_for(check_kind(kind))
        rows.append(_email_row(key, user, kind, context, readers[pair], due[kind]))
    insert_rows(Email, rows, ignore=True)


def queue_broadcast(key, kind, user_ids, **context):
    """One row for notice `kind` to many people; the worker writes their emails after the
    commit (`expand_broadcasts`), each keyed `<key>:<user id>`."""
    check_kind(kind)
    if user_ids:
        Broadcast.insert(
            key=key[:255], kind=kind, context=context, user_ids=list(user_ids)
        ).on_conflict_ignore().execute()


def queue_broadcasts(broadcasts):
    """`queue_broadcast` for many notices at once, [(key, kind, user_ids, context)]: one
    statement per 500 (a bulk upload's changed and cancelled days)."""
    rows = [
        {"key": key[:255], "kind": check_kind(kind), "context": context, "user_ids": list(user_ids)}
        for key, kind, user_ids, context in broadcasts
        if user_ids
    ]
    if rows:
        insert_rows(Broadcast, rows, ignore=True)


def expand_broadcasts():
    """Turn every pending broadcast into one outbox row per person, in short transactions.
    Keys make a repeated or concurrent expansion write each email once.

    Everything a write needs is read before it: the pending list whole, then each batch's
    people. Writing while a SELECT is still being read keeps that SELECT's snapshot, and
    SQLite refuses to turn a stale snapshot into a write once another connection has
    committed ("database is locked" at once; the busy timeout does not apply)."""
    pending = list(Broadcast.select().where(Broadcast.expanded_at.is_null()).order_by(Broadcast.id))
    for broadcast in pending:
        _expand(broadcast)


def _expand(broadcast):
    """One broadcast's emails; its last batch and its `expanded_at` commit together. People
    with a waiting notice that will show the change anyway get no second email."""
    ids = list(broadcast.user_ids)
    batches = [ids[start : start + EXPAND_BATCH] for start in range(0, len(ids), EXPAND_BATCH)]
    for number, batch in enumerate(batches or [[]], start=1):
        covered = covered_by_waiting_notices(broadcast.kind, broadcast.context, batch)
        wanted = [user_id for user_id in batch if user_id not in covered]
        users = list(User.select().where(User.id.in_(wanted))) if wanted else []
        rows = [
            _email_row(f"{broadcast.key}:{user.id}", user, broadcast.kind, broadcast.context)
            for user in users
        ]
        with write_transaction():
            if rows:
                Email.insert_many(rows).on_conflict_ignore().execute()
            if number >= len(batches):
                Broadcast.update(expanded_at=utcnow()).where(Broadcast.id == broadcast.id).execute()


_batched = ContextVar("batched", default=False)


def request_delivery():
    """Wake a worker after the change committed. Wake-ups coalesce: while one is pending no
    other is queued, so a burst of sign-ups costs one job; the minutely sweep is the safety
    net if one is lost."""
    if not _batched.get() and huey.put_if_empty(WAKE_KEY, "1"):
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


# Rendering ---------------------------------------------------------------------------------

_loaders = {}  # kind -> loader(context, locale) -> (template context, attachments)
RECIPIENT = "\ue000recipient\ue000"  # stands for the name until each email is made


class Obsolete(Exception):
    """What the notice is about is gone (a session deleted before the email was made)."""


class UnknownNotice(LookupError):
    """A notice kind with no loader: queued, it could never be written."""


def use_notice_loaders(loaders):
    """Install every notice kind's loader: from an email's context (ids, snapshots) to what
    its template needs, and its attachments. The app factory installs the one list
    (background.py), so the web app and the worker know the same kinds."""
    _loaders.clear()
    _loaders.update(loaders)


def check_kind(kind):
    """Refuse, where it is queued, a notice that the worker could not write."""
    if kind not in _loaders:
        raise UnknownNotice(f"no loader for notice kind {kind!r} (background.py)")
    return kind


def _render_notice(email):
    template_context, attachments = _loaders[email.kind](email.context, email.locale)
    template_context.update(
        recipient=SimpleNamespace(name=RECIPIENT), zone=email.zone, email_locale=email.locale
    )
    environment = current_app.jinja_env
    with force_locale(email.locale):
        html_template = environment.get_template(f"email/{email.kind}.html")
        # The block is HTML-escaped like the page around it; a subject is plain text.
        subject = Markup(
            "".join(html_template.blocks["subject"](html_template.new_context(template_context)))
        ).striptags()
        html_body = html_template.render(template_context)
        text_body = environment.get_template(f"email/{email.kind}.txt").render(template_context)
    return subject[:300], html_body, text_body, attachments


def render(email, rendered):
    """Fill in the email's subject, bodies and attachments; `rendered` caches each notice
    per (kind, context, locale, zone) for the batch."""
    if email.is_rendered:
        return email
    key = (email.kind, json.dumps(email.context, sort_keys=True), email.locale, email.zone)
    if key not in rendered:
        rendered[key] = _render_notice(email)
    subject, html_body, text_body, attachments = rendered[key]
    name = email.user.name if email.user_id else email.to_address
    email.subject, email.attachments = subject, attachments
    email.html_body = html_body.replace(RECIPIENT, str(escape(name)))
    email.text_body = text_body.replace(RECIPIENT, name)
    return email


# Delivery ----------------------------------------------------------------------------------


def _claimable(now):
    queued = (Email.status == EmailStatus.QUEUED) & (Email.next_attempt_at <= now)
    abandoned = (Email.status == EmailStatus.SENDING) & (Email.claimed_at < now - LEASE)
    return queued | abandoned


def claim_batch(now, size=CLAIM_BATCH):
    """Atomically take up to `size` deliverable emails for this worker, in id order (an
    empty list when none is left)."""
    token = secrets.token_hex(8)
    while True:
        with write_transaction():
            candidates = Email.select(Email.id).where(_claimable(now)).order_by(Email.id)
            candidates = candidates.limit(size)
            if not isinstance(db.obj, pw.SqliteDatabase):
                candidates = candidates.for_update(skip_locked=True)
            ids = [row.id for row in candidates]
            if not ids:
                return []
            won = (
                Email.update(
                    status=EmailStatus.SENDING,
                    claim=token,
                    claimed_at=now,
                    attempts=Email.attempts + 1,
                )
                .where(Email.id.in_(ids), _claimable(now))
                .execute()
            )
        if won:  # otherwise other workers took them all between our read and write: again
            return list(
                Email.select(Email, User)
                .join(User, pw.JOIN.LEFT_OUTER, on=(Email.user == User.id))
                .where(Email.id.in_(ids), Email.claim == token)
                .order_by(Email.id)
            )


def _release(emails):
    """Give back claimed rows this worker will not send now (never handed to the server):
    queued again as they were, their attempt not counted."""
    for email in emails:
        Email.update(
            status=EmailStatus.QUEUED, claim=None, claimed_at=None, attempts=Email.attempts - 1
        ).where(Email.id == email.id, Email.claim == email.claim).execute()


def _record(email, **fields):
    """Write the outcome only if this worker still holds the claim."""
    Email.update(**fields).where(Email.id == email.id, Email.claim == email.claim).execute()


SENT_FIELDS = ("status", "sent_at", "last_error", "subject", "text_body", "html_body")
_sent_updates = {}  # is SQLite -> the UPDATE that records a sent email


def _record_sent(email):
    """`_record` of a sent email (what was sent, for the email log), by an UPDATE made once
    per process: peewee building it anew for every email cost more than running it."""
    sqlite = isinstance(db.obj, pw.SqliteDatabase)
    if sqlite not in _sent_updates:
        mark = db.obj.param
        sets = [f'"{Email._meta.fields[name].column_name}" = {mark}' for name in SENT_FIELDS]
        column = Email.attachments.column_name
        sets.append(f'"{column}" = json({mark})' if sqlite else f'"{column}" = {mark}')
        _sent_updates[sqlite] = (
            f'UPDATE "{Email._meta.table_name}" SET {", ".join(sets)} '
            f'WHERE "id" = {mark} AND "claim" = {mark}'
        )
    values = [EmailStatus.SENT, utcnow(), "", email.subject, email.text_body, email.html_body]
    params = [
        Email._meta.fields[name].db_value(value)
        for name, value in zip(SENT_FIELDS, values, strict=True)
    ]
    to_db = Email.attachments._dumps if sqlite else Email.attachments.db_value  # json(?) on SQLite
    params.append(to_db(email.attachments))
    db.execute_sql(_sent_updates[sqlite], [*params, email.id, email.claim])


def backoff(attempts):
    return timedelta(minutes=2**attempts)


@job(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS)
def deliver_outbox():
    """Deliver queued emails now (asked for after every change that queued some). A large
    backlog (a reminder to thousands) is shared: more senders join, one SMTP connection each.
    A run that fails (the database busy past its timeout) is tried again in seconds, its
    wake-up still pending meanwhile, rather than waiting for the minutely sweep."""
    expand_broadcasts()
    backlog = Email.select().where(_claimable(utcnow())).limit(HELPERS * HELPER_SHARE).count()
    for _ in range(min(HELPERS, backlog // HELPER_SHARE)):
        deliver_alongside()
    deliver_due()


@job()
def deliver_alongside():
    """One more sender for a large backlog; it never asks for others."""
    deliver_due()


def deliver_due(limit=None, now=None):
    """Fan out pending broadcasts, then deliver what is due, a claimed batch at a time, each
    email recorded as it is sent; returns how many were sent."""
    huey.get(WAKE_KEY)  # taken now: a change committed from here on wakes another run
    expand_broadcasts()
    config = current_app.config
    transport, sent, rendered = make_transport(config), 0, {}
    try:
        while limit is None or sent < limit:
            moment = now or utcnow()
            size = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - sent)
            batch = claim_batch(moment, size)
            if not batch:
                break
            sent += _send_batch(batch, transport, rendered, moment)
    finally:
        transport.close()
    return sent


def _send_batch(batch, transport, rendered, moment):
    """Send a claimed batch in order, recording each email as it goes; the rest of the batch
    goes back to the queue if the claim has run half its lease (a slow server), before
    another worker could take the rows over. Returns how many were sent."""
    sent, deadline = 0, time.monotonic() + LEASE.total_seconds() / 2
    for position, email in enumerate(batch):
        if time.monotonic() > deadline:
            _release(batch[position:])
            break
        sent += _send_one(email, transport, rendered, moment)
    return sent


def _send_one(email, transport, rendered, moment):
    """Render, send and record one claimed email; 1 if it was sent, else 0."""
    try:
        render(email, rendered)
    except Obsolete as gone:
        _record(email, status=EmailStatus.FAILED, last_error=str(gone))
        return 0
    try:
        transport.send(build_message(email, current_app.config["MAIL_FROM"]))
    except (smtplib.SMTPException, OSError) as error:
        transport.close()
        _record_failure(email, error, moment)
        return 0
    _record_sent(email)
    return 1


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
    return resend_failed([email.id])


def send_again(email):
    """A new email with the same notice for the same person (an admin resends a delivered
    one: the log masks its private links, so sending it again is how the recipient gets
    them). It is rendered afresh, so its links are the current ones; the caller asks for
    delivery after its commit."""
    copy = Email(
        key=f"{email.key[:200]}:again:{secrets.token_hex(6)}",
        to_address=email.to_address,
        user=email.user_id,
        kind=email.kind,
        context=email.context,
        locale=email.locale,
        zone=email.zone,
    )
    if email.kind not in _loaders:  # a notice this version cannot write: the same text again
        copy.subject, copy.text_body, copy.html_body = (
            email.subject,
            email.text_body,
            email.html_body,
        )
        copy.attachments = email.attachments
    copy.save(force_insert=True)
    return copy


def resend_failed(email_ids):
    """Queue the failed ones among `email_ids` again, with fresh attempts, in one statement;
    returns how many. The caller asks for delivery after its commit."""
    return (
        Email.update(status=EmailStatus.QUEUED, attempts=0, next_attempt_at=utcnow(), claim=None)
        .where(Email.id.in_(list(email_ids)), Email.status == EmailStatus.FAILED)
        .execute()
    )
