"""The signed-in person's profile: name, time zone and language, the password, signing out
everywhere, and a new private calendar link; and the zone picker's options, which every
zone field (the profile's, the company's, a session's) asks for."""

import secrets

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts import access, administration
from accounts.access import allow, limiter
from foundation.forms import FormReader, Invalid
from foundation.i18n import enabled_locales, locale_code
from foundation.schedule import canonical, is_timezone
from foundation.zone_search import find_zones
from models import Role, User

URL_PREFIXES = ("/profile",)
bp = Blueprint("profile", __name__)


def profile_page(status=200, **context):
    context = {
        "errors": {},
        "saved": False,
        "password_errors": {},
        "password_changed": False,
        "password_error": None,
        "password_min": administration.PASSWORD_MIN,
    } | context
    return make_response(render_template("member/profile.html", **context), status)


@bp.route("/profile", methods=["GET", "POST"])
@allow(Role.MEMBER)
def profile():
    errors, saved = {}, False
    if request.method == "POST":
        try:
            save_profile(g.user, request.form)
            saved = True
        except Invalid as error:
            errors = error.errors
    status = 422 if errors else 200
    if request.htmx:
        return render_template("member/_profile_form.html", errors=errors, saved=saved), status
    return profile_page(status, errors=errors, saved=saved)


def password_refusal(error, status):
    return profile_page(status, password_error=error)


@bp.route("/profile/password", methods=["POST"])
@allow(Role.MEMBER)
@limiter.shared_limit(
    access.ACCOUNT_FAILURES,
    access.PASSWORD_GUESSES,  # the same count as failed sign-ins to this account
    key_func=access.signed_in_account,
    deduct_when=lambda response: response.status_code == 422,
    on_breach=access.too_many(password_refusal),
)
def change_password():
    """A new password, with the current one: this browser stays signed in, every other
    session of the account ends."""
    try:
        administration.change_password(g.user, request.form, "current_password")
    except Invalid as error:
        return profile_page(422, password_errors=error.errors)
    access.sign_in(g.user)
    return profile_page(password_changed=True)


@bp.route("/profile/sign-out-everywhere", methods=["POST"])
@allow(Role.MEMBER)
def sign_out_everywhere():
    """Every browser and phone signed in to the account is signed out, this one too."""
    access.sign_out()
    return redirect(url_for("auth.login"))


def save_profile(user, form):
    reader = FormReader(form)
    name = reader.text("name", required=True, max_length=120)
    zone = reader.text("timezone") or None
    if zone and not is_timezone(zone):
        reader.error("timezone", _("Choose a time zone from the list."))
    locale = form.get("locale") or None
    if locale and locale not in enabled_locales():
        reader.error("locale", _("Choose one of the options."))
    reader.raise_if_invalid()
    user.name, user.timezone, user.locale = name, zone, locale
    user.save(only=[User.name, User.timezone, User.locale])


ZONE_OPTIONS = 20


@bp.route("/profile/zones")
@allow(Role.MEMBER)
def zone_options():
    """The zone picker's options (macros.html `timezone_picker`, wherever a zone is chosen):
    the zones what is typed in `q` finds, the browser's own zone (`browser`, else the `tz`
    cookie app.js keeps) first, each named as the reader knows it."""
    browser_zone = request.args.get("browser") or request.cookies.get("tz", "")
    zones = find_zones(request.args.get("q", ""), locale_code(), browser_zone)
    return render_template(
        "member/_zone_options.html",
        zones=zones[:ZONE_OPTIONS],
        found=len(zones),
        searched=bool(request.args.get("q", "").strip()),
        browser_zone=zones[0] if zones and zones[0] == canonical(browser_zone) else None,
    )


def renew_calendar_link(user):
    """Give `user` a new private calendar feed token (the feed's address changes)."""
    user.calendar_token = secrets.token_urlsafe(24)
    user.save(only=[User.calendar_token])


@bp.route("/profile/calendar", methods=["POST"])
@allow(Role.MEMBER)
def reset_feed():
    """A new private link; the old one stops working at once."""
    renew_calendar_link(g.user)
    return make_response(
        render_template("member/_calendar_feed.html"),
        trigger={"toast": _("New calendar link ready.")},
    )
