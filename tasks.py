"""Background jobs, run by the Huey consumer: `huey_consumer tasks.huey -k thread -w 2`.

SQLite-backed by default (instance/huey.db); Redis when REDIS_URL is set, so several
consumers on several machines share one queue. Tasks take ids, reload what they need, and
are safe to run twice.
"""

from functools import wraps

from flask import has_app_context
from huey import RedisHuey, SqliteHuey, crontab

import booking
import config
import group_sessions
import mail
import registration_import
import reminders
from i18n import current_company
from models import db


def make_huey(settings):
    if settings["REDIS_URL"]:
        return RedisHuey("convene", url=settings["REDIS_URL"])
    return SqliteHuey("convene", filename=settings["HUEY_SQLITE_PATH"])


huey = make_huey(config.from_environment())
_app = None


def in_app(job):
    """Run the job inside the Flask app (translations, settings, the database)."""

    @wraps(job)
    def run(*args, **kwargs):
        global _app
        if has_app_context():  # run inline (tests, immediate mode): reuse the caller's app
            return _with_connection(job, *args, **kwargs)
        if _app is None:
            from app import create_app

            _app = create_app()
        with _app.app_context():
            return _with_connection(job, *args, **kwargs)

    return run


def _with_connection(job, *args, **kwargs):
    if not db.is_closed():
        return job(*args, **kwargs)
    with db.connection_context():
        return job(*args, **kwargs)


@huey.task(retries=3, retry_delay=10)
@in_app
def apply_import(job_id):
    registration_import.apply(job_id)


@huey.periodic_task(crontab(minute="*/5"))
@in_app
def ask_to_confirm_participation():
    """After a session's last day, its approved participants are asked if they took part."""
    booking.ask_to_confirm_participation()


@huey.task()
@in_app
def deliver_outbox():
    """Deliver queued emails now (asked for after every change that queued some)."""
    mail.deliver_due()


@huey.periodic_task(crontab(minute="*"))
@in_app
def every_minute():
    """Send due reminders and minimum-participants notices, then deliver whatever is due:
    new, retried after a failure with backoff, or abandoned by a worker that died."""
    reminders.send_due()
    group_sessions.check_minimums(current_company())
    mail.deliver_due()
