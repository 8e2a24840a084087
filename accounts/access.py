"""Who may use which route, and the sign-in state behind it.

Every view declares its audience with `@allow(...)`; a view that declares nothing is
refused, so forgetting the check fails closed. The session cookie carries the account's id
and its session version: raising the version (`end_sessions`) signs out every browser of
that account at its next request. A sign-in also ends after a time without any request
(IDLE_TIMEOUT_ADMIN_HOURS for admins, IDLE_TIMEOUT_HOURS for everyone else). Sign-in
attempts are counted (`limiter`), and password reset links are signed, expiring and
single-use (`password_reset_token`). Every answer
carries the headers that tell the browser what to refuse (`add_security_headers`).

A page reached by a private link (a rater's survey, an invitation, a calendar feed, a
password reset) is declared with `@private_link`: whoever holds the link acts as its
owner, so such answers are never cached and never sent on as a Referer, and the email log
shows those links masked (`mask_private_links`).
"""

import hashlib
import hmac
import math
import re
import time
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, g, redirect, request, url_for
from flask import session as cookie
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from config import INSTANCE
from foundation import rate_limits
from foundation.forms import Invalid
from foundation.prepared import Prepared, slot
from models import Role, User

VISITOR = "visitor"
AUDIENCES = {VISITOR, Role.MEMBER, Role.HOST, Role.ADMIN}


def allow(audience):
    """Declare who may call a view: visitor (anyone), member, host or admin (and above)."""
    assert audience in AUDIENCES, audience

    def declare(view):
        view.audience = audience
        return view

    return declare


def private_link(view):
    """Declare a view whose URL carries a secret token (see the module's docstring)."""
    view.is_private_link = True
    return view


def is_private_link_request():
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "is_private_link", False))


def enforce_access():
    """before_request: refuse anyone outside the view's declared audience."""
    view = current_app.view_functions.get(request.endpoint)
    if view is None:
        return None  # Flask answers 404/405 itself
    audience = getattr(view, "audience", None)
    if audience is None:
        abort(403)
    if audience == VISITOR:
        return None
    if g.user is None:
        if request.headers.get("HX-Request"):
            return "", 401  # a fragment is no page to come back to: app.js says "signed out"
        next_path = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=next_path))
    if not g.user.has_role(audience):
        abort(403)
    return None


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script: behaviours live in static/app.js
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Powerful browser features no page of the app uses (meetings open on their own sites).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def add_security_headers(response):
    """after_request: what every answer tells the browser to refuse. Pages for a signed-in
    person and pages of a private link are kept out of every cache (a shared computer's
    back button, a proxy); a private link's page also sends no Referer."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["PUBLIC_URL"].startswith("https://"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if is_private_link_request():
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    elif g.get("user") is not None and _is_personal(response):
        response.headers["Cache-Control"] = "no-store"
    return response


def _is_personal(response):
    """A signed-in answer, unless it is a static file or chose to be cached (an image under
    an unguessable name says max-age itself)."""
    return request.endpoint != "static" and response.cache_control.max_age is None


TOKEN = r"([A-Za-z0-9_.~%-]{6,})"  # what a token of ours is made of, as a group
MASK = "\u2022" * 8


def private_link_pattern():
    """A regular expression that finds every private link's path (the routes declared with
    `@private_link`) in a text, its token as a group; built once per app."""
    pattern = current_app.extensions.get("private_link_pattern")
    if pattern is None:
        paths = {
            _rule_pattern(rule.rule)
            for rule in current_app.url_map.iter_rules()
            if getattr(current_app.view_functions[rule.endpoint], "is_private_link", False)
        }
        pattern = re.compile("|".join(sorted(paths, key=len, reverse=True)) or "(?!)")
        current_app.extensions["private_link_pattern"] = pattern
    return pattern


def _rule_pattern(rule):
    """ "/r/<token>" -> the path as a pattern: ids as digits, any other part as a token."""
    return "".join(
        (r"\d+" if part.startswith("<int:") else TOKEN) if part.startswith("<") else re.escape(part)
        for part in re.split(r"(<[^>]+>)", rule)
    )


def mask_private_links(text):
    """`text` with the token of every private link in it replaced by dots."""
    return private_link_pattern().sub(_masked, text or "")


def _masked(found):
    group = next(index for index, value in enumerate(found.groups(), 1) if value is not None)
    start, end = found.start(group) - found.start(), found.end(group) - found.start()
    path = found.group(0)
    return path[:start] + MASK + path[end:]


def safe_next(target):
    """`target` if it is a path on this site, else None (the caller then goes home).

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so
    "/<tab>/evil.example" and "/\\evil.example" leave the site although they start with one
    slash. Anything with a control character, whitespace or a backslash is refused, and so
    is anything that names a scheme or a host, as sent or once percent-decoded.
    """
    if not target or len(target) > 2000:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    for text in (target, unquote(parts.path)):
        if not text.startswith("/") or text.startswith("//"):
            return None
        if "\\" in text or not text.isprintable() or any(char.isspace() for char in text):
            return None
    return target


# Sessions ----------------------------------------------------------------------------------


SEEN_EVERY = 60  # seconds: how often the cookie's "last seen" is written again

# Every request of a signed-in person runs it: built once (foundation/prepared.py).
SIGNED_IN_USER = Prepared(
    lambda: (
        User.select()
        .where(
            User.id == slot("user_id"),
            User.session_version == slot("version"),
            User.is_active == True,  # noqa: E712
        )
        .limit(1)
    )
)


def load_user():
    """before_request: the signed-in user, if the cookie's session version is still theirs
    and the sign-in has not been idle too long (then the cookie is cleared)."""
    user_id, version = cookie.get("user_id"), cookie.get("session_version")
    g.user = None
    if isinstance(user_id, int) and isinstance(version, int):
        g.user = SIGNED_IN_USER.first(user_id=user_id, version=version)
    if g.user is not None:
        _keep_or_end_idle_session(g.user)


def idle_limit(user):
    """Seconds without a request after which `user`'s sign-in ends."""
    hours = current_app.config[
        "IDLE_TIMEOUT_ADMIN_HOURS" if user.is_admin else "IDLE_TIMEOUT_HOURS"
    ]
    return hours * 3600


def _keep_or_end_idle_session(user):
    now, seen = int(time.time()), cookie.get("seen_at")
    if not isinstance(seen, int) or now - seen > idle_limit(user):
        cookie.clear()
        g.user = None
    elif now - seen >= SEEN_EVERY:  # not on every request: the cookie is rewritten each time
        cookie["seen_at"] = now


def sign_in(user):
    cookie.clear()
    cookie["user_id"] = user.id
    cookie["session_version"] = user.session_version
    cookie["seen_at"] = int(time.time())
    cookie.permanent = True


def end_sessions(user):
    """Sign out every browser of `user`: the version their cookies carry stops matching.
    An UPDATE of the stored value, so a concurrent save of a stale row cannot undo it."""
    User.update(session_version=User.session_version + 1).where(User.id == user.id).execute()
    user.session_version = User.select(User.session_version).where(User.id == user.id).scalar()


def sign_out():
    """Sign this browser out, and with it every other session of the account: a cookie
    copied before cannot be used after."""
    if g.get("user") is not None:
        end_sessions(g.user)
    cookie.clear()


# Counting sign-in attempts -----------------------------------------------------------------

# Failed passwords per account (sign-in and the profile's password change count together):
# 10 a minute stops a script, 100 an hour is ASVS 2.2.1's ceiling. Per client address, 30
# failures a minute across all accounts. Password-reset requests: 3 per email address in 15
# minutes, 10 per client address an hour. Every count is a moving window: the oldest
# attempt leaves it, and the account opens again by itself.
ACCOUNT_FAILURES = "10 per minute; 100 per hour"
ADDRESS_FAILURES = "30 per minute"
RESET_REQUESTS_PER_EMAIL = "3 per 15 minutes"
RESET_REQUESTS_PER_ADDRESS = "10 per hour"
INVITEE_SEARCHES = "60 per minute"  # a host's type-ahead: enough to type, too few to harvest
PASSWORD_GUESSES = "password-guesses"  # the scope the account's two counters share

limiter = Limiter(
    key_func=get_remote_address,
    strategy="moving-window",
    in_memory_fallback_enabled=True,  # Redis down: count in this process rather than fail
    key_prefix="convene",
)


def init_limiter(app):
    """Counts live in Redis when REDIS_URL is set, else in a SQLite file beside the database
    (foundation/rate_limits.py): either way every web worker shares them."""
    sqlite_file = f"{rate_limits.SqliteAttempts.STORAGE_SCHEME[0]}://{INSTANCE / 'limits.db'}"
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or sqlite_file)
    limiter.init_app(app)
    # Every limit is declared on its view, whose decorator counts it. The extension's own
    # before_request looks for app-wide limits, of which there are none, at a cost on every
    # request; with it gone, such a limit would be ignored, so none may be configured.
    if any(app.config.get(name) for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")):
        raise RuntimeError("rate limits are declared on their views, not app-wide")
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def submitted_email():
    return (request.form.get("email") or "").strip().lower()[:254]


def submitted_account():
    """The account a sign-in attempt is about: the email typed into the form."""
    return f"account:{submitted_email()}"


def signed_in_account():
    """The same counter when the signed-in user types their current password."""
    return f"account:{g.user.email}"


def submitted_reset_email():
    return f"reset:{submitted_email()}"


def retry_after(request_limit):
    """Whole seconds until the breached limit lets one more attempt in (at least 1)."""
    return max(1, math.ceil(request_limit.reset_at - time.time()))


def retry_message(request_limit):
    """The refusal in the viewer's language: "Try again in 52 seconds" (seconds below two
    minutes, then minutes)."""
    when = format_timedelta(
        timedelta(seconds=retry_after(request_limit)), threshold=2, add_direction=True
    )
    return _("Too many attempts. Try again %(when)s.", when=when)


def too_many(page):
    """A limit's on_breach: `page(error, status)` again, answering 429 with when to retry."""

    def answer(request_limit):
        response = page(retry_message(request_limit), 429)
        response.headers["Retry-After"] = str(retry_after(request_limit))
        return response

    return answer


# Password reset links ----------------------------------------------------------------------

RESET_SALT = "password-reset"
RESET_MAX_AGE = 60 * 60  # one hour


def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_fingerprint(user):
    """Changes with the password (its hash has a fresh salt every time) and the email, so a
    link works once and only for the address it was sent to."""
    return hashlib.sha256(f"{user.password_hash}\n{user.email}".encode()).hexdigest()[:24]


def password_reset_token(user):
    return _reset_serializer().dumps([user.id, _password_fingerprint(user)])


def read_password_reset(token, max_age=RESET_MAX_AGE):
    """The active user a reset link is for, or Invalid with the message to show."""
    invalid = _("This link is not valid, or it has already been used. Ask for a new one.")
    try:
        user_id, fingerprint = _reset_serializer().loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise Invalid({"token": _("This link has expired. Ask for a new one.")}) from error
    except (BadSignature, ValueError, TypeError) as error:
        raise Invalid({"token": invalid}) from error
    user = User.get_or_none(User.id == user_id, User.is_active == True)  # noqa: E712
    if user is None or not hmac.compare_digest(str(fingerprint), _password_fingerprint(user)):
        raise Invalid({"token": invalid})
    return user
