"""Who may use which route. Every view declares its audience with `@allow(...)`;
a view that declares nothing is refused, so forgetting the check fails closed."""

from urllib.parse import unquote, urlsplit

from flask import abort, current_app, g, redirect, request, url_for
from flask import session as cookie

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


def load_user():
    user_id = cookie.get("user_id")
    g.user = User.get_or_none(User.id == user_id, User.is_active == True) if user_id else None  # noqa: E712


def sign_in(user):
    cookie.clear()
    cookie["user_id"] = user.id
    cookie.permanent = True


def sign_out():
    cookie.clear()


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


def add_security_headers(response):
    """after_request: what every answer tells the browser to refuse."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if current_app.config["PUBLIC_URL"].startswith("https://"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
