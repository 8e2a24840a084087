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
3. signs every member in over HTTP (each with its own cookies and CSRF token), then sends
   every member's sign-up once with wrk (2 threads, 32 connections: bench/wrk.py); every
   answer counts in the throughput, refusals ("Session seats full") and odd answers too.
   The server's CPU per sign-up is its workers' CPU time over the burst, per answer;
4. runs a bare Flask "hello" app (generated in the temp dir) beside it under the same
   configuration, loaded by the same wrk for a few seconds right before and right after
   the sign-ups: ratio_vs_bare is Convene's requests per second over the mean of the bare
   app's two, bare_cpu_ms its CPU per request;
5. checks the database: approved participants never exceed the limit ("overbooked"), the
   seat counter equals the seat-holding registrations, and as many answers said "You are
   registered" as there are approved registrations (wrk cannot tell which answer was
   whose, so the counts are compared);
6. times applying a registration file (start_import + apply, in-process, the code the
   import job runs) of fresh users into a session of 5 days with enough seats;
7. splits the CPU of an accepted sign-up into phases (SQL building, SQL execution, rows,
   rendering, framework: bench/phases.py), in-process through the Flask test client, over
   a few hundred members signing up for a session with a seat for each.

Run from the checkout:

    .venv/bin/python bench/booking.py --quick        # 300 members, 500 import rows
    .venv/bin/python bench/booking.py                # 1,000 members, 2,000 import rows
    .venv/bin/python bench/booking.py --postgres     # the same on PostgreSQL

The last lines are `phases signup: total=<ms> sql_build=<ms> …`, `import rows_per_s=<n>
cpu_ms=<ms a row> client=in-process` and `booking bookings_per_s=<n> p95_ms=<n>
overbooked=<n> ratio_vs_bare=<r> cpu_ms=<n> bare_cpu_ms=<n> worker_rss_mb=<n>
client=wrk-t2-c32`, bookings_per_s counting every sign-up request answered, p95_ms wrk's
latency, worker_rss_mb the largest web worker's resident memory after the load. The exit
status is 1 when any check failed (overbooking, a wrong seat counter, an odd answer, not
as many "registered" answers as approved registrations). Nothing listens beyond 127.0.0.1;
servers, PostgreSQL and the temp dir are removed at the end, also on failure.
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

from bench import harness, phases, seeding, wrk  # noqa: E402
from bench.harness import say  # noqa: E402

DAYS = 5
SEATS_FULL = "Session seats full"
REGISTERED = "You are registered."


@dataclass(frozen=True)
class Plan:
    members: int
    seats: int
    import_rows: int
    bare_seconds: int  # of the bare app right before and right after the sign-ups
    profiled: int  # accepted sign-ups split into phases, in-process


FULL = Plan(members=1_000, seats=750, import_rows=2_000, bare_seconds=5, profiled=400)
QUICK = Plan(members=300, seats=225, import_rows=500, bare_seconds=3, profiled=200)
SIGNUP_BUDGET_MS = 2.5  # the CPU a sign-up should cost


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


def sign_up_burst(server, members, session_id):
    """Every member's sign-up, once each, through wrk; returns the WrkLoad."""
    path = f"/sessions/{session_id}/signup"
    requests = [wrk.browser_request(member, "POST", path, htmx=True) for member in members]
    return wrk.run(server, requests, markers=(REGISTERED, SEATS_FULL))


def classify(load):
    """(answers that said "registered", refused ones, {odd status: count})."""
    accepted, refused = load.marked(200, 1), load.marked(422, 2)
    odd = {}
    for (status, marker), number in load.counts.items():
        if (status, marker) not in ((200, 1), (422, 2)):
            odd[status] = odd.get(status, 0) + number
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
    """(rows per second, CPU ms per row) of start_import + apply of `rows` fresh users
    into one session."""
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
        started, cpu_started = time.perf_counter(), time.process_time()
        job = registration_import.start_import(event, None, "bench.csv", data, company)
        done = lifecycle.process(job.id)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        registered = lifecycle.summary(done).get(registration_import.Outcome.REGISTERED, 0)
        seats_taken = Session.get_by_id(session_id).seats_taken
    if registered != rows or seats_taken != rows:
        raise RuntimeError(f"import registered {registered}, seats {seats_taken} of {rows}")
    return rows / seconds, 1000 * cpu / rows


def signup_phases(url, count):
    """The phases of `count` accepted sign-ups, each member's first, in-process."""
    from app import create_app
    from models import db, utcnow

    app = create_app({"DATABASE_URL": url})
    with db.connection_context():
        first_day = utcnow().replace(second=0, microsecond=0) + timedelta(days=50)
        _event, (session_id,) = seeding.seed_event("Profiled", 1, DAYS, first_day, limit=count)
        emails = [f"profiled{n}@bench.test" for n in range(count)]
        seeding.insert_users(emails, seeding.sign_in_hash())
    members = [harness.InProcessBrowser(app).sign_in(email, "/home") for email in emails]
    with phases.measuring(app) as clock:
        answers = [member.htmx_post(f"/sessions/{session_id}/signup") for member in members]
    accepted = sum(REGISTERED in (answer.headers.get("HX-Trigger") or "") for answer in answers)
    if accepted != count:
        raise RuntimeError(f"only {accepted} of {count} profiled sign-ups were accepted")
    return clock.line("signup", SIGNUP_BUDGET_MS)


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
        with wrk.bare_hello(work) as bare, harness.convene(url, work, "convene") as server:
            say(harness.setup_line(args.postgres, server))
            members = sign_in_all(server, event, emails)
            burst, baseline = bare.around(
                lambda: sign_up_burst(server, members, session_id), plan.bare_seconds
            )
            rss_mb = server.worker_rss_mb()
        accepted, refused, odd = classify(burst)
        overbooked, wrong_counter, approved = check_seats(session_id)
        rows_per_s, import_cpu_ms = import_rate(url, plan.import_rows)
        phase_line = signup_phases(url, plan.profiled)
    report(plan, burst, baseline, (accepted, refused, odd, approved))
    say(phase_line)
    say(f"import rows_per_s={rows_per_s:.1f} cpu_ms={import_cpu_ms:.2f} client=in-process")
    say(
        f"booking bookings_per_s={burst.per_s:.1f} p95_ms={burst.latency_ms['p95']:.1f} "
        f"overbooked={overbooked} ratio_vs_bare={burst.per_s / baseline.per_s:.3f} "
        f"cpu_ms={burst.cpu_ms:.2f} bare_cpu_ms={baseline.cpu_ms:.2f} "
        f"worker_rss_mb={rss_mb:.0f} client={wrk.CLIENT}"
    )
    failed = overbooked or wrong_counter or odd or accepted != len(approved)
    if wrong_counter:
        say("FAILED: the seat counter differs from the seat-holding registrations")
    if accepted != len(approved):
        say(f"FAILED: {accepted} answers said registered, {len(approved)} are approved")
    return 1 if failed else 0


def report(plan, burst, baseline, outcome):
    accepted, refused, odd, approved = outcome
    say(
        f"sign-ups: {burst.count} requests in {burst.seconds:.2f} s = {burst.per_s:.1f}/s, "
        f"p50 {burst.latency_ms['p50']:.0f} ms, p95 {burst.latency_ms['p95']:.0f} ms (wrk); "
        f"server CPU {burst.cpu_ms:.2f} ms a sign-up ({burst.fillers} fillers, "
        f"{burst.filler_cpu_seconds:.2f} s CPU taken off); accepted {accepted}, refused {refused}, "
        f"odd {odd or 0}; {plan.seats} seats, {len(approved)} approved in the database"
    )
    say(
        f"bare hello: {baseline.per_s:.1f}/s, server CPU {baseline.cpu_ms:.3f} ms a request "
        f"(runs right before and right after: {[round(b.per_s) for b in baseline.loads]}/s); "
        f"load average {Path('/proc/loadavg').read_text().split()[:3]}"
    )


if __name__ == "__main__":
    sys.exit(main())
