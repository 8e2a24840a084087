"""Reminder benchmark: how fast one due reminder to many people reaches an SMTP server
through the outbox and real Huey consumers, compared with a plain smtplib loop, and whether
every person gets it exactly once.

It:

1. creates and migrates a fresh SQLite database in a temp dir; seeds one company, one
   active dated event, one session with one day tomorrow, N approved participants
   (10,000; 1,000 with --quick) and one reminder that is due now;
2. starts an SMTP sink (aiosmtpd) on a free 127.0.0.1 port in its own process, which
   records every message's Message-ID, arrival time and connection;
3. baseline: sends N equivalent messages (same subject and bodies as a reminder, a fresh
   MIME message each) with plain smtplib over one connection, and times it;
4. runs `reminders.send_due()` in-process (the "queue" time: N emails written to the outbox
   in one transaction), then starts 2 real consumers (`huey_consumer tasks.huey -k thread
   -w 2`) on the same SQLite queue, asks for delivery once per worker thread, and waits
   until the sink has N reminder messages or no email is queued or sending any more;
5. checks the outbox rows and the sink: sent rows, duplicates (messages received minus
   unique Message-IDs) and lost (reminder emails whose Message-ID never arrived).

Run from the checkout:

    .venv/bin/python bench/reminders.py --quick   # 1,000 registrants, under half a minute
    .venv/bin/python bench/reminders.py           # 10,000 registrants, about 3 minutes on 2 cores

The last line is `reminders sent=<n> per_s=<n> ratio_vs_smtplib=<r> duplicates=<n> lost=<n>`,
per_s measured from the first consumer's start to the last reminder received. The exit
status is 1 when anything was duplicated, lost or left unsent. Nothing listens beyond
127.0.0.1; the consumers, the sink and the temp dir are removed at the end, also on failure.
"""

import argparse
import multiprocessing
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/reminders.py`, Python puts bench/ first on the path, where this file
# would shadow the app's own `reminders` module. The app's checkout must come first instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.harness import free_port, say  # noqa: E402

# Leave no __pycache__ behind in the checkout (here, in the sink and in the consumers).
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
sys.dont_write_bytecode = True

HUEY_CONSUMER = ROOT / ".venv" / "bin" / "huey_consumer"
SECRET_KEY = "convene-bench-secret"
TIMEZONE = "Europe/Moscow"
CONSUMERS = 2
THREADS_PER_CONSUMER = 2
SMTP_TIMEOUT = 30  # seconds, for every SMTP connection and command of the baseline
SINK_TIMEOUT = 10  # seconds for the sink to start, answer or stop
STOP_TIMEOUT = 20  # seconds a consumer gets to finish its task after SIGINT
POLL = 0.2  # seconds between looks at the sink while waiting
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)
HEADERS_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class Plan:
    registrants: int
    timeout: int  # seconds to wait for delivery


FULL = Plan(registrants=10_000, timeout=600)
QUICK = Plan(registrants=1_000, timeout=120)


def isolated_settings(instance, smtp_port):
    """Environment that keeps every side effect inside the temp `instance` dir and sends
    mail to the sink: the secret, the SQLite Huey queue (never Redis), the outbox folder."""
    return {
        "DATABASE_URL": f"sqlite:///{instance / 'convene.db'}",
        "CONVENE_INSTANCE": str(instance),
        "SECRET_KEY": SECRET_KEY,
        "REDIS_URL": "",
        "HUEY_SQLITE_PATH": str(instance / "huey.db"),
        "OUTBOX_DIR": str(instance / "outbox"),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TLS": "none",
        "SMTP_USER": "",
    }


# The SMTP sink, in its own process ---------------------------------------------------------


class CountingSink:
    """aiosmtpd handler that keeps (Message-ID, arrival time, client port) of each message.

    It reads only the header block with a regex: parsing whole messages would make the sink,
    not the senders, the bottleneck of both measurements."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        headers = HEADERS_END.split(envelope.content, 1)[0]
        found = MESSAGE_ID.search(headers)
        message_id = found.group(1).decode("ascii", "replace") if found else None
        with self.lock:
            self.received.append((message_id, time.time(), session.peer[1]))
        return "250 OK"

    def matching(self, prefix):
        with self.lock:
            return [row for row in self.received if row[0] and row[0].startswith(prefix)]


def sink_main(connection, port):
    """The sink process: serve SMTP on 127.0.0.1:port and answer the parent's questions
    over the pipe until told to stop (or until the parent is gone)."""
    from aiosmtpd.controller import Controller

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=SINK_TIMEOUT)
    controller.start()
    connection.send("ready")
    try:
        while True:
            try:
                command, prefix = connection.recv()
            except EOFError:
                return
            if command == "stop":
                return
            rows = sink.matching(prefix)
            if command == "count":
                last = max((arrived for _id, arrived, _peer in rows), default=None)
                connection.send((len(rows), last))
            else:  # "rows"
                connection.send(rows)
    finally:
        controller.stop()


class SinkProcess:
    """The parent's handle on the sink process (spawned, so it shares no GIL and no state
    with this process or the consumers)."""

    def __init__(self):
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self.pipe, child_end = context.Pipe()
        self.process = context.Process(
            target=sink_main, args=(child_end, self.port), daemon=True, name="smtp-sink"
        )
        self.process.start()
        child_end.close()
        try:
            # A spawned child imports Python afresh: allow it more than the listen timeout.
            ready = self.pipe.poll(SINK_TIMEOUT + 20) and self.pipe.recv() == "ready"
        except EOFError:  # it died before it was ready
            ready = False
        if not ready:
            self.stop()
            raise RuntimeError("the SMTP sink did not start")

    def ask(self, command, prefix=""):
        self.pipe.send((command, prefix))
        if not self.pipe.poll(SINK_TIMEOUT):
            raise RuntimeError(f"the SMTP sink did not answer {command!r}")
        return self.pipe.recv()

    def count(self, prefix):
        """(messages whose Message-ID starts with prefix, time.time() of the last one)."""
        return self.ask("count", prefix)

    def rows(self, prefix):
        return self.ask("rows", prefix)

    def stop(self):
        if self.process.is_alive():
            try:
                self.pipe.send(("stop", ""))
            except OSError:
                pass
            self.process.join(SINK_TIMEOUT)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(SINK_TIMEOUT)
        self.pipe.close()


@contextmanager
def smtp_sink():
    sink = SinkProcess()
    try:
        yield sink
    finally:
        sink.stop()


# The database ------------------------------------------------------------------------------


def prepare_database(url, registrants):
    """Migrate `url` and seed the event, its session and day, N approved participants and
    one reminder due a minute ago; returns (reminder id, participant user ids)."""
    from app import migrate_database
    from models import Company, Day, Event, Reminder, Session, connect_database, db, utcnow

    connect_database(url)
    migrate_database()
    now = utcnow()
    with db.connection_context():
        Company.create(timezone=TIMEZONE)
        first_day = (now + timedelta(days=1)).replace(second=0, microsecond=0)
        event = Event.create(
            title={"en": "Reminder bench"},
            is_active=True,
            starts_on=first_day.date(),
            ends_on=first_day.date(),
        )
        session = Session.create(
            event=event,
            name={"en": "Bench session"},
            timezone=TIMEZONE,
            registration_end_at=first_day - timedelta(hours=12),
        )
        Day.create(
            session=session,
            start_at=first_day,
            end_at=first_day + timedelta(hours=2),
            address="Hall A, https://example.org/venue",
        )
        user_ids = insert_participants(event, session, registrants, now)
        moment = now - timedelta(minutes=1)
        reminder = Reminder.create(session=session, fixed_at=moment, due_at=moment)
    return reminder.id, user_ids


def insert_participants(event, session, count, now):
    """N users and their approved registrations, with insert_many: the bench measures
    reminders, and N signs-ups through the app would take longer than the reminder."""
    from models import Registration, RegistrationRole, Session, Status, User, db

    users = [
        {"email": f"member{n}@bench.test", "name": f"Member {n}", "password_hash": "not-a-hash"}
        for n in range(count)
    ]
    with db.atomic():
        # In batches: SQLite caps the number of parameters in one statement.
        for start in range(0, count, 500):
            User.insert_many(users[start : start + 500]).execute()
        user_ids = [user.id for user in User.select(User.id).order_by(User.id)]
        registrations = [
            {
                "session": session.id,
                "event": event.id,
                "user": user_id,
                "role": RegistrationRole.PARTICIPANT,
                "status": Status.APPROVED,
                "created_at": now,
                "updated_at": now,
            }
            for user_id in user_ids
        ]
        for start in range(0, count, 500):
            Registration.insert_many(registrations[start : start + 500]).execute()
        Session.update(seats_taken=count).where(Session.id == session.id).execute()
    return user_ids


def queue_reminder():
    """send_due() as the minutely job runs it, in an app context; returns (seconds, emails
    queued, a sample email row). It also asks Huey for one delivery (nobody consumes yet)."""
    from app import create_app
    from models import Email, db
    from sessions import reminders

    app = create_app()
    with app.app_context(), db.connection_context():
        started = time.perf_counter()
        sent = reminders.send_due()
        seconds = time.perf_counter() - started
        if sent != 1:
            raise RuntimeError(f"send_due() sent {sent} reminders, expected 1")
        queued = Email.select().count()
        sample = Email.select().order_by(Email.id).first()
    return seconds, queued, sample


def outbox_counts(reminder_id):
    """{status: rows} of this reminder's emails, read from the bench's own connection."""
    import peewee as pw

    from models import Email, db

    with db.connection_context():
        query = (
            Email.select(Email.status, pw.fn.COUNT(Email.id))
            .where(Email.key.startswith(f"reminder:{reminder_id}:"))
            .group_by(Email.status)
            .tuples()
        )
        return dict(query)


# Baseline: plain smtplib -------------------------------------------------------------------


def baseline_message(sample, sender, number):
    """The same shape as mail.build_message: headers, text part, HTML alternative."""
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
    """Messages per second of one smtplib connection sending `count` messages, each built
    in the loop (as the outbox builds each one), to the same sink; returns (per_s, bytes)."""
    size = len(bytes(baseline_message(sample, sender, 0)))
    with smtplib.SMTP("127.0.0.1", port, timeout=SMTP_TIMEOUT) as connection:
        started = time.perf_counter()
        for number in range(count):
            connection.send_message(baseline_message(sample, sender, number))
        seconds = time.perf_counter() - started
    return count / seconds, size, seconds


# The real thing: Huey consumers ------------------------------------------------------------


@contextmanager
def huey_consumers(env, logs):
    """CONSUMERS real consumer processes; yields (their Popen objects, time.time() just
    before the first was started). Stopped in the end: SIGINT (Huey's graceful stop: the
    running task finishes), then SIGKILL for the whole process group."""
    processes, started = [], time.time()
    try:
        for number in range(CONSUMERS):
            log = open(logs / f"consumer-{number}.log", "wb")  # noqa: SIM115 - closed below
            try:
                command = [
                    str(HUEY_CONSUMER),
                    "tasks.huey",
                    "-k",
                    "thread",
                    "-w",
                    str(THREADS_PER_CONSUMER),
                ]
                # Its own process group, so nothing it starts outlives a SIGKILL.
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            finally:
                log.close()  # the child has its own copy of the descriptor
        yield processes, started
    finally:
        for process in processes:
            stop_consumer(process)


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


def request_deliveries():
    """One delivery request per worker thread, so every thread of both consumers delivers
    at the same time (send_due already asked once; a surplus request finds nothing)."""
    from messaging import mail

    for _ in range(CONSUMERS * THREADS_PER_CONSUMER):
        mail.deliver_outbox()


def wait_for_delivery(sink, prefix, reminder_id, expected, processes, deadline):
    """Until the sink has `expected` reminder messages, or no email is queued or sending,
    or every consumer has died, or the deadline; returns why it stopped waiting."""
    next_db_look = 0.0
    while time.monotonic() < deadline:
        received, _last = sink.count(prefix)
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


def deliver(sink, env, work, reminder_id, expected, timeout):
    """Start the consumers, ask for delivery, wait; returns (why it stopped, start time)."""
    prefix = f"<reminder.{reminder_id}."
    with huey_consumers(env, work) as (processes, started):
        request_deliveries()
        why = wait_for_delivery(
            sink, prefix, reminder_id, expected, processes, time.monotonic() + timeout
        )
    return why, started


def consumer_trouble(work):
    """Log lines of the consumers that tell of an error, for the report."""
    lines = []
    for log in sorted(work.glob("consumer-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if re.search(r"Traceback|Error|Exception|locked", line):
                lines.append(f"{log.name}: {line}")
    return lines


# Figures -----------------------------------------------------------------------------------


def delivery_figures(sink, reminder_id, user_ids, started):
    """sent rows, duplicates, lost, per_s and the per-connection split, from the outbox
    and the sink (read after the consumers stopped, so late duplicates count too)."""
    rows = sink.rows(f"<reminder.{reminder_id}.")
    ids = [message_id for message_id, _arrived, _peer in rows]
    expected = {f"<reminder.{reminder_id}.{user_id}@convene>" for user_id in user_ids}
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


def report(plan, queue_seconds, baseline, figures, why, trouble):
    smtplib_per_s, size, smtplib_seconds = baseline
    n = plan.registrants
    say(f"queue: send_due() wrote {n} emails to the outbox in {queue_seconds:.2f} s")
    say(f"       ({n / queue_seconds:.0f} emails/s, one transaction)")
    say(
        f"smtplib baseline: {n} messages of {size} bytes over one connection in "
        f"{smtplib_seconds:.2f} s = {smtplib_per_s:.2f}/s"
    )
    say(
        f"delivery ({CONSUMERS} consumers x {THREADS_PER_CONSUMER} threads): stopped waiting: "
        f"{why}; first message {figures['first_after']:.2f} s after the first consumer "
        f"started, last after {figures['seconds']:.2f} s"
    )
    say(
        f"delivery: {figures['unique']} of {n} unique reminders received, "
        f"{figures['per_s']:.2f}/s; ratio vs smtplib "
        f"{figures['per_s'] / smtplib_per_s:.2f}"
    )
    say(
        f"outbox rows sent: {figures['sent']}; messages received: {figures['received']}, "
        f"duplicates: {figures['duplicates']}, lost: {figures['lost']}, "
        f"unexpected ids: {figures['unexpected']}"
    )
    say(f"SMTP connections used (messages each): {figures['connections']}")
    say(f"delivery rate per tenth of the messages (/s): {figures['tenths']}")
    if trouble:
        say(f"consumer log lines telling of errors ({len(trouble)}; first 20):")
        for line in trouble[:20]:
            say(f"  {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 registrants, not 10,000")
    plan = QUICK if parser.parse_args().quick else FULL
    n = plan.registrants
    work = Path(tempfile.mkdtemp(prefix="convene-bench-reminders-"))
    try:
        with smtp_sink() as sink:
            env = isolated_settings(work, sink.port)
            # Set before the app's modules are first imported (inside the functions above):
            # importing `tasks` opens the Huey queue named here, the one the consumers use.
            os.environ.update(env)
            started = time.perf_counter()
            reminder_id, user_ids = prepare_database(env["DATABASE_URL"], n)
            say(f"setup: {n} approved participants seeded in {time.perf_counter() - started:.2f} s")
            queue_seconds, queued, sample = queue_reminder()
            if queued != n:
                raise RuntimeError(f"send_due() queued {queued} emails, expected {n}")
            import config

            sender = config.from_environment()["MAIL_FROM"]
            baseline = smtplib_rate(sink.port, sample, n, sender)
            if sink.count("<baseline.")[0] != n:
                raise RuntimeError("the sink did not receive every baseline message")
            why, consumers_started = deliver(
                sink, {**os.environ, **env}, work, reminder_id, n, plan.timeout
            )
            figures = delivery_figures(sink, reminder_id, user_ids, consumers_started)
            report(plan, queue_seconds, baseline, figures, why, consumer_trouble(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratio = figures["per_s"] / baseline[0]
    say(
        f"reminders sent={figures['sent']} per_s={figures['per_s']:.2f} "
        f"ratio_vs_smtplib={ratio:.2f} duplicates={figures['duplicates']} "
        f"lost={figures['lost']}"
    )
    failed = figures["duplicates"] or figures["lost"] or figures["sent"] != n
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
