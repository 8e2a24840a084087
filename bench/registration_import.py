"""Registration import benchmark: how many rows a second an admin's registration file is
applied, in-process, through the code the import job runs.

It creates and migrates a fresh database (SQLite in a temp dir; with --postgres a
throwaway PostgreSQL 15 cluster on loopback), seeds the company, then times start_import
(reading and previewing the file) and the whole apply of a file of fresh users into one
session of 5 days with a seat for each, confirmations included (`import_rate` of
bench/booking.py, which the booking bench runs on a smaller file).

Run from the checkout:

    .venv/bin/python bench/registration_import.py --quick       # 2,000 rows
    .venv/bin/python bench/registration_import.py               # 10,000 rows
    .venv/bin/python bench/registration_import.py --postgres    # the same on PostgreSQL

The last line is `import rows=<n> rows_per_s=<n> cpu_ms=<ms a row> client=in-process`;
the line before it gives the load average. The exit status is 1 when not every row was
registered or the seat counter differs.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import harness, seeding  # noqa: E402
from bench.booking import import_rate  # noqa: E402
from bench.harness import say  # noqa: E402

FULL_ROWS, QUICK_ROWS = 10_000, 2_000


def main():
    args = harness.arguments(__doc__, with_postgres=True)
    rows = QUICK_ROWS if args.quick else FULL_ROWS
    with (
        harness.workspace("import") as work,
        seeding.database(work, "import", args.postgres) as url,
    ):
        from models import db

        with db.connection_context():
            seeding.seed_company()
        try:
            rows_per_s, cpu_ms = import_rate(url, rows)
        except RuntimeError as failure:
            say(f"FAILED: {failure}")
            return 1
    say(
        f"database {'PostgreSQL' if args.postgres else 'SQLite'}; load average "
        f"{Path('/proc/loadavg').read_text().split()[:3]}"
    )
    say(f"import rows={rows} rows_per_s={rows_per_s:.1f} cpu_ms={cpu_ms:.3f} client=in-process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
