"""Settings, read from the environment only (see README, "Configuration")."""

import os
import secrets
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("CONVENE_INSTANCE", ROOT / "instance"))


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key():
    """SECRET_KEY from the environment; otherwise one generated once and kept in instance/.

    Generated rather than hard-coded so that no two installations share a key.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _public_url():
    """PUBLIC_URL, else the address `make run` binds to (HOST and PORT), so that share links
    and email links point where the app really runs."""
    if os.environ.get("PUBLIC_URL"):
        return os.environ["PUBLIC_URL"].rstrip("/")
    host = os.environ.get("HOST") or "127.0.0.1"
    if host in {"0.0.0.0", "::"}:  # every interface: name the machine, not "any address"
        host = socket.getfqdn()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{os.environ.get('PORT') or '5000'}"


def from_environment():
    """The Flask config mapping for this process."""
    return {
        "SECRET_KEY": _secret_key(),
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'convene.db'}"),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "HUEY_SQLITE_PATH": os.environ.get("HUEY_SQLITE_PATH", str(INSTANCE / "huey.db")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Behind HTTPS the cookie travels over HTTPS only.
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", _public_url().startswith("https")),
        # The cookie is signed again only when it changes (accounts/access.py rewrites its
        # "last seen" once a minute, which also renews its expiry), not on every answer.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the sign-in session
        # A sign-in ends after this long without a request: short for admins, whose
        # session can change everything, longer for members and hosts.
        "IDLE_TIMEOUT_ADMIN_HOURS": float(os.environ.get("IDLE_TIMEOUT_ADMIN_HOURS", "12")),
        "IDLE_TIMEOUT_HOURS": float(os.environ.get("IDLE_TIMEOUT_HOURS", str(14 * 24))),
        # The largest request body (an uploaded file); a larger one is answered 413 unread.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "10")) * 2**20,
        "PUBLIC_URL": _public_url(),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "SMTP_HOST": os.environ.get("SMTP_HOST") or None,
        "SMTP_PORT": int(os.environ.get("SMTP_PORT", "25")),
        "SMTP_USER": os.environ.get("SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_TLS": os.environ.get("SMTP_TLS", "none").lower(),  # none, starttls or ssl
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Convene <noreply@convene.local>"),
        "OUTBOX_DIR": os.environ.get("OUTBOX_DIR", str(INSTANCE / "outbox")),
        # BigBlueButton (meetings/bigbluebutton.py): without URL and secret it is "not
        # configured" and the other meeting platforms are offered.
        "BBB_URL": os.environ.get("BBB_URL") or None,
        "BBB_SECRET": os.environ.get("BBB_SECRET") or None,
        "BBB_CHECKSUM": os.environ.get("BBB_CHECKSUM", "sha256").lower(),
        # Recordings of BigBlueButton days that ended longer ago are never asked for again.
        "BBB_RECORDINGS_LOOKBACK_HOURS": int(os.environ.get("BBB_RECORDINGS_LOOKBACK_HOURS", "48")),
        "JOIN_OPENS_MINUTES": int(os.environ.get("JOIN_OPENS_MINUTES", "10")),
        # A mentoring invitation waits this long before it is sent, so that the meeting link
        # set right after publishing arrives in it rather than in a second email.
        "NOTICE_HOLD_SECONDS": int(os.environ.get("NOTICE_HOLD_SECONDS", "60")),
        "IMAGE_MAX_MB": int(os.environ.get("IMAGE_MAX_MB", "5")),  # session images
        "IMAGE_DIR": os.environ.get("IMAGE_DIR") or str(INSTANCE / "images"),
        # Zoom (meetings/zoom/): an OAuth app's credentials, its webhook secret token, and the
        # base addresses (tests point them at the stand-in in tests/zoom_standin.py).
        "ZOOM_CLIENT_ID": os.environ.get("ZOOM_CLIENT_ID") or None,
        "ZOOM_CLIENT_SECRET": os.environ.get("ZOOM_CLIENT_SECRET") or None,
        "ZOOM_ACCOUNT_ID": os.environ.get("ZOOM_ACCOUNT_ID") or None,
        "ZOOM_WEBHOOK_SECRET": os.environ.get("ZOOM_WEBHOOK_SECRET") or None,
        "ZOOM_API_URL": os.environ.get("ZOOM_API_URL", "https://api.zoom.us/v2").rstrip("/"),
        "ZOOM_OAUTH_URL": os.environ.get("ZOOM_OAUTH_URL", "https://zoom.us").rstrip("/"),
        "ZOOM_TOKEN_KEY": os.environ.get("ZOOM_TOKEN_KEY") or None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
    }
