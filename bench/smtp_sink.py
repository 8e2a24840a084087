"""The SMTP sink of the reminder benchmark: aiosmtpd on a loopback port, in a process of its
own (so that it shares no GIL with the senders it measures), recording each message's
Message-ID, arrival time and connection."""

import multiprocessing
import re
import signal
import threading
import time
from contextlib import contextmanager

from bench.harness import free_port

SINK_TIMEOUT = 10  # seconds for the sink to start, answer or stop
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)
HEADERS_END = re.compile(rb"\r?\n\r?\n")


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
