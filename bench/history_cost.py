"""What the history costs a sign-up: the same accepted sign-ups, in-process through the Flask
test client, with the history written as the app does and with its recording switched off,
in alternating rounds in one process (so both meet the same machine).

Each round signs up fresh members of a fresh hot session (5 days), each member's first
sign-up; the CPU per sign-up is the thread's CPU time (`time.thread_time()`) around the
requests. "Without" replaces the history's recording functions by no-ops for its rounds
only: what remains is every other statement of the sign-up. The last line is
`history signup_cpu_ms_with=<ms> signup_cpu_ms_without=<ms> overhead_pct=<%>
min_overhead_pct=<%> client=in-process`: medians of the rounds, and the same from each
side's fastest round (the least disturbed by the machine). Target: no more than 5 % slower.
"""

import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# As bench/booking.py: the checkout first on the path, not bench/.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import harness, seeding  # noqa: E402

DAYS = 5
RECORDING = ("record_many", "record_registration", "record_status", "record_move")


@contextmanager
def history_switched_off():
    from sessions import history

    kept = {name: getattr(history, name) for name in RECORDING}
    for name in RECORDING:
        setattr(history, name, lambda *args, **kwargs: None)
    try:
        yield
    finally:
        for name, function in kept.items():
            setattr(history, name, function)


def one_round(app, number, members):
    """The CPU ms per sign-up of `members` fresh members signing up for a fresh session."""
    from models import Registration, db, utcnow

    with db.connection_context():
        first_day = utcnow().replace(second=0, microsecond=0) + timedelta(days=30 + number)
        _event, (session_id,) = seeding.seed_event(f"Round {number}", 1, DAYS, first_day)
        emails = [f"r{number}m{n}@bench.test" for n in range(members)]
        seeding.insert_users(emails, seeding.sign_in_hash())
    browsers = [harness.InProcessBrowser(app).sign_in(email, "/home") for email in emails]
    started = time.thread_time()
    for browser in browsers:
        browser.htmx_post(f"/sessions/{session_id}/signup")
    cpu_ms = 1000 * (time.thread_time() - started) / members
    with db.connection_context():
        registered = Registration.select().where(Registration.session == session_id).count()
    if registered != members:
        raise RuntimeError(f"round {number}: {registered} of {members} registered")
    return cpu_ms


def main():
    args = harness.arguments(__doc__)
    rounds, members = (4, 100) if args.quick else (12, 200)
    from app import create_app

    with harness.workspace("history") as work, seeding.database(work, "history") as url:
        app = create_app({"DATABASE_URL": url})
        from models import db

        with db.connection_context():
            seeding.seed_company()
        one_round(app, 0, 20)  # warm: statements built, templates compiled
        with_history, without = [], []
        for number in range(1, 2 * rounds + 1):
            if number % 2:
                with_history.append(one_round(app, number, members))
            else:
                with history_switched_off():
                    without.append(one_round(app, number, members))
    on, off = statistics.median(with_history), statistics.median(without)
    fastest_on, fastest_off = min(with_history), min(without)
    harness.say(f"rounds with: {' '.join(f'{ms:.2f}' for ms in with_history)}")
    harness.say(f"rounds without: {' '.join(f'{ms:.2f}' for ms in without)}")
    harness.say(
        f"history signup_cpu_ms_with={on:.2f} signup_cpu_ms_without={off:.2f} "
        f"overhead_pct={100 * (on - off) / off:.1f} "
        f"min_overhead_pct={100 * (fastest_on - fastest_off) / fastest_off:.1f} client=in-process"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
