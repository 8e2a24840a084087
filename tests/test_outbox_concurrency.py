"""Every notice goes out while others write: broadcasts are expanded into emails by worker
threads, each on its own database connection, while other connections keep committing day
changes (new broadcasts). No expansion fails with "database is locked", and every broadcast
becomes exactly one email per person."""

import threading
import time
from datetime import UTC, datetime

import peewee as pw
import pytest

from messaging import mail
from models import Broadcast, Email, Role, User, db, write_transaction

WRITERS, SAVES, EXPANDERS, PEOPLE = 4, 40, 2, 12


def in_thread(app, work, errors):
    def run():
        try:
            with app.app_context(), db.connection_context():
                work()
        except Exception as error:  # the test reports it
            errors.append(error)

    return threading.Thread(target=run)


@pytest.mark.every_database
def test_every_broadcast_is_expanded_while_other_connections_write(app, make_user):
    people = [make_user(Role.MEMBER).id for _ in range(PEOPLE)]
    errors, writing = [], threading.Event()
    writing.set()

    def save_days(writer):
        for save in range(SAVES):
            with write_transaction():  # a day save: its broadcast, and the change itself
                Broadcast.insert(
                    key=f"day-changed:{writer}:{save}",
                    kind="day_changed",
                    context={"session_id": 0},
                    user_ids=people[: 1 + (writer + save) % PEOPLE],
                ).execute()
                User.update(name=User.name).where(User.id == people[save % PEOPLE]).execute()
            time.sleep(0.002)

    def expand():
        while writing.is_set():  # a worker expands once a wake-up, not in a spin loop
            mail.expand_broadcasts()
            time.sleep(0.005)
        mail.expand_broadcasts()

    writers = [in_thread(app, lambda w=w: save_days(w), errors) for w in range(WRITERS)]
    expanders = [in_thread(app, expand, errors) for _ in range(EXPANDERS)]
    for thread in expanders + writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    writing.clear()
    for thread in expanders:
        thread.join(timeout=120)

    assert errors == []
    with db.connection_context():
        broadcasts = list(Broadcast.select())
        assert len(broadcasts) == WRITERS * SAVES
        assert [b.key for b in broadcasts if b.expanded_at is None] == []
        wanted = sorted(f"{b.key}:{user_id}" for b in broadcasts for user_id in b.user_ids)
        assert sorted(email.key for email in Email.select(Email.key)) == wanted


def test_a_failed_delivery_run_is_tried_again_within_seconds(ctx, monkeypatch):
    """A run that meets a busy database is scheduled again at once, not left to the sweep."""
    busy = [True]

    def expand_once_busy():
        if busy.pop() if busy else False:
            raise pw.OperationalError("database is locked")

    monkeypatch.setattr(mail, "expand_broadcasts", expand_once_busy)
    before = len(mail.huey.scheduled())
    mail.deliver_outbox()
    [retry] = mail.huey.scheduled()[before:]
    assert retry.name == "deliver_outbox"
    assert (
        retry.eta is not None
        and (retry.eta - datetime.now(UTC).replace(tzinfo=None)).total_seconds() <= 5
    )
    mail.huey.storage.flush_schedule()  # the stand-in retry never runs
    mail.huey.get(mail.WAKE_KEY)  # nor does its wake-up
