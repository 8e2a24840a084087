"""PostgreSQL + Redis, scaled out: two real Huey consumers on one Redis queue deliver each
email of the outbox exactly once."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from conftest import free_port
from test_mail import _queue

from models import Email, EmailStatus, db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def redis_url():
    """A throwaway Redis on loopback, no persistence; fails (never skips) if it cannot start."""
    port = free_port()
    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)
    yield url
    server.terminate()
    server.wait(10)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_consumers_on_redis_deliver_each_email_once(
    backend, app, smtp, make_user, redis_url, tmp_path
):
    with app.test_request_context("/"), db.connection_context():
        _queue(40, make_user)
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": redis_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SECRET_KEY": "redis-test",
        "CONVENE_INSTANCE": str(tmp_path),
    }
    consumer = [str(ROOT / ".venv/bin/huey_consumer"), "tasks.huey", "-k", "thread", "-w", "2"]
    if not Path(consumer[0]).exists():
        consumer[0] = shutil.which("huey_consumer")
    workers = [
        subprocess.Popen(consumer, cwd=ROOT, env=env, stderr=subprocess.DEVNULL) for _ in range(2)
    ]
    try:
        enqueue = "from messaging import mail; [mail.deliver_outbox() for _ in range(4)]"
        subprocess.run([sys.executable, "-c", enqueue], cwd=ROOT, env=env, check=True)
        deadline = time.monotonic() + 60
        while len(smtp.messages) < 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # anything sent twice would arrive now
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(20)
    ids = smtp.message_ids()
    assert len(ids) == 40 and len(set(ids)) == 40
    with db.connection_context():
        assert Email.select().where(Email.status == EmailStatus.SENT).count() == 40
