"""Booking benchmark: how fast members get seats in one contested session, against a bare
Flask "hello" on the same gunicorn configuration; whether the seat limit holds; and how
fast an admin's registration file is applied.

It:

1. creates and migrates a fresh database (SQLite in a temp dir; with --postgres a throwaway
   PostgreSQL 15 cluster on loopback); seeds one active event with ONE session of 5 days
   (so each sign-up builds the real confirmation email with its .ics entries and redraws
   the event page) whose seats are three quarters of the members who want one;
2. starts the real app with the gunicorn configuration `make run` uses (its
   gunicorn.conf.py when the checkout has one, else the Makefile's `--workers 2`);
3. signs every member in over HTTP (each with its own cookies and CSRF token), then fires
   every member's sign-up from 32 client threads and times each; every answer counts in
   the throughput, refusals ("Session seats full") and odd answers too;
4. runs a bare Flask "hello" app (generated in the temp dir) beside it under the same
   configuration, and times as many requests (and for at least a few seconds) from the
   same 32-thread client right before and right after the sign-ups: ratio_vs_bare is
   Convene's requests per second over the mean of the bare app's two;
5. checks the database: approved participants never exceed the limit ("overbooked"), the
   seat counter equals the seat-holding registrations, and the members whose answer said
   "You are registered" are exactly those with an approved registration;
6. times applying a registration file (start_import + apply, in-process, the code the
   import job runs) of fresh users into a session of 5 days with enough seats.

Run from the checkout:

    .venv/bin/python bench/booking.py --quick        # 300 members, 500 import rows
    .venv/bin/python bench/booking.py                # 1,000 members, 2,000 import rows
    .venv/bin/python bench/booking.py --postgres     # the same on PostgreSQL

The last two lines are `import rows_per_s=<n>` and
`booking bookings_per_s=<n> p95_ms=<n> overbooked=<n> ratio_vs_bare=<r>`, bookings_per_s
counting every sign-up request answered. The exit status is 1 when any check failed
(overbooking, a wrong seat counter, an odd answer, an accepted answer without its
registration). Nothing listens beyond 127.0.0.1; servers, PostgreSQL and the temp dir are
removed at the end, also on failure.
"""

import csv
import io
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/booking.py`, Python puts bench/ first on the path; the checkout must
# come first instead, so that `bench.harness` and the app's own modules are found.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import harness, seeding  # noqa: E402
from bench.harness import say  # noqa: E402

DAYS = 5
SEATS_FULL = "Session seats full"
REGISTERED = "You are registered."


@dataclass(frozen=True)
class Plan:
    members: int
    seats: int
    import_rows: int
    bare_seconds: int  # the bare app gets as many requests before and after, each this long


FULL = Plan(members=1_000, seats=750, import_rows=2_000, bare_seconds=10)
QUICK = Plan(members=300, seats=225, import_rows=500, bare_seconds=3)


def prepare(plan):
    """The company, the contested event and its members; returns (event, session id, emails)."""
    from models import db, utcnow

    with db.connection_context():
        seeding.seed_company()
        first_day = utcnow().replace(second=0, microsecond=0) + timedelta(days=30)
        event, (session_id,) = seeding.seed_event("Hot", 1, DAYS, first_day, limit=plan.seats)
        emails = [f"member{n}@bench.test" for n in range(plan.members)]
        seeding.insert_users(emails, seeding.sign_in_hash())
    return event, session_id, emails


def sign_in_all(server, event, emails):
    """A signed-in browser for each member; each worker has rendered the event page once,
    as members see it before they sign up."""
    with ThreadPoolExecutor(harness.THREADS) as pool:
        started = time.perf_counter()
        members = list(
            pool.map(lambda email: harness.Browser(server.base).sign_in(email, "/home"), emails)
        )
    say(f"{len(members)} members signed in in {time.perf_counter() - started:.1f} s")
    harness.warm_up(lambda n: members[n].get(f"/events/{event.id}"), server)
    return members


def sign_up_burst(members, session_id):
    """Every member signs up at once, from 32 threads; returns the Load."""
    return harness.run_load(
        lambda n: members[n].htmx_post(f"/sessions/{session_id}/signup"), requests=len(members)
    )


def classify(load, emails):
    """(emails whose answer said "registered", refused count, {odd status: count})."""
    accepted, refused, odd = set(), 0, {}
    for number, answer in load.answers:
        if answer.status == 200 and REGISTERED in (answer.headers.get("HX-Trigger") or ""):
            accepted.add(emails[number])
        elif answer.status == 422 and SEATS_FULL in answer.text:
            refused += 1
        else:
            odd[answer.status] = odd.get(answer.status, 0) + 1
    return accepted, refused, odd


def check_seats(session_id):
    """(overbooked seats, whether the counter is wrong, emails with an approved registration)."""
    from models import Registration, RegistrationRole, Session, Status, User, db

    with db.connection_context():
        session = Session.get_by_id(session_id)
        participants = Registration.select().where(
            Registration.session == session_id, Registration.role == RegistrationRole.PARTICIPANT
        )
        holding = participants.where(Registration.status.in_(Status.HOLDS_SEAT)).count()
        approved = {
            email
            for (email,) in participants.select(User.email)
            .join(User)
            .where(Registration.status == Status.APPROVED)
            .tuples()
        }
    overbooked = max(0, len(approved) - session.participant_limit)
    return overbooked, session.seats_taken != holding, approved


def import_rate(url, rows):
    """Rows per second for start_import + apply of `rows` fresh users into one session."""
    from app import create_app
    from imports import lifecycle
    from models import Company, Session, db, utcnow
    from sessions import registration_import

    app = create_app({"DATABASE_URL": url})
    emails = [f"imported{n}@bench.test" for n in range(rows)]
    with app.test_request_context("/"), db.connection_context():
        company = Company.current()
        company.bulk_rows_limit = rows  # the default cap is 500 rows a file
        company.save()
        first_day = utcnow().replace(second=0, microsecond=0) + timedelta(days=40)
        event, (session_id,) = seeding.seed_event("Import", 1, DAYS, first_day, limit=rows)
        seeding.insert_users(emails)  # they never sign in
        data = registration_file(emails, "Import 1")
        started = time.perf_counter()
        job = registration_import.start_import(event, None, "bench.csv", data, company)
        done = lifecycle.process(job.id)
        seconds = time.perf_counter() - started
        registered = lifecycle.summary(done).get(registration_import.Outcome.REGISTERED, 0)
        seats_taken = Session.get_by_id(session_id).seats_taken
    if registered != rows or seats_taken != rows:
        raise RuntimeError(f"import registered {registered}, seats {seats_taken} of {rows}")
    return rows / seconds


def registration_file(emails, session_name):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["email", "session"])
    writer.writerows([email, session_name] for email in emails)
    return text.getvalue().encode()


def main():
    args = harness.arguments(__doc__, with_postgres=True)
    plan = QUICK if args.quick else FULL
    with (
        harness.workspace("booking") as work,
        seeding.database(work, "booking", args.postgres) as url,
    ):
        event, session_id, emails = prepare(plan)
        with harness.bare_hello(work) as bare, harness.convene(url, work, "convene") as server:
            say(harness.setup_line(args.postgres, server))
            members = sign_in_all(server, event, emails)
            burst, bare_per_s = bare.around(
                lambda: sign_up_burst(members, session_id), plan.bare_seconds, len(emails)
            )
        accepted, refused, odd = classify(burst, emails)
        overbooked, wrong_counter, approved = check_seats(session_id)
        rows_per_s = import_rate(url, plan.import_rows)
    ratio = burst.per_s / bare_per_s
    say(
        f"sign-ups: {burst.count} requests in {burst.wall:.1f} s = {burst.per_s:.1f}/s, "
        f"p50 {burst.latency_ms(0.5):.0f} ms, p95 {burst.latency_ms(0.95):.0f} ms; "
        f"accepted {len(accepted)}, refused {refused}, odd {odd or 0}; "
        f"{plan.seats} seats, {len(approved)} approved in the database"
    )
    say(f"bare hello: {bare_per_s:.1f}/s (the mean of a run right before and right after)")
    say(f"import rows_per_s={rows_per_s:.1f}")
    say(
        f"booking bookings_per_s={burst.per_s:.1f} p95_ms={burst.latency_ms(0.95):.1f} "
        f"overbooked={overbooked} ratio_vs_bare={ratio:.3f}"
    )
    failed = overbooked or wrong_counter or odd or accepted != approved
    if wrong_counter:
        say("FAILED: the seat counter differs from the seat-holding registrations")
    if accepted != approved:
        say(f"FAILED: {len(accepted ^ approved)} answers and registrations disagree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
