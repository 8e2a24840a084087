"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted, for the tests.

A message counts as delivered only when the server answered 250 to a client that was still
there, as SMTP defines it; `hold_next()` makes the server wait before answering one message,
so a test can kill the sending worker in the middle of a send.
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

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 Try again later"
        if not self.hold.is_set():
            self.holding.set()
            while not self.hold.is_set():
                await asyncio.sleep(0.05)
        if server.transport is None or server.transport.is_closing():
            return "451 Connection gone"  # the client died before our answer: not delivered
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

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
