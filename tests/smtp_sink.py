"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted, for the tests.

A message counts as delivered only when the server answered 250 to a client that was still
there, as SMTP defines it; `hold_next()` makes the server wait before answering one message,
so a test can kill the sending worker in the middle of a send. With `keep_orphans` set, every
message is kept before the server answers: a worker killed while it waits for the answer to
a held one has had its message taken without ever learning it.
"""

import asyncio
import email
import threading
from email import policy

from aiosmtpd.controller import Controller
from conftest import free_port


class Sink:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.refuse = 0  # answer the next N messages with a temporary failure
        self.hold = threading.Event()
        self.holding = threading.Event()
        self.hold.set()
        self.keep_orphans = False

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        if self.keep_orphans:
            self._keep(message)  # taken before the answer: a client killed now never knows
        if not self.hold.is_set():
            self.holding.set()
            while not self.hold.is_set():
                await asyncio.sleep(0.05)
        if self.keep_orphans:
            return "250 OK"
        if server.transport is None or server.transport.is_closing():
            return "451 Connection gone"  # the client died before our answer: not delivered
        self._keep(message)
        return "250 OK"

    def _keep(self, message):
        with self.lock:
            self.messages.append(message)

    def hold_next(self):
        self.holding.clear()
        self.hold.clear()

    def release(self):
        self.hold.set()

    def message_ids(self):
        with self.lock:
            return [message["Message-ID"] for message in self.messages]


def start_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return sink, controller
