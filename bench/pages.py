"""Page benchmark: what the member's and the admin's event pages, the public group session
page and an in-place day save cost at 1x and at 10x data, against a bare Flask "hello" on
the same gunicorn configuration.

For each scale (a fresh database each: SQLite in a temp dir, with --postgres a throwaway
PostgreSQL cluster) it:

1. seeds one active event of 10 sessions (1x) or 100 (10x), 5 days each, 6 participants
   and one reminder a session (60 or 600 registrations); a public group session with 6 or
   60 participants; and, at 10x, an event whose one session of 5 days has 200 participants
   (at 1x the day save edits a day of the event's first session, 6 participants);
2. in-process, through the Flask test client: counts the SQL statements of each request
   with a counting wrapper around `db.obj.execute_sql` (after one uncounted run of the
   same request), and splits the CPU of the member and admin pages and the day save into
   phases (SQL building, SQL execution, rows, rendering, framework: bench/phases.py);
3. starts the real app with the gunicorn configuration `make run` uses (gunicorn.conf.py
   when the checkout has one, else the Makefile's `--workers 2`) and loads each case with
   wrk, 2 threads and 32 connections (bench/wrk.py): GET /events/<id> as a member who has
   not signed up (every session shown), GET /admin/events/<id> as an admin, GET /s/<id>
   anonymously (each for about the case's seconds: a one-second probe sizes the run), and
   a fixed number of htmx POSTs /admin/days/<id> of the day form, in turn over the
   session's 5 days, each with a hall no other save used, so every save changes its day;
4. reads each request's server-side time from gunicorn's access log, and the server's CPU
   per request from its workers' CPU time over the case.

A bare Flask "hello" app (generated in the temp dir) runs beside it on the same
configuration and is loaded by the same wrk right before and right after each case; a
case's ratio is its requests per second over the mean of those two of the bare app.

Run from the checkout:

    .venv/bin/python bench/pages.py --quick      # 3 s a case, under 2 minutes
    .venv/bin/python bench/pages.py              # 15 s a case
    .venv/bin/python bench/pages.py --postgres   # on PostgreSQL

It prints a table (per case and scale: requests/s, the bare app's, their ratio, server CPU
ms per request and the bare app's, bytes per answer, SQL statements per request, wrk's p95
and the server-side p50 and p95), a `phases <case> <scale>: total=… budget=…` line per
profiled case, and last `pages member_ratio=<r> admin_ratio=<r> member10_ratio=<r>
admin10_ratio=<r> daysave_p95_ms=<n> daysave_bytes=<n> daysave_sql_10x=<n>
member_cpu_ms=<n> admin_cpu_ms=<n> member10_cpu_ms=<n> admin10_cpu_ms=<n>
daysave10_cpu_ms=<n> bare_cpu_ms=<n> worker_rss_mb=<n> client=wrk-t2-c32`: the ratios at 1x
and 10x, the day save at 10x (the session of 200 participants: server-side p95, bytes,
statements), the server's CPU per request, and the largest web worker's resident memory
after the load (at either scale). The exit status is 1 when an answer was not 200 or the
days' SEQUENCE did not grow once per save. Nothing listens beyond 127.0.0.1; servers,
PostgreSQL and the temp dir are removed at the end, also on failure.
"""

import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/pages.py`, Python puts bench/ first on the path; the checkout must
# come first instead, so that `bench.harness` and the app's own modules are found.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import harness, phases, seeding, wrk  # noqa: E402
from bench.harness import say  # noqa: E402

DAYS = 5
PARTICIPANTS_PER_SESSION = 6
DAY_SAVE_PARTICIPANTS_10X = 200
ADMIN_EMAIL, MEMBER_EMAIL, HOST_EMAIL = "admin@bench.test", "viewer@bench.test", "host@bench.test"


@dataclass(frozen=True)
class Plan:
    seconds: int  # of load a page case (as many requests as a probe says fit)
    min_requests: int  # a case gets at least this many, however slow
    bare_seconds: float  # of the bare app right before and right after each case
    daysaves: int  # day saves measured
    profiled: int  # requests of each case split into phases, in-process


FULL = Plan(seconds=15, min_requests=128, bare_seconds=3, daysaves=1_500, profiled=300)
QUICK = Plan(seconds=3, min_requests=64, bare_seconds=1, daysaves=300, profiled=100)
WARM_UP_SAVES = 32  # through wrk before the measured saves, so that every worker is warm


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

LENGTHS = 60  # a day's saves end 2 h, 2 h 1 min, ... 2 h 59 after its start, then again
# The CPU a request should cost, in ms, at 1x and at 10x data.
BUDGETS_MS = {"member": (2, 3), "admin": (3, 4), "daysave": (3, 3)}


class DaySaves:
    """Saves of the day form, in turn over the session's days, each ending at a time none
    of the day's last 59 saves did: every save changes its day, in whatever order
    concurrent saves land, even when the day it compares with was read a few saves ago."""

    def __init__(self, days):
        self.days, self.issued, self.saved = days, 0, 0

    def next_form(self):
        """(the day's id, a form that changes it)."""
        number, self.issued = self.issued, self.issued + 1
        day_id, start = self.days[number % len(self.days)]
        end = start + timedelta(hours=2, minutes=number // len(self.days) % LENGTHS)
        form = {
            "start": f"{start:%Y-%m-%dT%H:%M}",
            "end": f"{end:%Y-%m-%dT%H:%M}",
            "format": "offline",
            "address": f"Hall {number}, https://example.org/venue",
        }
        return day_id, form

    def save(self, browser):
        """One save in-process; counted when it answered 200."""
        day_id, form = self.next_form()
        answer = browser.htmx_post(f"/admin/days/{day_id}", form)
        self.saved += answer.status == 200
        return answer

    def requests(self, browser, count):
        """`count` saves for wrk, as `browser`."""
        return [
            wrk.browser_request(browser, "POST", f"/admin/days/{day_id}", form, htmx=True)
            for day_id, form in (self.next_form() for _ in range(count))
        ]


def pages_of(seeded):
    """Each page case as (who, path)."""
    return {
        "member": ("member", f"/events/{seeded.event_id}"),
        "admin": ("admin", f"/admin/events/{seeded.event_id}"),
        "public": ("visitor", f"/s/{seeded.group_id}"),
    }


def signed_in(make_browser, seeded):
    return {
        "member": make_browser().sign_in(MEMBER_EMAIL, f"/events/{seeded.event_id}"),
        "admin": make_browser().sign_in(ADMIN_EMAIL, f"/admin/events/{seeded.event_id}"),
        "visitor": make_browser(),
    }


def in_process(url, seeded, saves, profiled, scale):
    """(SQL statements of one request of each case, the second of two runs; phase lines of
    the member and admin pages and the day save over `profiled` requests each)."""
    from app import create_app

    app = create_app({"DATABASE_URL": url})
    people, counts, lines = signed_in(lambda: harness.InProcessBrowser(app), seeded), {}, []
    sends = {
        name: (lambda who=who, path=path: people[who].get(path))
        for name, (who, path) in pages_of(seeded).items()
    }
    sends["daysave"] = lambda: saves.save(people["admin"])
    for name, send in sends.items():
        send()
        with harness.StatementCounter() as counter:
            answer = send()
        if answer.status != 200:
            raise RuntimeError(f"{name} answered {answer.status} in-process")
        counts[name] = counter.count
        if name in BUDGETS_MS:
            with phases.measuring(app) as clock:
                statuses = {send().status for _ in range(profiled)}
            if statuses != {200}:
                raise RuntimeError(f"{name} answered {statuses} in-process")
            budget = BUDGETS_MS[name][scale > 1]
            lines.append(clock.line(f"{name} {scale}x", budget))
    return counts, lines


@dataclass
class Result:
    load: object
    server_seconds: list
    statements: int
    baseline: object

    @property
    def ratio(self):
        return self.load.per_s / self.baseline.per_s


def measure(server, bare, seeded, saves, counts, plan):
    people, results = signed_in(lambda: harness.Browser(server.base), seeded), {}
    loads = {
        name: lambda who=who, path=path: wrk.sized(
            server, wrk.browser_request(people[who], "GET", path), plan.seconds, plan.min_requests
        )
        for name, (who, path) in pages_of(seeded).items()
    }
    warm_up = wrk.run(server, saves.requests(people["admin"], WARM_UP_SAVES))
    saves.saved += warm_up.statuses().get(200, 0)
    loads["daysave"] = lambda: wrk.run(server, saves.requests(people["admin"], plan.daysaves))
    for name, load_of in loads.items():
        mark = server.log_mark()
        load, baseline = bare.around(load_of, plan.bare_seconds)
        if name == "daysave":
            saves.saved += load.statuses().get(200, 0)
        seconds = server.seconds_since(mark, load.count)
        results[name] = Result(load, seconds, counts[name], baseline)
    return results


def run_scale(work, bare, scale, plan, postgres):
    with seeding.database(work, f"pages-{scale}x", postgres) as url:
        seeded = seed(scale)
        saves = DaySaves(seeded.days)
        before = sequences(seeded.days)
        counts, lines = in_process(url, seeded, saves, plan.profiled, scale)
        with harness.convene(url, work, f"convene-{scale}x") as server:
            say(f"{scale}x: {harness.setup_line(postgres, server)}")
            results = measure(server, bare, seeded, saves, counts, plan)
            rss_mb = server.worker_rss_mb()
        changed = sequences(seeded.days) - before
    if changed != saves.saved:
        say(f"FAILED at {scale}x: {saves.saved} day saves answered 200, SEQUENCE grew {changed}")
    return results, lines, changed == saves.saved, rss_mb


# Report ------------------------------------------------------------------------------------


def server_ms(result, fraction):
    return harness.percentile(result.server_seconds, fraction) * 1000


def table(all_results):
    say(
        f"{'case':<8} {'data':>4} {'req/s':>8} {'bare/s':>8} {'ratio':>7} {'cpu ms':>7} "
        f"{'bare cpu':>8} {'bytes':>7} {'SQL':>4} {'p95 ms':>7} {'server p50':>10} "
        f"{'server p95':>10} {'requests':>8} {'fillers':>7}  statuses"
    )
    for scale, results in all_results.items():
        for name, result in results.items():
            load = result.load
            say(
                f"{name:<8} {scale:>3}x {load.per_s:>8.1f} {result.baseline.per_s:>8.1f} "
                f"{result.ratio:>7.4f} {load.cpu_ms:>7.2f} {result.baseline.cpu_ms:>8.3f} "
                f"{load.mean_bytes:>7.0f} {result.statements:>4} {load.latency_ms['p95']:>7.0f} "
                f"{server_ms(result, 0.5):>10.1f} {server_ms(result, 0.95):>10.1f} "
                f"{load.count:>8} {load.fillers:>7}  {load.statuses()}"
            )


def last_line(one, ten, rss_mb):
    loads = [result for results in (one, ten) for result in results.values()]
    bare_cpu_ms = sum(r.baseline.cpu_ms for r in loads) / len(loads)
    return (
        f"pages member_ratio={one['member'].ratio:.4f} admin_ratio={one['admin'].ratio:.4f} "
        f"member10_ratio={ten['member'].ratio:.4f} admin10_ratio={ten['admin'].ratio:.4f} "
        f"daysave_p95_ms={server_ms(ten['daysave'], 0.95):.1f} "
        f"daysave_bytes={ten['daysave'].load.mean_bytes:.0f} "
        f"daysave_sql_10x={ten['daysave'].statements} "
        f"member_cpu_ms={one['member'].load.cpu_ms:.2f} "
        f"admin_cpu_ms={one['admin'].load.cpu_ms:.2f} "
        f"member10_cpu_ms={ten['member'].load.cpu_ms:.2f} "
        f"admin10_cpu_ms={ten['admin'].load.cpu_ms:.2f} "
        f"daysave10_cpu_ms={ten['daysave'].load.cpu_ms:.2f} "
        f"bare_cpu_ms={bare_cpu_ms:.2f} worker_rss_mb={rss_mb:.0f} client={wrk.CLIENT}"
    )


def main():
    args = harness.arguments(__doc__, with_postgres=True)
    plan = QUICK if args.quick else FULL
    all_results, phase_lines, sequences_ok, rss_mb = {}, [], True, 0.0
    with harness.workspace("pages") as work, wrk.bare_hello(work) as bare:
        for scale in (1, 10):
            all_results[scale], lines, ok, rss = run_scale(work, bare, scale, plan, args.postgres)
            rss_mb = max(rss_mb, rss)
            phase_lines += lines
            sequences_ok = sequences_ok and ok
    table(all_results)
    say(f"load average {Path('/proc/loadavg').read_text().split()[:3]}")
    for line in phase_lines:
        say(line)
    say(last_line(all_results[1], all_results[10], rss_mb))
    odd = any(
        set(result.load.statuses()) != {200}
        for results in all_results.values()
        for result in results.values()
    )
    return 1 if odd or not sequences_ok else 0


if __name__ == "__main__":
    sys.exit(main())
