"""Booking benchmark: how fast members get seats, whether the seat limit holds, and how fast
an admin's registration file is applied, on SQLite and on PostgreSQL.

For each backend (a SQLite file in a temp dir, then a throwaway PostgreSQL 15 cluster on a
free loopback port) it:

1. creates and migrates the database; seeds one company, one active event whose sessions
   have a seat limit and an open registration, and more members than there are seats;
2. starts the real app under gunicorn (4 workers x 2 threads) on loopback;
3. signs every member in over HTTP (each with its own cookie jar and CSRF token);
4. fires every member's sign-up at once from 32 threads (each member picks a session at
   random, fixed seed) and times each request;
5. checks the database: approved participants never exceed a session's limit
   ("overbooked"), the seat counter equals the seat-holding registrations, and every
   accepted answer has its registration;
6. times importing a registration file (start_import + apply, in-process) of fresh users
   into one session with enough seats.

Run from the checkout:

    .venv/bin/python bench/booking.py --quick   # both backends, under a minute
    .venv/bin/python bench/booking.py           # the full run, a few minutes on 2 cores

The last line is `booking bookings_per_s=<n> p95_ms=<n> overbooked=<n>`: throughput and
latency from PostgreSQL, overbooked summed over both backends. The exit status is 1 when
any correctness check failed (overbooking, a wrong seat counter, an unexpected answer).
Nothing listens beyond 127.0.0.1; gunicorn, PostgreSQL and the temp dirs are removed at the
end, also on failure.
"""

import argparse
import csv
import io
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/booking.py`, Python puts bench/ first on the path, where this file
# would shadow the app's own `booking` module. The app's checkout must come first instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.harness import free_port, say  # noqa: E402

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
SECRET_KEY = "convene-bench-secret"  # the same in every worker, so sessions survive
PASSWORD = "bench-password"
TIMEZONE = "Europe/Moscow"
SEED = 20240611
THREADS = 32
HTTP_TIMEOUT = 30  # seconds, for every request
START_TIMEOUT = 60  # seconds for gunicorn to answer /healthz
CSRF_IN_PAGE = re.compile(r'"X-CSRFToken": "([^"]+)"')
SEATS_FULL = "Session seats full"
# Never through a proxy from the environment: every request here goes to 127.0.0.1.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Plan:
    members: int
    sessions: int
    seats: int  # per session
    import_rows: int


# Twice as many members as seats, so every session is contested and many are refused.
FULL = Plan(members=400, sessions=10, seats=20, import_rows=10_000)
QUICK = Plan(members=80, sessions=4, seats=10, import_rows=1_000)


def isolated_settings(instance):
    """Environment that keeps every side effect of the app inside the temp `instance` dir:
    the secret, the Huey queue (no Redis) and the emails (no SMTP: .eml files, and no
    job consumer runs, so they are only queued)."""
    return {
        "CONVENE_INSTANCE": str(instance),
        "SECRET_KEY": SECRET_KEY,
        "REDIS_URL": "",
        "HUEY_SQLITE_PATH": str(instance / "huey.db"),
        "SMTP_HOST": "",
        "OUTBOX_DIR": str(instance / "outbox"),
    }


# Databases ---------------------------------------------------------------------------------


@contextmanager
def sqlite_database(work):
    yield f"sqlite:///{work / 'convene.db'}"


@contextmanager
def postgres_cluster():
    """A throwaway PostgreSQL cluster on loopback (as in tests/conftest.py), stopped after."""
    base = Path(tempfile.mkdtemp(prefix="convene-bench-pg-"))
    # initdb refuses to run as root: run the server as the postgres user, who owns the dir.
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    pg_ctl = [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data)]
    started = False
    try:
        subprocess.run(
            [
                *as_postgres,
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
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


def prepare_database(url, plan):
    """Migrate `url` and seed the company, the contested event and its members."""
    from werkzeug.security import generate_password_hash

    from app import migrate_database
    from models import Company, Event, Session, User, connect_database, db, utcnow

    connect_database(url)
    migrate_database()
    now = utcnow()
    with db.connection_context():
        Company.create(timezone=TIMEZONE)
        event = Event.create(
            title={"en": "Bench"}, is_active=True, starts_on=(now + timedelta(days=60)).date()
        )
        session_ids = [
            Session.create(
                event=event,
                name={"en": f"Session {number}"},
                timezone=TIMEZONE,
                registration_end_at=now + timedelta(days=30),
                participant_limit=plan.seats,
            ).id
            for number in range(1, plan.sessions + 1)
        ]
        # One real hash for everyone, computed once. A light PBKDF2 rather than the app's
        # default scrypt (~0.13 s a check): signing in is setup, not what is measured, and
        # 400 scrypt checks on 2 cores would take most of the time budget.
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        emails = [f"member{n}@bench.test" for n in range(plan.members)]
        insert_users(User, db, emails, password_hash)
    return event.id, session_ids, emails


def insert_users(user_model, db, emails, password_hash):
    rows = [
        {"email": email, "name": email.split("@")[0], "password_hash": password_hash}
        for email in emails
    ]
    with db.atomic():
        # In batches: SQLite caps the number of parameters in one statement.
        for start in range(0, len(rows), 500):
            user_model.insert_many(rows[start : start + 500]).execute()


# The app under gunicorn --------------------------------------------------------------------


@contextmanager
def gunicorn(url, instance, log):
    """The real app, 4 workers x 2 threads on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, **isolated_settings(instance), "DATABASE_URL": url}
    command = [
        str(GUNICORN),
        "--workers",
        "4",
        "--threads",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--error-logfile",
        str(log),
        "app:create_app()",
    ]
    # Its own process group, so the workers go with the master if it must be killed.
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_healthy(base, server, log)
        yield base
    finally:
        stop_process_group(server)


def wait_until_healthy(base, server, log):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{tail(log)}")
        try:
            with LOOPBACK.open(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz in {START_TIMEOUT} s:\n{tail(log)}")


def stop_process_group(process):
    if process.poll() is not None:
        return
    process.terminate()  # gunicorn's graceful stop: the master stops its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def tail(path, lines=30):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# Members over HTTP -------------------------------------------------------------------------


class Member:
    """One browser: its own cookie jar (the signed session cookie) and CSRF token."""

    def __init__(self, base, email):
        self.base, self.email, self.token = base, email, None
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # never a proxy: loopback only
            urllib.request.HTTPCookieProcessor(CookieJar()),
        )

    def request(self, path, data=None, headers=None):
        """(status, body, final URL) of one request; redirects are followed, and 4xx/5xx
        are answers too."""
        req = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(req, timeout=HTTP_TIMEOUT) as answer:
                return answer.status, answer.read().decode("utf-8", "replace"), answer.url
        except urllib.error.HTTPError as refusal:
            with refusal:
                return refusal.code, refusal.read().decode("utf-8", "replace"), refusal.url

    def sign_in(self):
        _status, page, _url = self.request("/login")
        form = {"email": self.email, "password": PASSWORD, "csrf_token": token_in(page)}
        # The 302 is followed to /home. Signing in clears the session and with it the old
        # token, so the token to send from now on is the one /home's page carries.
        status, page, url = self.request("/login", urllib.parse.urlencode(form).encode())
        if status != 200 or not url.endswith("/home"):
            raise RuntimeError(f"{self.email} could not sign in: {status} at {url}")
        self.token = token_in(page)

    def sign_up(self, session_id):
        """(status, seconds, body) of the htmx sign-up, as the page's button sends it."""
        headers = {"X-CSRFToken": self.token, "HX-Request": "true"}
        started = time.perf_counter()
        status, body, _url = self.request(f"/sessions/{session_id}/signup", b"", headers)
        return status, time.perf_counter() - started, body


def token_in(page):
    found = CSRF_IN_PAGE.search(page)
    if not found:
        raise RuntimeError("no CSRF token in the page")
    return found.group(1)


def sign_in_all(base, emails, pool):
    members = [Member(base, email) for email in emails]
    list(pool.map(Member.sign_in, members))
    return members


@dataclass
class Burst:
    wall: float
    latencies: list
    accepted: int
    refused: int
    unexpected: dict  # status -> count: anything but 200 or 422 "Session seats full"


def fire_sign_ups(members, session_ids, pool):
    """Every member signs up at once for a session picked at random (fixed seed)."""
    picks = random.Random(SEED).choices(session_ids, k=len(members))
    started = time.perf_counter()
    answers = list(pool.map(Member.sign_up, members, picks))
    wall = time.perf_counter() - started
    burst = Burst(wall, sorted(seconds for _s, seconds, _b in answers), 0, 0, {})
    for status, _seconds, body in answers:
        if status == 200:
            burst.accepted += 1
        elif status == 422 and SEATS_FULL in body:
            burst.refused += 1
        else:
            burst.unexpected[status] = burst.unexpected.get(status, 0) + 1
    return burst


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of already sorted values."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


# Checks in the database --------------------------------------------------------------------


def check_seats(event_id):
    """(overbooked seats, sessions whose counter is wrong, approved registrations)."""
    from models import Registration, RegistrationRole, Session, Status, db

    overbooked = wrong_counters = approved_total = 0
    with db.connection_context():
        for session in Session.select().where(Session.event == event_id):
            participants = Registration.select().where(
                Registration.session == session,
                Registration.role == RegistrationRole.PARTICIPANT,
            )
            approved = participants.where(Registration.status == Status.APPROVED).count()
            holding = participants.where(Registration.status.in_(Status.HOLDS_SEAT)).count()
            overbooked += max(0, approved - session.participant_limit)
            wrong_counters += session.seats_taken != holding
            approved_total += approved
    return overbooked, wrong_counters, approved_total


# Import throughput -------------------------------------------------------------------------


def import_rate(url, rows):
    """Rows per second for start_import + apply of `rows` fresh users into one session."""
    from app import create_app
    from models import Company, Event, Session, User, db, utcnow
    from sessions import registration_import

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x"})
    emails = [f"imported{n}@bench.test" for n in range(rows)]
    with app.test_request_context("/"), db.connection_context():
        now = utcnow()
        company = Company.current()
        # The default cap is 500 rows per file; the bench file is bigger on purpose.
        company.bulk_rows_limit = rows
        company.save()
        event = Event.create(title={"en": "Import"}, is_active=True, starts_on=now.date())
        session = Session.create(
            event=event, name={"en": "Imported"}, timezone=TIMEZONE, participant_limit=rows
        )
        insert_users(User, db, emails, "not-a-usable-hash")  # they never sign in
        data = registration_file(emails, "Imported")
        started = time.perf_counter()
        job = registration_import.start_import(event, None, "bench.csv", data, company)
        registration_import.apply(job.id)
        seconds = time.perf_counter() - started
        registered = registration_import.summary(type(job).get_by_id(job.id)).get(
            registration_import.Outcome.REGISTERED, 0
        )
        seats_taken = Session.get_by_id(session.id).seats_taken
    if registered != rows or seats_taken != rows:
        raise RuntimeError(f"import registered {registered}, seats {seats_taken} of {rows}")
    return rows / seconds


def registration_file(emails, session_name):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["email", "session"])
    writer.writerows([email, session_name] for email in emails)
    return text.getvalue().encode()


# One backend -------------------------------------------------------------------------------


def run_backend(name, url, plan, work):
    event_id, session_ids, emails = prepare_database(url, plan)
    with gunicorn(url, work / "instance", work / f"gunicorn-{name}.log") as base:
        with ThreadPoolExecutor(THREADS) as pool:
            started = time.perf_counter()
            members = sign_in_all(base, emails, pool)
            say(
                f"{name}: {len(members)} members signed in in {time.perf_counter() - started:.1f} s"
            )
            burst = fire_sign_ups(members, session_ids, pool)
    overbooked, wrong_counters, approved = check_seats(event_id)
    rate = import_rate(url, plan.import_rows)
    return {
        "bookings_per_s": burst.accepted / burst.wall,
        "requests_per_s": len(members) / burst.wall,
        "p50_ms": percentile(burst.latencies, 0.50) * 1000,
        "p95_ms": percentile(burst.latencies, 0.95) * 1000,
        "accepted": burst.accepted,
        "refused": burst.refused,
        "unexpected": burst.unexpected,
        "seats": plan.sessions * plan.seats,
        "approved_in_db": approved,
        "overbooked": overbooked,
        "wrong_seat_counters": wrong_counters,
        "import_rows_per_s": rate,
    }


def report(name, result):
    figures = " ".join(
        f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}"
        for key, value in result.items()
        if key != "unexpected"
    )
    unexpected = ",".join(f"{status}x{count}" for status, count in result["unexpected"].items())
    say(f"{name}: {figures} unexpected={unexpected or 0}")


def failed_checks(result):
    return (
        result["overbooked"] > 0
        or result["wrong_seat_counters"] > 0
        or result["unexpected"]
        or result["approved_in_db"] != result["accepted"]
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run, under a minute")
    plan = QUICK if parser.parse_args().quick else FULL
    work = Path(tempfile.mkdtemp(prefix="convene-bench-"))
    try:
        (work / "instance").mkdir()
        # Set before the app's modules are first imported (inside the functions above):
        # importing them creates the job queue file and reads the secret from here.
        os.environ.update(isolated_settings(work / "instance"))
        results = {}
        for name, database in (("sqlite", sqlite_database(work)), ("postgres", postgres_cluster())):
            with database as url:
                results[name] = run_backend(name, url, plan, work)
            report(name, results[name])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    postgres = results["postgres"]
    overbooked = sum(result["overbooked"] for result in results.values())
    say(
        f"booking bookings_per_s={postgres['bookings_per_s']:.1f} "
        f"p95_ms={postgres['p95_ms']:.1f} overbooked={overbooked}"
    )
    return 1 if any(failed_checks(result) for result in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
