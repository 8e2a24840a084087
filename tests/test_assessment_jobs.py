"""The invitation and reminder sweep as the job worker runs it: a worker process killed in
the middle of sending leaves no one uninvited and no one invited twice; every email names
the session and carries the right private link."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from assessment_fixtures import INVITATION, add_people, give_raters, make_assessment, make_detail

from messaging import mail
from models import AssessmentParticipant, Email, EmailStatus, Rater, db

WORKER = """
import sys
from datetime import datetime
sys.path.insert(0, {root!r})
from app import create_app
from assessments import outreach
from messaging import mail
from models import db
settings = {{"DATABASE_URL": {url!r}, "SECRET_KEY": "w", "PUBLIC_URL": "http://convene.test"}}
settings.update(SMTP_HOST="127.0.0.1", SMTP_PORT={port})
with create_app(settings).app_context(), db.connection_context():
    outreach.send_due(datetime.fromisoformat({now!r}))
    mail.deliver_due()
"""


def _worker(url, port, now, tmp_path):
    root = str(Path(__file__).resolve().parent.parent)
    script = WORKER.format(root=root, url=url, port=port, now=now.isoformat())
    env = os.environ | {"HUEY_SQLITE_PATH": str(tmp_path / "worker-huey.db")}
    return subprocess.Popen([sys.executable, "-c", script], env=env)


@pytest.fixture
def quiet(monkeypatch):
    monkeypatch.setattr(mail, "request_delivery", lambda: None)


def test_a_killed_worker_invites_everyone_exactly_once(app, smtp, make_user, quiet, tmp_path):
    with app.test_request_context("/"), db.connection_context():
        detail = make_detail(make_assessment())
        people = [make_user(name=f"Person {n}") for n in range(20)]
        add_people(detail, people)
    url = app.config["DATABASE_URL"]
    first = _worker(url, smtp.port, INVITATION, tmp_path)
    while len(smtp.messages) < 5:
        time.sleep(0.01)
    smtp.hold_next()  # the server waits before accepting the next message ...
    assert smtp.holding.wait(10)
    os.kill(first.pid, signal.SIGKILL)  # ... and the worker dies in the middle of sending it
    first.wait()
    smtp.release()
    with db.connection_context():
        # The sweep had committed: every participant is marked invited, with one email each.
        assert (
            AssessmentParticipant.select().where(AssessmentParticipant.invited_at.is_null()).count()
            == 0
        )
        assert Email.select().count() == 20
        expired = datetime.utcnow() - mail.LEASE - timedelta(seconds=1)
        Email.update(claimed_at=expired).where(Email.status == EmailStatus.SENDING).execute()
    second = _worker(url, smtp.port, INVITATION + timedelta(minutes=1), tmp_path)
    assert second.wait(60) == 0
    ids = smtp.message_ids()
    assert len(ids) == 20 and len(set(ids)) == 20  # everyone exactly once
    assert sorted(m["To"] for m in smtp.messages) == sorted(p.email for p in people)
    message = smtp.messages[0]
    assert message["Subject"] == "Leadership Team Development"
    body = message.get_body(("plain",)).get_content()
    assert "http://convene.test/assessments/" in body and "Leadership 360" in body


def test_reminder_emails_reach_people_and_raters_with_their_links(
    app, smtp, make_user, quiet, tmp_path
):
    with app.test_request_context("/"), db.connection_context():
        detail = make_detail(make_assessment())
        [participant] = add_people(detail, [make_user(name="Pat Person", locale="ru")])
        rater = give_raters(participant, [("peer", None)])[0]
    url = app.config["DATABASE_URL"]
    first, second = datetime(2030, 3, 9, 14, 0), datetime(2030, 3, 16, 14, 0)  # 17:00 Moscow
    for now in (INVITATION, first, first + timedelta(minutes=1), second, second + timedelta(1)):
        assert _worker(url, smtp.port, now, tmp_path).wait(60) == 0
    kinds = sorted((m["To"], m["Subject"]) for m in smtp.messages)
    assert kinds == sorted(
        [
            (participant.registration.user.email, "Leadership Team Development"),
            (participant.registration.user.email, "Напоминание: Leadership Team Development"),
            (participant.registration.user.email, "Напоминание: Leadership Team Development"),
            (rater.email, "Напоминание: обратная связь для Pat Person"),
            (rater.email, "Напоминание: обратная связь для Pat Person"),
        ]
    )
    rater_mail = next(m for m in smtp.messages if m["To"] == rater.email)
    with db.connection_context():
        token = Rater.get_by_id(rater.id).token
    assert f"http://convene.test/r/{token}" in rater_mail.get_body(("plain",)).get_content()
