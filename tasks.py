"""Background jobs, run by the Huey consumer: `huey_consumer tasks.huey -k thread -w 2`.

SQLite-backed by default (instance/huey.db); Redis when REDIS_URL is set, so several
consumers on several machines share one queue.
"""

from huey import RedisHuey, SqliteHuey

import config
from models import connect_database, db


def make_huey(settings):
    if settings["REDIS_URL"]:
        return RedisHuey("convene", url=settings["REDIS_URL"])
    return SqliteHuey("convene", filename=settings["HUEY_SQLITE_PATH"])


settings = config.from_environment()
huey = make_huey(settings)


@huey.on_startup()
def open_database():
    """Each consumer process talks to the same database as the web app."""
    connect_database(settings["DATABASE_URL"])


@huey.pre_execute()
def connect(_task):
    db.connect(reuse_if_open=True)


@huey.post_execute()
def disconnect(_task, _value, _exc):
    if not db.is_closed():
        db.close()
