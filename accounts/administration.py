"""Company settings and user accounts: what admins change outside events, and every
change of a password.

A new password has at least PASSWORD_MIN characters (ASVS level 2: 12; a password set
before the rule keeps working until it is changed). Every change of an existing account's
password goes through `set_new_password`, which signs the account out everywhere and
announces it on `password_changed`; the app connects that signal to the "your password
was changed" email (accounts sit below messaging, so they announce rather than send).
"""

import re

from blinker import Namespace
from flask_babel import gettext as _

from accounts.access import end_sessions
from foundation import schedule
from foundation.forms import FormReader
from foundation.i18n import available_locales
from models import Role, User

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
HANDLE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
PASSWORD_MIN = 12
password_changed = Namespace().signal("password-changed")  # sender: the User


def set_new_password(user, password):
    """Give an existing account a new password: every session of it ends, and its owner is
    told (`password_changed`)."""
    user.set_password(password)
    user.save(only=[User.password_hash])
    end_sessions(user)
    password_changed.send(user)


def save_company_settings(company, form):
    reader = FormReader(form)
    zone = reader.text("timezone", required=True)
    if zone and not schedule.is_timezone(zone):
        reader.error("timezone", _("Choose a time zone from the list."))
    locales = [code for code in available_locales() if code in form.getlist("locales")]
    if not locales:
        reader.error("locales", _("Enable at least one language."))
    default_locale = reader.choice("default_locale", available_locales())
    if default_locale and default_locale not in locales:
        reader.error("default_locale", _("The default language must be one of the enabled ones."))
    limits = {
        "mentees_per_session_limit": reader.integer("mentees_per_session_limit", 1, 10000),
        "bulk_rows_limit": reader.integer("bulk_rows_limit", 1, 100000),
        "min_duration_minutes": reader.integer("min_duration_minutes", 1, 1440),
        "group_minimum_cutoff_hours": reader.integer("group_minimum_cutoff_hours", 0, 720),
    }
    # Bulk upload: larger files are checked and applied in the background (kept as it is
    # when a form predates the field).
    background = reader.integer("bulk_background_rows", 0, 100000, required=False)
    limits["bulk_background_rows"] = (
        company.bulk_background_rows if background is None else background
    )
    is_zoom_enabled = reader.flag("is_zoom_enabled")
    allows_group_sessions = reader.flag("allows_group_sessions")
    recordings = read_recording_settings(reader, company)
    reader.raise_if_invalid()
    company.timezone = zone
    company.locales = locales
    company.default_locale = default_locale
    company.is_zoom_enabled = is_zoom_enabled
    company.allows_group_sessions = allows_group_sessions
    for name, value in (limits | recordings).items():
        setattr(company, name, value)
    company.save()
    return company


def read_recording_settings(reader, company):
    """BigBlueButton recording: allowed, and started with the room. A form without the
    section (its marker field) keeps both as they are, since an unticked box sends nothing."""
    if not reader.form.get("bbb_recording_section"):
        return {}
    allows = reader.flag("allows_bbb_recordings")
    auto_start = reader.flag("bbb_auto_start_recording")
    if auto_start and not allows:
        reader.error(
            "bbb_auto_start_recording",
            _("Recording can start automatically only where recordings are allowed."),
        )
    return {"allows_bbb_recordings": allows, "bbb_auto_start_recording": auto_start}


def save_user(user, form, acting_user):
    """Create (user=None) or update an account; a new account needs a password.

    Admins cannot take away their own admin role or deactivate themselves, so the company
    never locks itself out. A new password or a change of "active" signs the account
    out everywhere (a reactivated account does not revive old cookies).
    """
    reader = FormReader(form)
    email = reader.text("email", required=True, max_length=254).lower()
    if email and not EMAIL.match(email):
        reader.error("email", _("Enter an email address like name@example.com."))
    elif (
        email
        and User.select().where(User.email == email, User.id != (user and user.id or 0)).exists()
    ):
        reader.error("email", _("Another account already uses this email."))
    name = reader.text("name", required=True, max_length=120)
    role = reader.choice("role", Role.values())
    handle = reader.text("handle", max_length=40).lower() or None
    if handle and not HANDLE.match(handle):
        reader.error("handle", _("Use lower-case letters, digits and hyphens."))
    elif (
        handle
        and User.select().where(User.handle == handle, User.id != (user and user.id or 0)).exists()
    ):
        reader.error("handle", _("Another account already uses this handle."))
    password = form.get("password") or ""
    if (user is None or password) and len(password) < PASSWORD_MIN:
        reader.error("password", _("At least %(min)d characters.", min=PASSWORD_MIN))
    is_active = reader.flag("is_active") if user else True
    if user is not None and user.id == acting_user.id:
        if role != Role.ADMIN:
            reader.error("role", _("You cannot take away your own admin role."))
        if not is_active:
            reader.error("is_active", _("You cannot deactivate your own account."))
    reader.raise_if_invalid()
    is_new = user is None
    ends_sessions = not is_new and user.is_active != is_active
    user = user or User()
    user.email, user.name, user.role, user.handle, user.is_active = (
        email,
        name,
        role,
        handle,
        is_active,
    )
    if is_new:
        user.set_password(password)
    user.save()
    if password and not is_new:
        set_new_password(user, password)
    elif ends_sessions:
        end_sessions(user)
    return user


def change_password(user, form, current_password_field=None):
    """Set the password typed in `password` and sign the account out everywhere (the caller
    signs the person's own browser in again). With `current_password_field`, the current
    password must be typed too (a changed password on the profile); a reset link stands for
    it otherwise."""
    reader = FormReader(form)
    if current_password_field and not user.check_password(form.get(current_password_field) or ""):
        reader.error(current_password_field, _("This is not your current password."))
    password = form.get("password") or ""
    if len(password) < PASSWORD_MIN:
        reader.error("password", _("At least %(min)d characters.", min=PASSWORD_MIN))
    reader.raise_if_invalid()
    set_new_password(user, password)
    return user
