"""Bulk session upload benchmark: how many rows a second a bulk file is checked (a dry run)
and applied, in-process, through the code the screen, the job and the command run.

It:

1. creates and migrates a fresh database (SQLite in a temp dir; with --postgres a throwaway
   PostgreSQL 15 cluster on loopback) and seeds 1,000 mentors (hosts), 3,000 members and
   two sessions per mentor (uploaded as a file of their own, not timed) for the Edit and
   Delete rows to name;
2. builds a file of 10,000 rows (--quick: 1,000) in the sample's format: creates, edits
   and deletes of the seeded sessions, in IST and UTC, on every platform, with two mentees
   each; one row in twenty is invalid, in turn every kind of problem (formats, unknown
   people, clashes with existing sessions and within the file, missing, started and
   foreign sessions, changes of type or mentor, seats, links);
3. checks the file, then uploads it, timing each from the upload (`start_upload`, which
   reads the whole file once) to the last row's result, and verifies the counts.

On PostgreSQL the seeded tables are analyzed first, as autovacuum keeps a live database's
statistics: a table filled a moment ago still counts as empty to the planner, which then
joins the batch's clash lookups row by row against every day (measured: 201 rows a second
applied instead of some 1,000).

Run from the checkout:

    .venv/bin/python bench/bulk_upload.py --quick     # 1,000 rows
    .venv/bin/python bench/bulk_upload.py             # 10,000 rows
    .venv/bin/python bench/bulk_upload.py --postgres  # the same on PostgreSQL

The last line is `bulk rows=<n> check_rows_per_s=<n> apply_rows_per_s=<n> invalid=<n>
cpu_ms=<n> check_cpu_ms=<n> client=in-process`, cpu_ms the process's CPU per row applied.
The exit status is 1 when the counts are not what the file holds.
"""

import csv
import io
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import harness, seeding  # noqa: E402
from bench.harness import say  # noqa: E402

MENTORS, MEMBERS = 1_000, 3_000
FULL_ROWS, QUICK_ROWS = 10_000, 1_000
INVALID_EVERY = 20  # one row in twenty: 5%
CPU_SECONDS = {}  # the process CPU time of the last check and of the last apply
PLATFORMS = [
    ("BigBlueButton", "", ""),
    ("Google Meet", "https://meet.google.com/abc-mnop-xyz", ""),
    ("WhatsApp", "https://chat.whatsapp.com/tK0CUX6h4AjDsWoQNStz1g", ""),
    ("Zoom", "https://us02web.zoom.us/j/12345678901?pwd=abc", "123456"),
]


def mentor(n):
    return f"mentor{n % MENTORS}@bench.test"


def mentees(n):
    return f"member{(n * 7) % MEMBERS}@bench.test, member{(n * 7 + 1) % MEMBERS}@bench.test"


def create_row(n, day, hour, zone="UTC", who=None, kind="Public"):
    platform, link, passcode = PLATFORMS[n % len(PLATFORMS)]
    return {
        "Action": "Create",
        "id": "",
        "title": f"Session {n}",
        "description": f"Bulk benchmark session {n}",
        "type": kind,
        "Mentor(Email)": who or mentor(n),
        "Mentees(Email)": mentees(n),
        "Date(DD-MM-YYYY)": day.strftime("%d-%m-%Y"),
        "Time Zone(IST/UTC)": zone,
        "Time (24 hrs)": f"{hour:02d}:00 Hrs" if zone == "IST" else f"{hour:02d}:00",
        "Duration(Min)": "60",
        "recommended_for": "Teachers, Headmasters",
        "categories": "Pedagogy",
        "medium": "English",
        "Meeting Platform": platform,
        "Meeting Link": link,
        "Meeting Passcode (if needed)": passcode,
    }


def to_csv(rows):
    from sessions.bulk_rows import COLUMNS

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([row.get(name, "") for name in COLUMNS] for row in rows)
    return out.getvalue().encode()


def seed_file(first_day):
    """Two sessions per mentor: day 1 at 10:00 UTC (to edit) and day 2 at 10:00 (to delete)."""
    rows = [create_row(n, first_day, 10, who=mentor(n)) for n in range(MENTORS)]
    rows += [
        create_row(n, first_day + timedelta(days=1), 10, who=mentor(n)) for n in range(MENTORS)
    ]
    return rows


def day_of(n, first_day):
    return first_day + timedelta(days=3 + n // MENTORS)


def hour_of(n):
    return 6 + (n // MENTORS) % 12


def invalid_row(n, k, first_day, seeded_edit, started_id):
    """The k-th kind of invalid row (the kinds in turn), for mentor n."""
    good = create_row(n, day_of(n, first_day), 8)
    edit = {**good, "Action": "Edit", "id": str(seeded_edit[n % MENTORS])}
    # The day-2 sessions of mentors 500-999 are never deleted: a clash with one of them.
    keeper = MENTORS // 2 + n % (MENTORS // 2)
    seeded_clash = {
        **create_row(keeper, first_day + timedelta(days=1), 10, who=mentor(keeper)),
        "Time (24 hrs)": "10:30",
    }
    # The valid create just before this row, again for its mentor: a clash in the file.
    before = n - 1 if n else n + 1
    file_clash = create_row(
        before, day_of(before, first_day), hour_of(before), zone="IST" if before % 2 else "UTC"
    )
    crowd = ", ".join(f"member{m}@bench.test" for m in range(21))  # one past the 20 seats
    kinds = [
        {**good, "Date(DD-MM-YYYY)": day_of(n, first_day).strftime("%Y-%m-%d")},
        {**good, "Time Zone(IST/UTC)": "PST"},
        {**good, "Time (24 hrs)": "5 pm"},
        {**good, "Duration(Min)": "20"},
        {**good, "Duration(Min)": "ninety"},
        {**good, "Meeting Platform": "Teams"},
        {**good, "Meeting Platform": "BigBlueButton", "Meeting Link": "https://bbb.example.org/r"},
        {**good, "Meeting Platform": "Google Meet", "Meeting Link": "https://meet.google.com/new"},
        {**good, "Meeting Platform": "", "Meeting Link": "https://meet.google.com/abc-mnop-xyz"},
        {**good, "title": ""},
        {**good, "type": "Open"},
        {**good, "Mentor(Email)": "nobody@bench.test"},
        {**good, "Mentees(Email)": "ghost@bench.test"},
        {**good, "Mentor(Email)": "member1@bench.test"},  # a member cannot mentor
        {**good, "Mentees(Email)": crowd},
        {**good, "Action": "Update"},
        {**good, "id": "12"},
        {**good, "Date(DD-MM-YYYY)": "05-02-2024"},
        {**good, "type": "Private", "Mentees(Email)": ""},
        seeded_clash,
        file_clash,
        {**edit, "id": "999999"},
        {"Action": "Delete", "id": "999998"},
        {**edit, "id": str(started_id)},
        {**edit, "type": "Private"},
        {**edit, "Mentor(Email)": mentor(n + 1)},
    ]
    return kinds[k % len(kinds)]


def bench_rows(count, first_day, seeded_edit, seeded_delete, started_id):
    """`count` rows: 5% invalid (every kind in turn), 10% edits, 5% deletes, the rest
    creates; each mentor's valid rows on days of their own, so none clash by chance."""
    rows, invalid, k = [], 0, 0
    for n in range(count):
        if n % INVALID_EVERY == 0:
            rows.append(invalid_row(n, k, first_day, seeded_edit, started_id))
            k += 1
            invalid += 1
        elif n % 10 == 1:
            target = (n // 10) % len(seeded_edit)
            row = {
                **create_row(target, first_day, 12, zone="IST"),
                "Action": "Edit",
                "id": str(seeded_edit[target]),
                "title": f"Edited {n}",
            }
            rows.append(row)
        elif n % 20 == 3 and n // 20 < len(seeded_delete):
            rows.append({"Action": "Delete", "id": str(seeded_delete[n // 20])})
        else:
            zone = "IST" if n % 2 else "UTC"
            rows.append(create_row(n, day_of(n, first_day), hour_of(n), zone=zone))
    return rows, invalid


def run_file(uploader, company, rows, is_check):
    from imports import lifecycle
    from models import Upload
    from sessions import bulk_upload

    data = to_csv(rows)
    started, cpu_started = time.perf_counter(), time.process_time()
    upload = bulk_upload.start_upload(uploader, "bench.csv", data, company, is_check)
    done = lifecycle.process(upload.id)
    seconds = time.perf_counter() - started
    CPU_SECONDS["check" if is_check else "apply"] = time.process_time() - cpu_started
    return Upload.get_by_id(done.id), seconds


def main():
    args = harness.arguments(__doc__, with_postgres=True)
    count = QUICK_ROWS if args.quick else FULL_ROWS
    with harness.workspace("bulk") as work, seeding.database(work, "bulk", args.postgres) as url:
        from app import create_app
        from models import Role, UploadRow, User, db, utcnow

        app = create_app(
            {"DATABASE_URL": url, "BBB_URL": "http://127.0.0.1:9/bigbluebutton/", "BBB_SECRET": "x"}
        )
        with app.test_request_context("/"), db.connection_context():
            company = seeding.seed_company(bulk_rows_limit=FULL_ROWS * 2)
            seeding.insert_users(["admin@bench.test"], role=Role.ADMIN)
            seeding.insert_users([mentor(n) for n in range(MENTORS)], role=Role.HOST)
            seeding.insert_users([f"member{n}@bench.test" for n in range(MEMBERS)])
            admin = User.get(User.email == "admin@bench.test")
            first_day = datetime.combine(
                (utcnow() + timedelta(days=10)).date(), datetime.min.time()
            )
            seeded, seconds = run_file(admin, company, seed_file(first_day), False)
            ids = [
                row.session_id
                for row in UploadRow.select()
                .where(UploadRow.upload == seeded.id)
                .order_by(UploadRow.line)
            ]
            if seeded.counts.get("published") != 2 * MENTORS:
                say(f"FAILED: seeding published {seeded.counts}")
                return 1
            say(f"seeded {2 * MENTORS} sessions by upload in {seconds:.1f} s")
            started_id = seed_started(company, admin)
            if args.postgres:
                db.execute_sql("ANALYZE")  # as autovacuum keeps a live database's statistics
            rows, invalid = bench_rows(count, first_day, ids[:MENTORS], ids[MENTORS:], started_id)
            before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            checked, check_s = run_file(admin, company, rows, True)
            applied, apply_s = run_file(admin, company, rows, False)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"check: {checked.counts} in {check_s:.1f} s")
    # The peak includes the benchmark's own file (rows as dicts, the CSV); what the check
    # and the upload added on top of it is what must stay flat in the file's size.
    say(
        f"apply: {applied.counts} in {apply_s:.1f} s; peak memory {peak_mb:.0f} MB, "
        f"{peak_mb - before_mb:.0f} MB of it added by the check and the upload"
    )
    say(
        f"bulk rows={count} check_rows_per_s={count / check_s:.0f} "
        f"apply_rows_per_s={count / apply_s:.0f} invalid={applied.counts.get('invalid', 0)} "
        f"cpu_ms={1000 * CPU_SECONDS['apply'] / count:.2f} "
        f"check_cpu_ms={1000 * CPU_SECONDS['check'] / count:.2f} client=in-process"
    )
    wrong = applied.counts.get("invalid", 0) != invalid or checked.counts.get("invalid") != invalid
    if wrong:
        say(f"FAILED: {invalid} rows were made invalid")
    return 1 if wrong else 0


def seed_started(company, admin):
    """A session that started five minutes ago, for the Edit row that must be refused."""
    from models import User, utcnow
    from sessions import mentoring

    now = utcnow() - timedelta(minutes=10)
    values = mentoring.MentoringValues(
        title="Started",
        description="Started",
        session_type="public",
        mentor=User.get(User.email == mentor(MENTORS - 1)),
        start_at=now + timedelta(minutes=5),
        end_at=now + timedelta(minutes=65),
        timezone="UTC",
    )
    return mentoring.create(values, company, now=now).id


if __name__ == "__main__":
    sys.exit(main())
