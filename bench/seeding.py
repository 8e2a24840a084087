"""The benchmarks' data: fresh databases (a SQLite file, or a throwaway PostgreSQL cluster)
and seeding in bulk (company, users, events with sessions and days, registrations).

Like bench/harness.py, it imports the app's modules only inside its functions, once the
script has pointed the environment at its temp dir.
"""

import logging
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bench.harness import PASSWORD, free_port

TIMEZONE = "Europe/Moscow"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


# Databases ---------------------------------------------------------------------------------


@contextmanager
def database(work, name, postgres=False):
    """A fresh, migrated database: a SQLite file in `work`, or a throwaway PostgreSQL
    cluster on loopback (as in tests/conftest.py). Yields its URL."""
    from app import migrate_database
    from models import connect_database

    logging.getLogger("peewee_migrate").setLevel(logging.WARNING)  # one line per migration
    with postgres_cluster() if postgres else sqlite_file(work / f"{name}.db") as url:
        connect_database(url)
        migrate_database()
        yield url


@contextmanager
def sqlite_file(path):
    yield f"sqlite:///{path}"


@contextmanager
def postgres_cluster():
    base = Path(tempfile.mkdtemp(prefix="convene-bench-pg-"))
    # initdb refuses to run as root: run the server as the postgres user, who owns the dir.
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    pg_ctl = [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data)]
    initdb = [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres"]
    started = False
    try:
        subprocess.run(
            [*initdb, "-A", "trust", "--no-sync"], check=True, capture_output=True, timeout=120
        )
        # Only loopback, a socket dir of our own; fsync off as in the tests (a throwaway
        # cluster), so the numbers measure the app, not this machine's disk flushes.
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off"
        subprocess.run(
            [*pg_ctl, "-o", options, "-l", str(base / "log"), "-w", "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        started = True
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run([*pg_ctl, "-m", "fast", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


# Seeding -----------------------------------------------------------------------------------


def seed_company(**settings):
    from models import Company

    return Company.create(timezone=TIMEZONE, locales=["en", "ru"], **settings)


def sign_in_hash():
    """One real hash for everyone who signs in, computed once: a light PBKDF2 rather than
    the app's scrypt (~0.13 s a check), as the tests' factories do. Signing in is setup."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def insert_users(emails, password_hash="not-a-usable-hash", role="member"):
    """Users with these emails, in bulk; returns their ids in the order of `emails`."""
    from models import User, db

    rows = [
        {"email": email, "name": email.split("@")[0], "password_hash": password_hash, "role": role}
        for email in emails
    ]
    with db.atomic():
        for start in range(0, len(rows), 500):  # SQLite caps the parameters of a statement
            User.insert_many(rows[start : start + 500]).execute()
        ids = dict(User.select(User.email, User.id).where(User.email.in_(emails)).tuples())
    return [ids[email] for email in emails]


def seed_event(title, sessions, days, first_day_at, limit=None):
    """An active event with `sessions` sessions of `days` days each (a day a day from
    `first_day_at`, UTC, two hours, offline and online in turn), registration open until
    12 hours before the first day. Returns (event, [session ids])."""
    from models import Event, Session, db

    with db.atomic():
        event = Event.create(
            title={"en": title, "ru": f"{title} (ru)"},
            description=f"{title}: a benchmark event.",
            is_active=True,
            starts_on=first_day_at.date(),
            ends_on=(first_day_at + timedelta(days=max(days - 1, 0))).date(),
        )
        session_ids = [
            Session.create(
                event=event,
                name={"en": f"{title} {number}", "ru": f"{title} {number} (ru)"},
                timezone=TIMEZONE,
                registration_end_at=first_day_at - timedelta(hours=12),
                participant_limit=limit,
            ).id
            for number in range(1, sessions + 1)
        ]
        seed_days(session_ids, days, first_day_at)
    return event, session_ids


def seed_days(session_ids, days, first_day_at):
    from models import Day, DayFormat

    rows = []
    for session_id in session_ids:
        for number in range(days):
            start = first_day_at + timedelta(days=number)
            place = (
                {"format": DayFormat.OFFLINE, "address": "Hall A, https://example.org/venue"}
                if number % 2 == 0
                else {"format": DayFormat.ONLINE, "url": "https://meet.google.com/abc-defg-hij"}
            )
            rows.append(
                {"session": session_id, "start_at": start, "end_at": start + timedelta(hours=2)}
                | place
            )
    for start in range(0, len(rows), 100):
        Day.insert_many(rows[start : start + 100]).execute()


def seed_participants(session_id, user_ids, status="approved"):
    """Registrations of these users in the session (and its event), seat counter included."""
    from models import Registration, Session, Status, db, utcnow

    session, now = Session.get_by_id(session_id), utcnow()
    rows = [
        {
            "session": session_id,
            "event": session.event_id,
            "user": user_id,
            "status": status,
            "created_at": now,
            "updated_at": now,
        }
        for user_id in user_ids
    ]
    with db.atomic():
        for start in range(0, len(rows), 200):
            Registration.insert_many(rows[start : start + 200]).execute()
        if status in Status.HOLDS_SEAT:
            Session.update(seats_taken=Session.seats_taken + len(rows)).where(
                Session.id == session_id
            ).execute()
