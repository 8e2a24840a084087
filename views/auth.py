"""Signing in and out, a forgotten password, and the language switch."""

import secrets

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_babel import gettext as _
from werkzeug.security import generate_password_hash

from accounts import access
from accounts.access import VISITOR, allow, limiter, private_link
from accounts.administration import EMAIL, PASSWORD_MIN, change_password
from foundation.forms import Invalid
from foundation.i18n import enabled_locales
from messaging import mail, notifications
from models import User

URL_PREFIXES = ("/login", "/logout", "/password", "/locale")
bp = Blueprint("auth", __name__)

# Checked against when the email is unknown, so a failed sign-in takes as long either way.
_UNKNOWN_USER = User(password_hash=generate_password_hash(secrets.token_hex(16)))


def login_page(error=None, status=200):
    next_path = access.safe_next(request.values.get("next"))
    page = render_template(
        "login.html", error=error, email=access.submitted_email(), next=next_path
    )
    return make_response(page, status)


def failed_sign_in(response):
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@allow(VISITOR)
@limiter.shared_limit(
    access.ACCOUNT_FAILURES,
    access.PASSWORD_GUESSES,
    key_func=access.submitted_account,
    methods=["POST"],
    deduct_when=failed_sign_in,
    on_breach=access.too_many(login_page),
)
@limiter.limit(
    access.ADDRESS_FAILURES,
    methods=["POST"],
    deduct_when=failed_sign_in,
    on_breach=access.too_many(login_page),
)
def login():
    next_path = access.safe_next(request.values.get("next"))
    if g.user and request.method == "GET":
        return redirect(next_path or url_for("home.index"))
    if request.method == "POST":
        email = access.submitted_email()
        user = User.get_or_none(User.email == email, User.is_active == True)  # noqa: E712
        if (user or _UNKNOWN_USER).check_password(request.form.get("password") or "") and user:
            access.sign_in(user)
            return redirect(next_path or url_for("home.index"))
        return login_page(_("Email or password is incorrect."), 401)
    return login_page()


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


# A forgotten password ----------------------------------------------------------------------


def forgot_page(error=None, status=200, errors=None, sent=False):
    page = render_template(
        "password_forgot.html",
        error=error,
        errors=errors or {},
        sent=sent,
        email=access.submitted_email(),
    )
    return make_response(page, status)


def send_reset_link(email):
    """Queue the reset email if an active account has this address; nothing otherwise. The
    page says the same either way, so it never tells whether an account exists."""
    user = User.get_or_none(User.email == email, User.is_active == True)  # noqa: E712
    if user is None:
        return
    token = access.password_reset_token(user)
    link = current_app.config["PUBLIC_URL"] + url_for("auth.reset_password", token=token)
    notifications.password_reset(user, link)
    mail.request_delivery()


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(VISITOR)
@limiter.limit(
    access.RESET_REQUESTS_PER_EMAIL,
    key_func=access.submitted_reset_email,
    methods=["POST"],
    on_breach=access.too_many(forgot_page),
)
@limiter.limit(
    access.RESET_REQUESTS_PER_ADDRESS,
    methods=["POST"],
    on_breach=access.too_many(forgot_page),
)
def forgot_password():
    errors, sent = {}, False
    if request.method == "POST":
        email = access.submitted_email()
        if EMAIL.match(email):
            send_reset_link(email)
            sent = True
        else:
            errors["email"] = _("Enter an email address like name@example.com.")
    return forgot_page(errors=errors, sent=sent, status=422 if errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@allow(VISITOR)
@private_link
def reset_password(token):
    """The emailed link: a form for the new password. Opening it changes nothing (mail
    scanners open links); sending the form sets the password, which ends every session and
    makes the link unusable, and signs this browser in."""
    try:
        user = access.read_password_reset(token)
    except Invalid as error:
        return render_template("password_reset.html", problem=error.errors["token"]), 400
    errors = {}
    if request.method == "POST":
        try:
            change_password(user, request.form)
        except Invalid as error:
            errors = error.errors
        else:
            access.sign_in(user)
            return redirect(url_for("home.index"))
    page = render_template(
        "password_reset.html", problem=None, errors=errors, account=user, minimum=PASSWORD_MIN
    )
    return page, 422 if errors else 200
