"""Reminder benchmark: how long one due reminder to many people takes to reach an SMTP
server, end to end through the outbox and real Huey consumers, compared with plain smtplib
over as many connections as the consumers have threads; and whether every person gets it
exactly once.

It:

1. creates and migrates a fresh SQLite database in a temp dir; seeds one company, one
   active dated event, one session with one day tomorrow, N approved participants
   (10,000; 1,000 with --quick) and one reminder, not yet due;
2. starts an SMTP sink (aiosmtpd) on a free 127.0.0.1 port in its own process, which
   records every message's Message-ID, arrival time and connection;
3. starts 2 real consumers as `make run` does (`huey_consumer tasks.huey -k thread -w 2`)
   on the same SQLite queue, and waits until each has run a job (an empty delivery), so
   the measurement does not include their start;
4. makes the reminder due and, from that moment, runs `reminders.send_due()` in-process
   as the minutely job does: it queues the emails and asks for delivery as the app asks
   for it (the bench asks for nothing more); then waits until the sink has N reminder
   messages or no email is queued or sending any more. per_s is N over the time from just
   before send_due() to the last reminder received. The consumers' own minutely sweep
   (every 60 s from their start) runs meanwhile as it would, and is counted;
5. baseline, with the consumers stopped: N equivalent messages (same subject and bodies as
   the reminder, a fresh MIME message each) sent with plain smtplib from 4 threads, each
   over one connection (2 consumers x 2 threads = 4 connections), timed from the start to
   the last answer;
6. checks the outbox rows and the sink: sent rows, duplicates (messages received minus
   unique Message-IDs) and lost (reminder emails whose Message-ID never arrived).

Run from the checkout:

    .venv/bin/python bench/reminders.py --quick   # 1,000 registrants
    .venv/bin/python bench/reminders.py           # 10,000 registrants

The last line is `reminders sent=<n> per_s=<n> ratio_vs_smtplib=<r> duplicates=<n> lost=<n>
cpu_ms=<n> smtplib_cpu_ms=<n> client=huey-2x2-vs-smtplib-4`: cpu_ms is the consumers' CPU
time (user + system, from /proc) per email sent, smtplib_cpu_ms the baseline's own.
The exit status is 1 when anything was duplicated, lost or left unsent. Nothing listens
beyond 127.0.0.1; the consumers, the sink and the temp dir are removed at the end, also on
failure.
"""

import os
import re
import signal
import smtplib
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/reminders.py`, Python puts bench/ first on the path; the checkout
# must come first instead, so that `bench.harness` and the app's own modules are found.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench import harness, seeding  # noqa: E402
from bench.harness import say  # noqa: E402
from bench.smtp_sink import smtp_sink  # noqa: E402

CONSUMERS = 2
THREADS_PER_CONSUMER = 2
CONNECTIONS = CONSUMERS * THREADS_PER_CONSUMER  # of the baseline, as many as consumer threads
SMTP_TIMEOUT = 30  # seconds, for every SMTP connection and command of the baseline
STOP_TIMEOUT = 20  # seconds a consumer gets to finish its task after SIGINT
READY_TIMEOUT = 60  # seconds for the consumers to run their first job
POLL = 0.2  # seconds between looks at the sink while waiting
CLIENT = f"huey-{CONSUMERS}x{THREADS_PER_CONSUMER}-vs-smtplib-{CONNECTIONS}"


@dataclass(frozen=True)
class Plan:
    registrants: int
    timeout: int  # seconds to wait for delivery


FULL = Plan(registrants=10_000, timeout=900)
QUICK = Plan(registrants=1_000, timeout=100)


def mail_settings(url, smtp_port):
    """The database and the sink, for this process and the consumers."""
    return {
        "DATABASE_URL": url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TLS": "none",
        "SMTP_USER": "",
    }


# The database ------------------------------------------------------------------------------


def prepare(registrants):
    """The event, its session and day, N approved participants and one reminder that is not
    due yet; returns (reminder id, participant user ids)."""
    from models import Reminder, db, utcnow

    first_day = utcnow().replace(second=0, microsecond=0) + timedelta(days=1)
    with db.connection_context():
        seeding.seed_company()
        _event, (session_id,) = seeding.seed_event("Reminder bench", 1, 1, first_day)
        emails = [f"member{n}@bench.test" for n in range(registrants)]
        user_ids = seeding.insert_users(emails)
        seeding.seed_participants(session_id, user_ids)
        reminder = Reminder.create(session=session_id, fixed_at=first_day, due_at=first_day)
    return reminder.id, user_ids


def queue_reminder(reminder_id):
    """Make the reminder due and run send_due() as the minutely job does, in an app context;
    returns (time.time() just before, seconds send_due took, what it did).

    The consumers run the same sweep every 60 s of their own clock; when it falls inside
    this run, both queue the reminder at once, and on SQLite this run may give up on the
    write lock. The sweep's run then carries on, and the measurement goes on with it."""
    import peewee as pw

    from app import create_app
    from models import Reminder, db, utcnow
    from sessions import reminders

    app = create_app()
    with app.app_context(), db.connection_context():
        due = utcnow() - timedelta(minutes=1)
        Reminder.update(fixed_at=due, due_at=due).where(Reminder.id == reminder_id).execute()
        started, clock = time.time(), time.perf_counter()
        try:
            outcome = f"marked {reminders.send_due()} reminder sent"
        except pw.OperationalError as error:
            outcome = f"FAILED: {error}"
        seconds = time.perf_counter() - clock
    return started, seconds, outcome


def sent_sample():
    """One delivered reminder as the worker rendered it: the baseline sends its likes."""
    from app import create_app
    from models import Email, EmailStatus, db

    with create_app().app_context(), db.connection_context():
        sample = Email.select().where(Email.status == EmailStatus.SENT).order_by(Email.id).first()
    if sample is None:
        raise RuntimeError("no reminder was delivered")
    return sample


def outbox_counts(reminder_id):
    """{status: rows} of this reminder's emails, read from the bench's own connection."""
    import peewee as pw

    from models import Broadcast, Email, db

    with db.connection_context():
        query = (
            Email.select(Email.status, pw.fn.COUNT(Email.id))
            .where(Email.key.startswith(f"reminder:{reminder_id}:"))
            .group_by(Email.status)
            .tuples()
        )
        counts = dict(query)
        # A broadcast not yet turned into emails is work still queued.
        pending = Broadcast.select().where(Broadcast.expanded_at.is_null()).count()
        if pending:
            counts["queued"] = counts.get("queued", 0) + pending
        return counts


# Baseline: plain smtplib over as many connections ------------------------------------------


def baseline_message(sample, sender, number):
    """The same shape as transports.build_message: headers, text part, HTML alternative."""
    message = EmailMessage()
    message["Subject"] = sample.subject
    message["From"] = sender
    message["To"] = sample.to_address
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<baseline.{number}@bench>"
    message.set_content(sample.text_body)
    message.add_alternative(sample.html_body, subtype="html")
    return message


def smtplib_rate(port, sample, count, sender):
    """Messages per second of CONNECTIONS threads, each with one smtplib connection, sending
    `count` messages between them, each built in the loop (as the outbox builds each one);
    returns (per_s, bytes of one message, seconds, CPU ms per message)."""
    size = len(bytes(baseline_message(sample, sender, 0)))
    errors = []

    def send_share(first):
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=SMTP_TIMEOUT) as connection:
                for number in range(first, count, CONNECTIONS):
                    connection.send_message(baseline_message(sample, sender, number))
        except (smtplib.SMTPException, OSError) as error:
            errors.append(error)

    threads = [threading.Thread(target=send_share, args=(n,)) for n in range(CONNECTIONS)]
    started, cpu_started = time.perf_counter(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if errors:
        raise RuntimeError(f"the smtplib baseline failed: {errors[0]}")
    return count / seconds, size, seconds, 1000 * cpu / count


# The real thing: Huey consumers ------------------------------------------------------------


@contextmanager
def huey_consumers(logs):
    """CONSUMERS real consumer processes, started as `make run` starts its one; yields their
    Popen objects once each has run a job. Stopped in the end: SIGINT (Huey's graceful
    stop: the running task finishes), then SIGKILL for the whole process group."""
    processes = []
    command = [
        str(harness.VENV_BIN / "huey_consumer"),
        "tasks.huey",
        "-k",
        "thread",
        "-w",
        str(THREADS_PER_CONSUMER),
    ]
    try:
        for number in range(CONSUMERS):
            with open(logs / f"consumer-{number}.log", "wb") as log:
                # Its own process group, so nothing it starts outlives a SIGKILL.
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=harness.ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        wait_until_ready(logs, processes)
        yield processes
    finally:
        for process in processes:
            stop_consumer(process)


def consumers_cpu_seconds(processes):
    """The CPU time (user + system, all threads) the consumer processes have used so far."""
    return sum(harness.process_cpu_seconds(process.pid) for process in processes)


def wait_until_ready(logs, processes):
    """Ask for (empty) deliveries until every consumer's log shows a finished job: then each
    has imported the app and opened its database, as a long-running consumer has."""
    from messaging import mail

    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a consumer exited:\n{harness.tail(logs / 'consumer-0.log')}")
        logs_read = [log.read_text(errors="replace") for log in consumer_logs(logs)]
        if all(" executed in " in text for text in logs_read):
            return
        mail.deliver_outbox()
        time.sleep(0.5)
    raise RuntimeError(f"the consumers did not run a job in {READY_TIMEOUT} s")


def consumer_logs(logs):
    return sorted(logs.glob("consumer-*.log"))


def stop_consumer(process):
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for_delivery(sink, reminder_id, expected, processes, deadline):
    """Until the sink has `expected` reminder messages, or no email is queued or sending,
    or every consumer has died, or the deadline; returns why it stopped waiting."""
    next_db_look = 0.0
    while time.monotonic() < deadline:
        received, _last = sink.count("<")  # only the consumers send until the baseline
        if received >= expected:
            return "all received"
        if time.monotonic() >= next_db_look:  # the database once a second: it is busier
            counts = outbox_counts(reminder_id)
            if not counts.get("queued") and not counts.get("sending"):
                return "outbox settled"
            next_db_look = time.monotonic() + 1
        if all(process.poll() is not None for process in processes):
            return "every consumer exited"
        time.sleep(POLL)
    return "timeout"


def sweeps(logs):
    """How many minutely sweeps the consumers have started so far."""
    return sum(
        log.read_text().count("Executing background.every_minute") for log in consumer_logs(logs)
    )


def consumer_trouble(logs):
    """Log lines of the consumers that tell of an error, for the report."""
    lines = []
    for log in consumer_logs(logs):
        for line in log.read_text(errors="replace").splitlines():
            if re.search(r"Traceback|Error|Exception|locked", line):
                lines.append(f"{log.name}: {line}")
    return lines


# Figures -----------------------------------------------------------------------------------


def delivery_figures(sink, reminder_id, user_ids, started):
    """sent rows, duplicates, lost, per_s and the per-connection split, from the outbox
    and the sink (read after the consumers stopped, so late duplicates count too)."""
    rows = sink.rows("<")  # read before the baseline: every message so far is the consumers'
    ids = [message_id for message_id, _arrived, _peer in rows]
    expected = reminder_message_ids(reminder_id, user_ids)
    unique = set(ids)
    per_connection = {}
    for _id, _arrived, peer in rows:
        per_connection[peer] = per_connection.get(peer, 0) + 1
    first = min((arrived for _id, arrived, _peer in rows), default=started)
    last = max((arrived for _id, arrived, _peer in rows), default=started)
    seconds = last - started
    return {
        "sent": outbox_counts(reminder_id).get("sent", 0),
        "received": len(ids),
        "unique": len(unique & expected),
        "unexpected": len(unique - expected),
        "duplicates": len(ids) - len(unique),
        "lost": len(expected - unique),
        "seconds": seconds,
        "first_after": first - started,
        "per_s": len(unique & expected) / seconds if seconds > 0 else 0.0,
        "connections": sorted(per_connection.values(), reverse=True),
        "tenths": rate_by_tenth(sorted(arrived for _id, arrived, _peer in rows)),
    }


def reminder_message_ids(reminder_id, user_ids):
    """The Message-ID of each person's reminder, as the outbox makes it from the email's key
    (an HMAC with the app's secret: `transports.message_id`)."""
    from app import create_app
    from messaging import transports

    with create_app().app_context():
        return {
            f"<{transports.message_id(f'reminder:{reminder_id}:{user_id}')}@convene>"
            for user_id in user_ids
        }


def rate_by_tenth(arrivals):
    """Messages per second over each tenth of the arrivals: shows whether delivery speeds
    up or slows down as the outbox drains."""
    if len(arrivals) < 20:
        return []
    bounds = [round(len(arrivals) * tenth / 10) for tenth in range(11)]
    rates = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        seconds = arrivals[end - 1] - arrivals[start]
        rates.append(round((end - 1 - start) / seconds) if seconds > 0 else 0)
    return rates


def report(n, baseline, figures, why, trouble):
    smtplib_per_s, size, smtplib_seconds, _cpu_ms = baseline
    say(
        f"delivery ({CONSUMERS} consumers x {THREADS_PER_CONSUMER} threads): stopped waiting: "
        f"{why}; first reminder {figures['first_after']:.2f} s after send_due() began, "
        f"last after {figures['seconds']:.2f} s"
    )
    say(
        f"delivery: {figures['unique']} of {n} unique reminders received, end to end "
        f"{figures['per_s']:.2f}/s"
    )
    say(
        f"outbox rows sent: {figures['sent']}; messages received: {figures['received']}, "
        f"duplicates: {figures['duplicates']}, lost: {figures['lost']}, "
        f"unexpected ids: {figures['unexpected']}"
    )
    say(f"SMTP connections the consumers used (messages each): {figures['connections']}")
    say(f"delivery rate per tenth of the messages (/s): {figures['tenths']}")
    say(
        f"smtplib baseline: {n} messages of {size} bytes over {CONNECTIONS} connections "
        f"({CONNECTIONS} threads) in {smtplib_seconds:.2f} s = {smtplib_per_s:.2f}/s"
    )
    if trouble:
        say(f"consumer log lines telling of errors ({len(trouble)}; first 20):")
        for line in trouble[:20]:
            say(f"  {line}")


def main():
    plan = QUICK if harness.arguments(__doc__).quick else FULL
    n = plan.registrants
    with harness.workspace("reminders") as work, smtp_sink() as sink:
        with seeding.database(work, "reminders") as url:
            os.environ.update(mail_settings(url, sink.port))
            started = time.perf_counter()
            reminder_id, user_ids = prepare(n)
            say(f"setup: {n} approved participants seeded in {time.perf_counter() - started:.2f} s")
            with huey_consumers(work) as processes:
                sweeps_before = sweeps(work)
                cpu_before = consumers_cpu_seconds(processes)
                began, queue_seconds, outcome = queue_reminder(reminder_id)
                say(f"queue: send_due() {outcome} in {queue_seconds:.2f} s")
                deadline = time.monotonic() + plan.timeout
                why = wait_for_delivery(sink, reminder_id, n, processes, deadline)
                consumers_cpu = consumers_cpu_seconds(processes) - cpu_before
                say(f"the consumers' minutely sweeps meanwhile: {sweeps(work) - sweeps_before}")
            figures = delivery_figures(sink, reminder_id, user_ids, began)
            import config

            sender = config.from_environment()["MAIL_FROM"]
            baseline = smtplib_rate(sink.port, sent_sample(), n, sender)
            if sink.count("<baseline.")[0] != n:
                raise RuntimeError("the sink did not receive every baseline message")
            report(n, baseline, figures, why, consumer_trouble(work))
    ratio = figures["per_s"] / baseline[0]
    say(
        f"reminders sent={figures['sent']} per_s={figures['per_s']:.2f} "
        f"ratio_vs_smtplib={ratio:.2f} duplicates={figures['duplicates']} "
        f"lost={figures['lost']} cpu_ms={1000 * consumers_cpu / max(figures['sent'], 1):.2f} "
        f"smtplib_cpu_ms={baseline[3]:.2f} client={CLIENT}"
    )
    failed = figures["duplicates"] or figures["lost"] or figures["sent"] != n
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
