"""Email through the outbox to a real SMTP server on loopback: content, language, time zone,
calendar entries, retries, and exactly-once delivery with two workers or a killed one."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from werkzeug.datastructures import MultiDict

from messaging import mail, transports
from models import Company, Email, EmailStatus, Registration, Session, Status, db
from sessions import booking, planning

NOW = datetime(2030, 2, 1, 12, 0)


@pytest.fixture
def event(make_event):
    return make_event("Leadership Training", is_active=True)


def calendar_of(message):
    part = next(
        part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"
    )
    return Calendar.from_ical(
        part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
    )


def text_of(message):
    return message.get_body(("plain",)).get_content()


def test_sign_up_email_in_the_recipients_language_and_zone(
    ctx, smtp, event, make_session, make_day, make_user
):
    session = make_session(event, name="Daytime")
    with db.atomic():
        session.name = {"en": "Daytime", "ru": "Дневная"}
        session.save()
    make_day(session, start="2030-03-01T10:00", hours=2)
    member = make_user(locale="ru", timezone="Asia/Tokyo", name="Мария")
    booking.sign_up(member, session, NOW)
    [message] = smtp.messages
    assert message["To"] == member.email
    assert message["Subject"] == "Leadership Training (ru) — Дневная"  # event and session
    body = " ".join(text_of(message).split())
    assert "Здравствуйте, Мария!" in body or "Мария" in body
    assert "16:00–18:00 Япония (UTC+9)" in body.replace(" – ", "–")
    entry = calendar_of(message)
    assert entry["METHOD"] == "REQUEST"
    [vevent] = entry.walk("VEVENT")
    assert str(vevent["UID"]).startswith("day-") and int(vevent["SEQUENCE"]) == 0
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == datetime(2030, 3, 1, 7, 0)


def test_nothing_is_sent_for_a_change_that_rolled_back(ctx, smtp, event, make_session, make_user):
    session = make_session(event, participant_limit=1)
    booking.sign_up(make_user(), session, NOW)
    with pytest.raises(booking.BookingError):
        booking.sign_up(make_user(), session, NOW)
    assert len(smtp.messages) == 1 and Email.select().count() == 1


def test_a_changed_day_updates_the_same_calendar_entry(
    ctx, smtp, event, make_session, make_day, make_user
):
    session = make_session(event)
    day = make_day(session, start="2030-03-01T10:00")
    booking.sign_up(make_user(), session, NOW)
    form = MultiDict(
        {
            "start": "2030-03-01T11:00",
            "end": "2030-03-01T13:00",
            "format": "offline",
            "address": "Hall B",
        }
    )
    planning.save_day(session, day, form, Company.current(), NOW)
    first, update = (calendar_of(message).walk("VEVENT")[0] for message in smtp.messages)
    assert update["UID"] == first["UID"]
    assert int(update["SEQUENCE"]) == int(first["SEQUENCE"]) + 1
    assert str(update["LOCATION"]) == "Hall B"


def test_a_deleted_day_is_cancelled_in_calendars(
    ctx, smtp, event, make_session, make_day, make_user
):
    session = make_session(event)
    day = make_day(session)
    booking.sign_up(make_user(), session, NOW)
    planning.delete_day(day)
    cancel = calendar_of(smtp.messages[-1])
    assert cancel["METHOD"] == "CANCEL"
    assert cancel.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


def test_each_notice_of_the_life_cycle(ctx, smtp, event, make_session, make_user):
    daytime = make_session(event, name="Daytime", participant_limit=1)
    evening = make_session(event, name="Evening")
    member, waiting = make_user(), make_user()
    registration = booking.sign_up(member, daytime, NOW)
    booking.join_waiting_list(waiting, daytime, NOW)
    moved = booking.switch(registration, evening, NOW)  # frees the seat: `waiting` is promoted
    booking.set_status(moved, Status.DENIED)
    subjects = [message["Subject"] for message in smtp.messages]
    assert subjects == [
        "Leadership Training — Daytime",
        "A seat is yours: Leadership Training — Daytime",
        "You moved to Leadership Training — Evening",
        "Leadership Training — Evening: your status is Denied",
    ]
    assert Registration.get(Registration.user == waiting).status == Status.APPROVED


def test_failed_deliveries_are_retried_with_backoff_then_marked_failed(
    ctx, app, smtp, event, make_session, make_user
):
    smtp.refuse = 100
    booking.sign_up(make_user(), make_session(event), NOW)
    email = Email.get()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1)
    assert "451" in email.last_error and email.next_attempt_at > datetime.utcnow() + timedelta(
        minutes=1
    )
    moment = datetime.utcnow()
    for _attempt in range(mail.MAX_ATTEMPTS):
        moment += timedelta(days=1)
        mail.deliver_due(now=moment)
    email = Email.get()
    assert (email.status, email.attempts) == (EmailStatus.FAILED, mail.MAX_ATTEMPTS)
    smtp.refuse = 0
    mail.resend(email)
    mail.deliver_due()
    assert Email.get().status == EmailStatus.SENT and len(smtp.messages) == 1


def _queue(count, make_user):
    users = [make_user() for _ in range(count)]
    session = Session.create(name={"en": "Bulk"}, timezone="UTC")
    with db.atomic():
        for index, user in enumerate(users):
            mail.queue_email(
                f"bulk:{index}",
                user,
                "status_changed",
                session_id=session.id,
                status=Status.APPROVED,
            )


WORKER = """
import sys
sys.path.insert(0, {root!r})
from app import create_app
from messaging import mail
from models import db
settings = {{"DATABASE_URL": {url!r}, "SECRET_KEY": "w"}}
settings.update(SMTP_HOST="127.0.0.1", SMTP_PORT={port})
with create_app(settings).app_context(), db.connection_context():
    mail.deliver_due()
"""


def _worker(url, port):
    root = str(Path(__file__).resolve().parent.parent)
    return subprocess.Popen([sys.executable, "-c", WORKER.format(root=root, url=url, port=port)])


@pytest.mark.every_database
def test_two_worker_processes_never_send_the_same_email(backend, app, smtp, make_user):
    with app.test_request_context("/"), db.connection_context():
        _queue(60, make_user)
    workers = [_worker(app.config["DATABASE_URL"], smtp.port) for _ in range(2)]
    assert [worker.wait(60) for worker in workers] == [0, 0]
    ids = smtp.message_ids()
    assert len(ids) == 60 and len(set(ids)) == 60
    with db.connection_context():
        assert Email.select().where(Email.status == EmailStatus.SENT).count() == 60


@pytest.mark.every_database
def test_a_worker_killed_mid_send_loses_and_duplicates_nothing(backend, app, smtp, make_user):
    with app.test_request_context("/"), db.connection_context():
        _queue(30, make_user)
    url = app.config["DATABASE_URL"]
    first = _worker(url, smtp.port)
    while len(smtp.messages) < 10:
        time.sleep(0.01)
    smtp.hold_next()  # the server now waits before accepting the next message ...
    assert smtp.holding.wait(10)
    os.kill(first.pid, signal.SIGKILL)  # ... and the worker dies in the middle of sending it
    first.wait()
    smtp.release()
    with db.connection_context():
        # Its claim stays until the lease runs out: the message in flight (not delivered:
        # the server saw its client go) and the rest of its claimed batch.
        stuck = Email.select().where(Email.status == EmailStatus.SENDING)
        assert 1 <= stuck.count() <= mail.CLAIM_BATCH
        assert len({email.claim for email in stuck}) == 1
        expired = datetime.utcnow() - mail.LEASE - timedelta(seconds=1)
        Email.update(claimed_at=expired).where(Email.status == EmailStatus.SENDING).execute()
    second = _worker(url, smtp.port)
    assert second.wait(60) == 0
    ids = smtp.message_ids()
    assert len(ids) == 30 and len(set(ids)) == 30  # every email exactly once
    with db.connection_context():
        assert Email.select().where(Email.status == EmailStatus.SENT).count() == 30


@pytest.mark.every_database
def test_a_worker_killed_as_the_server_took_its_message_leaves_only_that_one_in_doubt(
    backend, app, smtp, make_user
):
    """The worker claims a batch and is killed while the server accepts the batch's first
    message: the others of the batch were never handed to the server, so once the lease
    runs out they go out once, and only the message in flight reaches the server twice
    (with the same Message-ID, which the reader's mail program shows once)."""
    with app.test_request_context("/"), db.connection_context():
        _queue(30, make_user)
        first_key = Email.select().order_by(Email.id).first().key
    smtp.hold_next()
    smtp.keep_orphans = True
    first = _worker(app.config["DATABASE_URL"], smtp.port)
    assert smtp.holding.wait(30)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    smtp.release()
    assert len(smtp.messages) == 1
    with db.connection_context():
        stuck = list(Email.select().where(Email.status == EmailStatus.SENDING))
        assert len(stuck) == mail.CLAIM_BATCH and len({email.claim for email in stuck}) == 1
        assert Email.select().where(Email.status == EmailStatus.QUEUED).count() == 30 - len(stuck)
        expired = datetime.utcnow() - mail.LEASE - timedelta(seconds=1)
        Email.update(claimed_at=expired).where(Email.status == EmailStatus.SENDING).execute()
    second = _worker(app.config["DATABASE_URL"], smtp.port)
    assert second.wait(60) == 0
    ids = smtp.message_ids()
    assert len(ids) == 31 and len(set(ids)) == 30
    [twice] = [message_id for message_id in set(ids) if ids.count(message_id) == 2]
    with app.app_context():
        app.config["SECRET_KEY"] = "w"  # the workers' secret, which the Message-IDs are made with
        assert twice == f"<{transports.message_id(first_key)}@convene>"
    with db.connection_context():
        assert Email.select().where(Email.status == EmailStatus.SENT).count() == 30


@pytest.mark.every_database
def test_a_sent_email_keeps_what_was_sent_for_the_log(
    backend, ctx, smtp, event, make_session, make_day, make_user
):
    session = make_session(event, name="Daytime")
    make_day(session, start="2030-03-01T10:00", hours=2)
    booking.sign_up(make_user(), session, NOW)
    [message] = smtp.messages
    email = Email.get()
    assert (email.status, email.claim is not None, email.sent_at is not None) == (
        EmailStatus.SENT,
        True,
        True,
    )
    assert email.subject == message["Subject"] == "Leadership Training — Daytime"
    assert email.text_body.split() == text_of(message).split()  # line ends aside
    assert "Daytime" in email.html_body and email.last_error == ""
    [attachment] = email.attachments
    assert attachment["filename"].endswith(".ics") and "BEGIN:VCALENDAR" in attachment["data"]


def test_subjects_are_plain_text_and_bodies_escaped(ctx, smtp, event, make_session, make_user):
    session = make_session(event, name="Tom & Jerry <b>live</b>")
    booking.sign_up(make_user(), session, NOW)
    [message] = smtp.messages
    assert message["Subject"] == "Leadership Training — Tom & Jerry <b>live</b>"
    html = message.get_body(("html",)).get_content()
    assert "Tom &amp; Jerry &lt;b&gt;live&lt;/b&gt;" in html and "<b>live</b>" not in html
