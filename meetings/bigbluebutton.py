"""BigBlueButton API client (INTEGRATIONS.md 2): signed calls to `create`, `join` and `end`.

The settings are `BBB_URL` (the server's base, e.g. https://bbb.example.org/bigbluebutton)
and `BBB_SECRET` (its shared secret); `BBB_CHECKSUM` picks sha256 (default) or sha1, as the
server's `supportedChecksumAlgorithms` allows.
"""

from flask import current_app


def is_configured():
    config = current_app.config
    return bool(config.get("BBB_URL") and config.get("BBB_SECRET"))
