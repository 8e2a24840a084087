"""Page benchmark: what the member's and the admin's event pages, the public group session
page and an in-place day save cost at 1x and at 10x data, against a bare Flask "hello" on
the same gunicorn configuration.

For each scale (a fresh database each: SQLite in a temp dir, with --postgres a throwaway
PostgreSQL cluster) it:

1. seeds one active event of 10 sessions (1x) or 100 (10x), 5 days each, 6 participants
   and one reminder a session (60 or 600 registrations); a public group session with 6 or
   60 participants; and, at 10x, an event whose one session of 5 days has 200 participants
   (at 1x the day save edits a day of the event's first session, 6 participants);
2. counts the SQL statements of each request by running it in-process through the Flask
   test client with a counting wrapper around `db.obj.execute_sql` (after one uncounted
   run of the same request);
3. starts the real app with the gunicorn configuration `make run` uses (gunicorn.conf.py
   when the checkout has one, else the Makefile's `--workers 2`) and loads each case from
   32 client threads: GET /events/<id> as a member who has not signed up (every session
   shown), GET /admin/events/<id> as an admin, GET /s/<id> anonymously, and the htmx POST
   /admin/days/<id> of the day form. Saves take turns over the session's 5 days, one save
   of a day at a time, and alternate two valid values (end 2 h or 2 h 30 after the start,
   "Hall A" or "Hall B"), so every save changes the day;
4. reads each request's server-side time from gunicorn's access log.

A bare Flask "hello" app (generated in the temp dir) runs beside it on the same
configuration and is loaded by the same client right before and right after each case; a
case's ratio is its requests per second over the mean of those two of the bare app.

Run from the checkout:

    .venv/bin/python bench/pages.py --quick      # 3 s a case, under 2 minutes
    .venv/bin/python bench/pages.py              # 15 s a case
    .venv/bin/python bench/pages.py --postgres   # on PostgreSQL

It prints a table (per case and scale: requests/s, ratio to bare, bytes per answer, SQL
statements per request, client and server-side p95) and last
`pages member_ratio=<r> admin_ratio=<r> member10_ratio=<r> admin10_ratio=<r>
daysave_p95_ms=<n> daysave_bytes=<n> daysave_sql_10x=<n>`: the ratios at 1x and 10x, and
the day save at 10x (the session of 200 participants): server-side p95, bytes, statements.
The exit status is 1 when an answer was not 200 or a day's SEQUENCE did not grow once per
save. Nothing listens beyond 127.0.0.1; servers, PostgreSQL and the temp dir are removed at
the end, also on failure.
"""

import sys
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/pages.py`, Python puts bench/ first on the path; the checkout must
# come first instead, so that `bench.harness` and the app's own modules are found.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import harness, seeding  # noqa: E402
from bench.harness import say  # noqa: E402

DAYS = 5
PARTICIPANTS_PER_SESSION = 6
DAY_SAVE_PARTICIPANTS_10X = 200
ADMIN_EMAIL, MEMBER_EMAIL, HOST_EMAIL = "admin@bench.test", "viewer@bench.test", "host@bench.test"


@dataclass(frozen=True)
class Plan:
    seconds: int  # of load a case
    min_requests: int  # a case gets at least this many, however slow
    bare_seconds: float  # of the bare app right before and right after each case


FULL = Plan(seconds=15, min_requests=32, bare_seconds=3)
QUICK = Plan(seconds=3, min_requests=10, bare_seconds=1)


@dataclass
class Seeded:
    event_id: int
    group_id: int
    days: list  # (day id, its start on the session's wall clock) of the day-save session


# Seeding -----------------------------------------------------------------------------------


def seed(scale):
    from models import Reminder, Role, db, utcnow

    first_day = utcnow().replace(second=0, microsecond=0) + timedelta(days=30)
    with db.connection_context():
        seeding.seed_company(allows_group_sessions=True)
        password_hash = seeding.sign_in_hash()
        seeding.insert_users([ADMIN_EMAIL], password_hash, Role.ADMIN)
        seeding.insert_users([MEMBER_EMAIL], password_hash)
        (host_id,) = seeding.insert_users([HOST_EMAIL], password_hash, Role.HOST)
        event, session_ids = seeding.seed_event("Event", 10 * scale, DAYS, first_day, limit=20)
        for number, session_id in enumerate(session_ids):
            participants(f"s{number}", session_id, PARTICIPANTS_PER_SESSION)
        Reminder.insert_many(
            {"session": s, "offset": 1, "offset_unit": "days", "due_at": first_day - timedelta(1)}
            for s in session_ids
        ).execute()
        group_id = group_session(host_id, first_day, PARTICIPANTS_PER_SESSION * scale)
        day_session_id = session_ids[0]
        if scale > 1:
            _event, (day_session_id,) = seeding.seed_event("Day save", 1, DAYS, first_day)
            participants("daysave", day_session_id, DAY_SAVE_PARTICIPANTS_10X)
        return Seeded(event.id, group_id, days_of(day_session_id))


def participants(prefix, session_id, count):
    emails = [f"{prefix}-{n}@bench.test" for n in range(count)]
    seeding.seed_participants(session_id, seeding.insert_users(emails))


def group_session(host_id, start, count):
    """A public group session of one online day, its host and `count` participants."""
    from models import Registration, RegistrationRole, Session, SessionKind

    session = Session.create(
        kind=SessionKind.GROUP,
        name={"en": "Open group"},
        description="A group session the public page shows.",
        timezone=seeding.TIMEZONE,
        registration_end_at=start,
        participant_limit=count + 10,
        min_participants=2,
        host=host_id,
    )
    seeding.seed_days([session.id], 1, start)
    Registration.create(session=session, user=host_id, role=RegistrationRole.HOST)
    participants("group", session.id, count)
    return session.id


def days_of(session_id):
    from foundation import schedule
    from models import Day

    query = Day.select().where(Day.session == session_id).order_by(Day.start_at)
    return [(day.id, schedule.to_local_naive(day.start_at, seeding.TIMEZONE)) for day in query]


def sequences(days):
    from models import Day, db

    with db.connection_context():
        ids = [day_id for day_id, _start in days]
        return sum(day.sequence for day in Day.select().where(Day.id.in_(ids)))


# The cases ---------------------------------------------------------------------------------

VARIANTS = (
    (timedelta(hours=2), "Hall A, https://example.org/venue"),
    (timedelta(hours=2, minutes=30), "Hall B, https://example.org/venue"),
)


class DaySaves:
    """Saves of the day form, in turn over the session's days; a day is saved by one request
    at a time, and each save takes the value its previous save did not, so each changes it.
    The first save of a day takes the second variant (the seed has the first)."""

    def __init__(self, days):
        self.days = days
        self.locks = [threading.Lock() for _ in days]
        self.turns = [1] * len(days)  # each guarded by its day's lock

    @property
    def saved(self):
        return sum(self.turns) - len(self.turns)

    def save(self, browser, number):
        index = number % len(self.days)
        day_id, start = self.days[index]
        with self.locks[index]:
            length, address = VARIANTS[self.turns[index] % 2]
            form = {
                "start": f"{start:%Y-%m-%dT%H:%M}",
                "end": f"{start + length:%Y-%m-%dT%H:%M}",
                "format": "offline",
                "address": address,
            }
            answer = browser.htmx_post(f"/admin/days/{day_id}", form)
            if answer.status == 200:
                self.turns[index] += 1
        return answer


def requests_of(seeded, saves):
    """Each case as a function of (the three browsers, request number) -> Answer."""
    return {
        "member": lambda people, _n: people["member"].get(f"/events/{seeded.event_id}"),
        "admin": lambda people, _n: people["admin"].get(f"/admin/events/{seeded.event_id}"),
        "public": lambda people, _n: people["visitor"].get(f"/s/{seeded.group_id}"),
        "daysave": lambda people, n: saves.save(people["admin"], n),
    }


def signed_in(make_browser, seeded):
    return {
        "member": make_browser().sign_in(MEMBER_EMAIL, f"/events/{seeded.event_id}"),
        "admin": make_browser().sign_in(ADMIN_EMAIL, f"/admin/events/{seeded.event_id}"),
        "visitor": make_browser(),
    }


def statement_counts(url, seeded, cases):
    """SQL statements of one request of each case, in-process (the second of two runs)."""
    from app import create_app

    app = create_app({"DATABASE_URL": url})
    people, counts = signed_in(lambda: harness.InProcessBrowser(app), seeded), {}
    for name, send in cases.items():
        send(people, 0)
        with harness.StatementCounter() as counter:
            answer = send(people, 1)
        if answer.status != 200:
            raise RuntimeError(f"{name} answered {answer.status} in-process")
        counts[name] = counter.count
    return counts


@dataclass
class Result:
    load: object
    server_seconds: list
    statements: int
    bare_per_s: float

    @property
    def ratio(self):
        return self.load.per_s / self.bare_per_s


def measure(server, bare, seeded, cases, counts, plan):
    people, results = signed_in(lambda: harness.Browser(server.base), seeded), {}
    for name, send in cases.items():
        harness.warm_up(lambda n, send=send: send(people, n), server)
        mark = server.log_mark()
        load, bare_per_s = bare.around(
            lambda send=send: harness.run_load(
                lambda n: send(people, n), seconds=plan.seconds, min_requests=plan.min_requests
            ),
            plan.bare_seconds,
        )
        seconds = server.seconds_since(mark, load.count)
        results[name] = Result(load, seconds, counts[name], bare_per_s)
    return results


def run_scale(work, bare, scale, plan, postgres):
    with seeding.database(work, f"pages-{scale}x", postgres) as url:
        seeded = seed(scale)
        saves = DaySaves(seeded.days)
        before = sequences(seeded.days)
        cases = requests_of(seeded, saves)
        counts = statement_counts(url, seeded, cases)
        with harness.convene(url, work, f"convene-{scale}x") as server:
            say(f"{scale}x: {harness.setup_line(postgres, server)}")
            results = measure(server, bare, seeded, cases, counts, plan)
        changed = sequences(seeded.days) - before
    if changed != saves.saved:
        say(f"FAILED at {scale}x: {saves.saved} day saves answered 200, SEQUENCE grew {changed}")
    return results, changed == saves.saved


# Report ------------------------------------------------------------------------------------


def server_ms(result, fraction):
    return harness.percentile(result.server_seconds, fraction) * 1000


def table(all_results):
    say(
        f"{'case':<8} {'data':>4} {'req/s':>8} {'bare/s':>8} {'ratio':>7} {'bytes':>8} "
        f"{'SQL':>5} {'p95 ms':>8} {'server p50':>10} {'server p95':>10} {'requests':>8}  statuses"
    )
    for scale, results in all_results.items():
        for name, result in results.items():
            load = result.load
            say(
                f"{name:<8} {scale:>3}x {load.per_s:>8.1f} {result.bare_per_s:>8.1f} "
                f"{result.ratio:>7.4f} {load.mean_bytes:>8.0f} {result.statements:>5} "
                f"{load.latency_ms(0.95):>8.0f} {server_ms(result, 0.5):>10.1f} "
                f"{server_ms(result, 0.95):>10.1f} {load.count:>8}  {load.statuses()}"
            )


def main():
    args = harness.arguments(__doc__, with_postgres=True)
    plan = QUICK if args.quick else FULL
    all_results, sequences_ok = {}, True
    with harness.workspace("pages") as work, harness.bare_hello(work) as bare:
        for scale in (1, 10):
            all_results[scale], ok = run_scale(work, bare, scale, plan, args.postgres)
            sequences_ok = sequences_ok and ok
    table(all_results)
    one, ten = all_results[1], all_results[10]
    say(
        f"pages member_ratio={one['member'].ratio:.4f} admin_ratio={one['admin'].ratio:.4f} "
        f"member10_ratio={ten['member'].ratio:.4f} admin10_ratio={ten['admin'].ratio:.4f} "
        f"daysave_p95_ms={server_ms(ten['daysave'], 0.95):.1f} "
        f"daysave_bytes={ten['daysave'].load.mean_bytes:.0f} "
        f"daysave_sql_10x={ten['daysave'].statements}"
    )
    odd = any(
        set(result.load.statuses()) != {200}
        for results in all_results.values()
        for result in results.values()
    )
    return 1 if odd or not sequences_ok else 0


if __name__ == "__main__":
    sys.exit(main())
