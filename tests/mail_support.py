"""A real SMTP server on loopback for the mail tests (aiosmtpd in this process)."""
from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """Every message the server accepted: ``(recipient, EmailMessage)``.

    ``refuse`` maps a recipient to an SMTP reply (e.g. ``"451 try later"``)
    given to its RCPT command instead of accepting it.
    """

    def __init__(self):
        self.messages = []
        self.refuse: dict[str, str] = {}
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.messages.append((recipient, message))
        return "250 Message accepted for delivery"

    def to(self, recipient: str) -> list:
        return [m for r, m in self.messages if r == recipient]

    def per_recipient(self) -> Counter:
        return Counter(r for r, _ in self.messages)

    @staticmethod
    def body(message) -> str:
        return message.get_body(("plain",)).get_content()

    @classmethod
    def link(cls, message) -> str:
        match = re.search(r"http://localhost/q/[A-Za-z0-9_\-]+", cls.body(message))
        assert match, "no magic link in the message"
        return match.group(0)


class SmtpServer:
    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()

    def stop(self):
        self.controller.stop()
