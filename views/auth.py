"""Signing in and out, and the language switch."""

import secrets

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask import session as cookie
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from accounts import access
from accounts.access import VISITOR, allow
from foundation.i18n import enabled_locales
from models import User

bp = Blueprint("auth", __name__)

# Checked against when the email is unknown, so a failed sign-in takes as long either way.
_UNKNOWN_USER = User(password_hash=generate_password_hash(secrets.token_hex(16)))


@bp.route("/login", methods=["GET", "POST"])
@allow(VISITOR)
def login():
    next_path = access.safe_next(request.values.get("next"))
    if g.user and request.method == "GET":
        return redirect(next_path or url_for("home.index"))
    error = None
    email = (request.form.get("email") or "").strip().lower()
    if request.method == "POST":
        user = User.get_or_none(User.email == email, User.is_active == True)  # noqa: E712
        if (user or _UNKNOWN_USER).check_password(request.form.get("password") or "") and user:
            access.sign_in(user)
            return redirect(next_path or url_for("home.index"))
        error = _("Email or password is incorrect.")
    status = 401 if error else 200
    return render_template("login.html", error=error, email=email, next=next_path), status


@bp.route("/logout", methods=["POST"])
@allow(VISITOR)
def logout():
    access.sign_out()
    return redirect(url_for("auth.login"))


@bp.route("/locale", methods=["POST"])
@allow(VISITOR)
def switch_locale():
    """Remember the chosen language: on the account when signed in, else in the cookie."""
    code = request.form.get("locale")
    if code in enabled_locales():
        cookie["locale"] = code
        if g.user:
            g.user.locale = code
            g.user.save(only=[User.locale])
    return redirect(access.safe_next(request.form.get("next")) or url_for("home.index"))
