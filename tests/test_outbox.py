"""The shape of a write: the transaction holds the state change and rows saying what to tell
whom; the worker fans out, renders once per (notice, locale, zone) and sends."""

from datetime import datetime

import pytest
from conftest import count_queries
from test_mail import text_of
from werkzeug.datastructures import MultiDict

from messaging import mail
from models import Broadcast, Company, Email, EmailStatus, Registration, Reminder, Status, db
from sessions import booking, planning, reminders

NOW = datetime(2030, 2, 1, 12, 0)


@pytest.fixture
def session(make_event, make_session, make_day):
    session = make_session(make_event(is_active=True), participant_limit=None)
    make_day(session, start="2030-03-01T10:00")
    return session


@pytest.fixture
def quiet(monkeypatch):
    """No worker: what the request leaves in the outbox stays there to be looked at."""
    monkeypatch.setattr(mail, "request_delivery", lambda: None)


def _approve_many(session, users):
    with db.atomic():
        for user in users:
            Registration.create(
                session=session,
                event=session.event_id,
                user=user,
                status=Status.APPROVED,
                updated_at=NOW,
            )


def _move_day(session, address):
    form = MultiDict(
        {"start": "2030-03-01T11:00", "end": "2030-03-01T12:00", "format": "offline"}
        | {"address": address}
    )
    day = session.days.get()
    return planning.save_day(session, day, form, Company.current(), NOW)


def test_outbox_sign_up_writes_what_to_tell_not_the_text(ctx, quiet, session, make_user):
    member = make_user(timezone="Asia/Tokyo", locale="ru")
    booking.sign_up(member, session, NOW)
    email = Email.get()
    assert (email.kind, email.locale, email.zone) == ("registration_confirmed", "ru", "Asia/Tokyo")
    assert email.context == {"session_id": session.id, "left_session_id": None}
    assert (email.subject, email.html_body, email.text_body, email.attachments) == ("", "", "", [])


def test_outbox_day_save_costs_the_same_sql_for_1_or_200_participants(
    ctx, quiet, session, make_user
):
    _approve_many(session, [make_user()])
    with count_queries() as alone:
        _move_day(session, "Hall A")
    _approve_many(session, [make_user() for _ in range(199)])
    with count_queries() as crowded:
        _move_day(session, "Hall B")
    assert len(crowded) == len(alone)
    assert Email.select().count() == 0  # the fan-out waits for the worker
    [_first, broadcast] = Broadcast.select().order_by(Broadcast.id)
    assert len(broadcast.user_ids) == 200 and broadcast.context["day"]["address"] == "Hall B"


def test_outbox_worker_fans_out_and_renders_once_per_language_and_zone(
    ctx, smtp, session, make_user, monkeypatch
):
    people = [make_user(locale="ru" if n % 2 else "en", name=f"Person {n}") for n in range(40)]
    people.append(make_user(name="<b>Tom</b> & Jerry"))
    _approve_many(session, people)
    renders = []
    render_notice = mail._render_notice
    monkeypatch.setattr(mail, "_render_notice", lambda e: renders.append(e) or render_notice(e))
    _move_day(session, "Hall B")
    assert len(smtp.messages) == 41 and len(set(smtp.message_ids())) == 41
    assert sorted(email.locale for email in renders) == ["en", "ru"]
    greeting = {message["To"]: text_of(message) for message in smtp.messages}
    assert all(f"{person.name}!" in greeting[person.email] for person in people)
    [tom] = [m for m in smtp.messages if m["To"] == people[-1].email]
    html = tom.get_body(("html",)).get_content()
    assert "&lt;b&gt;Tom&lt;/b&gt; &amp; Jerry" in html and "<b>Tom</b>" not in html
    assert Email.get(Email.to_address == people[-1].email).html_body  # kept for the log


def test_outbox_reminder_is_one_broadcast_and_reaches_everyone_once(ctx, smtp, session, make_user):
    _approve_many(session, [make_user() for _ in range(30)])
    reminder = Reminder.create(session=session, fixed_at=NOW, due_at=NOW)
    assert reminders.send_due(NOW) == 1
    assert reminders.send_due(NOW) == 0
    assert Broadcast.select().where(Broadcast.key == f"reminder:{reminder.id}").count()
    assert len(smtp.messages) == 30 and len(set(smtp.message_ids())) == 30


def test_outbox_notice_about_a_deleted_session_fails_with_a_reason(ctx, quiet, session, make_user):
    booking.sign_up(make_user(), session, NOW)
    session.delete_instance()
    mail.deliver_due()
    email = Email.get(Email.kind == "registration_confirmed")
    assert email.status == EmailStatus.FAILED and "no longer exists" in email.last_error


def test_outbox_wake_ups_coalesce(ctx, monkeypatch):
    woken = []
    monkeypatch.setattr(mail, "deliver_outbox", lambda: woken.append(1))
    mail.huey.get(mail.WAKE_KEY)  # nothing pending
    for _ in range(3):
        mail.request_delivery()
    assert woken == [1]
    mail.deliver_due()  # the run takes the wake-up ...
    mail.request_delivery()
    assert woken == [1, 1]  # ... so the next change wakes a worker again
    mail.huey.get(mail.WAKE_KEY)  # the stand-in worker never ran: take its wake-up back
