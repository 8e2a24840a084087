"""The job queue: one Huey instance, and `job` / `periodic_job`, which declare a job beside
the rule it runs.

SQLite-backed by default (instance/huey.db); Redis when REDIS_URL is set, so several
consumers on several machines share one queue. Jobs take ids, reload what they need, and
are safe to run twice.
"""

import threading
from functools import wraps

from flask import has_app_context
from huey import RedisHuey, SqliteHuey

import config
from models import db


def make_huey(settings):
    if settings["REDIS_URL"]:
        return RedisHuey("convene", url=settings["REDIS_URL"])
    return SqliteHuey("convene", filename=settings["HUEY_SQLITE_PATH"])


huey = make_huey(config.from_environment())
_app_factory = None
_app = None
# The consumer's threads start together: one builds the app while the others wait. Built
# twice at once, two apps race in CPython 3.11's AST module (werkzeug compiles each URL rule
# with ast.parse), which fails a job with "AST constructor recursion depth mismatch".
_app_building = threading.Lock()


def run_jobs_in(app_factory):
    """The consumer's entry point (tasks.py) says how to build the Flask app jobs run in;
    the queue itself cannot import the app, whose views enqueue jobs."""
    global _app_factory
    _app_factory = app_factory


def job(**options):
    """Declare a background job: `@job(retries=3)` over a function that takes ids."""
    return lambda function: huey.task(**options)(_in_app(function))


def periodic_job(schedule):
    """Declare a job the consumer runs on `schedule` (a huey.crontab)."""
    return lambda function: huey.periodic_task(schedule)(_in_app(function))


def _in_app(function):
    """Run the job inside the Flask app (translations, settings, the database)."""

    @wraps(function)
    def run(*args, **kwargs):
        if has_app_context():  # run inline (tests, immediate mode): reuse the caller's app
            return _with_connection(function, *args, **kwargs)
        with _built_app().app_context():
            return _with_connection(function, *args, **kwargs)

    return run


def _built_app():
    """The one app of this process, built by the first job to need it."""
    global _app
    if _app is not None:
        return _app
    with _app_building:
        if _app is None:
            _app = _app_factory()
    return _app


def _with_connection(function, *args, **kwargs):
    if not db.is_closed():
        return function(*args, **kwargs)
    with db.connection_context():
        return function(*args, **kwargs)
