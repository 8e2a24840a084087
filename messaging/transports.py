"""How an email leaves: its MIME message (with a Message-ID that is an HMAC of the outbox
row's key) and the transport that sends it, one SMTP connection for a whole delivery run,
or .eml files when no SMTP server is configured. The outbox (`messaging.mail`) decides
what to send and records it."""

import hashlib
import hmac
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

from flask import current_app

from models import utcnow

__all__ = ["build_message", "make_transport", "message_id"]


def message_id(key):
    """The Message-ID's local part for the email keyed `key`: the same for every attempt,
    so a message delivered twice reaches the reader once, and it tells nothing of the key."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"message-id\n{key}".encode(), hashlib.sha256).hexdigest()[:40]


def build_message(email, sender):
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = sender
    message["To"] = email.to_address
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{message_id(email.key)}@convene>"
    message.set_content(email.text_body)
    message.add_alternative(email.html_body, subtype="html")
    for attachment in email.attachments:
        maintype, subtype = attachment["content_type"].split(";")[0].split("/")
        params = dict(
            part.strip().split("=", 1)
            for part in attachment["content_type"].split(";")[1:]
            if "=" in part
        )
        message.add_attachment(
            attachment["data"].encode(),
            maintype=maintype,
            subtype=subtype,
            filename=attachment["filename"],
            params=params,
        )
    return message


class SmtpTransport:
    """One SMTP connection for a whole batch (a new one per message is several times slower)."""

    def __init__(self, config):
        self.config = config
        self.connection = None

    def _connect(self):
        host, port, tls = (
            self.config["SMTP_HOST"],
            self.config["SMTP_PORT"],
            self.config["SMTP_TLS"],
        )
        if tls == "ssl":
            connection = smtplib.SMTP_SSL(
                host, port, timeout=30, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=30)
            if tls == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if self.config["SMTP_USER"]:
            connection.login(self.config["SMTP_USER"], self.config["SMTP_PASSWORD"])
        return connection

    def send(self, message):
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.connection = self._connect()
            self.connection.send_message(message)

    def close(self):
        if self.connection is not None:
            try:
                self.connection.quit()
            except smtplib.SMTPException:
                pass
            self.connection = None


class FileTransport:
    """No SMTP server configured (the `make run` default): each email becomes an .eml file."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def send(self, message):
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").replace("/", "_")
        (self.folder / f"{utcnow():%Y%m%d-%H%M%S}-{name}.eml").write_bytes(bytes(message))

    def close(self):
        pass


def make_transport(config):
    if config.get("SMTP_HOST"):
        return SmtpTransport(config)
    return FileTransport(config["OUTBOX_DIR"])
