"""Company settings, user accounts and the language switch, as an admin uses them."""

import pytest
from conftest import PASSWORD

from models import Company, Role, User, db

VALID_SETTINGS = {
    "timezone": "America/New_York",
    "locales": ["en", "ru"],
    "default_locale": "ru",
    "is_zoom_enabled": "",  # unchecked: browsers send nothing, an empty value reads the same
    "allows_group_sessions": "on",
    "mentees_per_session_limit": "40",
    "bulk_rows_limit": "1000",
    "min_duration_minutes": "45",
    "group_minimum_cutoff_hours": "0",
}


def company_row():
    with db.connection_context():
        return Company.select().order_by(Company.id).dicts().get()


def stored_user(email):
    with db.connection_context():
        return User.get_or_none(User.email == email)


def user_count():
    with db.connection_context():
        return User.select().count()


def field_error(name, message):
    """How a message appears right below its field (macros.html, `error`)."""
    return f'data-error-for="{name}">{message}</p>'


# Company settings --------------------------------------------------------------------------


def save_settings(client, **changes):
    # An English browser, so that making Russian the default does not translate the answer.
    return client.htmx(
        "post",
        "/admin/settings",
        data={**VALID_SETTINGS, **changes},
        headers={"Accept-Language": "en"},
    )


def test_settings_are_saved_and_confirmed_in_place(admin):
    response = save_settings(admin)

    assert response.status_code == 200
    assert 'id="settings-form"' in response.text
    assert "Saved." in response.text
    assert "toast" in response.headers["HX-Trigger"]
    with db.connection_context():
        company = Company.current()
    assert company.timezone == "America/New_York"
    assert company.locales == ["en", "ru"]
    assert company.default_locale == "ru"
    assert company.is_zoom_enabled is False
    assert company.allows_group_sessions is True
    assert company.mentees_per_session_limit == 40
    assert company.bulk_rows_limit == 1000
    assert company.min_duration_minutes == 45
    assert company.group_minimum_cutoff_hours == 0


def test_settings_changing_the_languages_reloads_the_page(admin):
    response = save_settings(admin, locales=["ru"], default_locale="ru", is_zoom_enabled="on")

    assert response.status_code == 204
    assert response.headers["HX-Refresh"] == "true"
    with db.connection_context():
        company = Company.current()
    assert company.locales == ["ru"]
    assert company.default_locale == "ru"
    assert company.is_zoom_enabled is True


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Choose a time zone from the list."),
        ({"timezone": ""}, "timezone", "This field is required."),
        ({"locales": []}, "locales", "Enable at least one language."),
        ({"locales": ["xx"]}, "locales", "Enable at least one language."),
        (
            {"locales": ["en"], "default_locale": "ru"},
            "default_locale",
            "The default language must be one of the enabled ones.",
        ),
        (
            {"mentees_per_session_limit": "many"},
            "mentees_per_session_limit",
            "Enter a whole number.",
        ),
        ({"bulk_rows_limit": "0"}, "bulk_rows_limit", "Enter a number of at least 1."),
        ({"min_duration_minutes": "0"}, "min_duration_minutes", "Enter a number of at least 1."),
        ({"min_duration_minutes": ""}, "min_duration_minutes", "This field is required."),
        (
            {"group_minimum_cutoff_hours": "-1"},
            "group_minimum_cutoff_hours",
            "Enter a number of at least 0.",
        ),
    ],
    ids=[
        "unknown zone",
        "no zone",
        "no locale",
        "unknown locale",
        "default not enabled",
        "non-numeric limit",
        "zero rows limit",
        "zero duration",
        "empty duration",
        "negative cutoff",
    ],
)
def test_settings_invalid_value_is_shown_at_its_field_and_nothing_saved(
    admin, changes, field, message
):
    before = company_row()

    response = save_settings(admin, **changes)

    assert response.status_code == 422
    assert field_error(field, message) in response.text
    assert company_row() == before


def test_settings_invalid_form_keeps_what_was_typed(admin):
    response = save_settings(admin, timezone="Mars/Olympus_Mons", bulk_rows_limit="777")

    assert 'value="Mars/Olympus_Mons"' in response.text
    assert 'value="777"' in response.text


# Users -------------------------------------------------------------------------------------

NEW_USER = {
    "email": "  Dana.Host@Example.COM ",
    "name": "Dana Host",
    "role": "host",
    "handle": "dana-host",
    "password": "longpassword1",
}


def create_user(client, **changes):
    return client.htmx("post", "/admin/users", data={**NEW_USER, **changes})


def test_users_create_stores_a_hashed_password_and_lower_case_email(admin):
    response = create_user(admin)

    assert response.status_code == 200
    assert "Dana Host" in response.text
    assert response.headers["HX-Retarget"] == "#users"
    user = stored_user("dana.host@example.com")
    assert user is not None
    assert (user.name, user.role, user.handle, user.is_active) == (
        "Dana Host",
        Role.HOST,
        "dana-host",
        True,
    )
    assert "longpassword1" not in user.password_hash
    assert user.check_password("longpassword1")


def test_users_created_account_can_sign_in(app, admin):
    create_user(admin)

    client = app.test_client()
    response = client.post(
        "/login", data={"email": "dana.host@example.com", "password": "longpassword1"}
    )

    assert response.status_code == 302


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "Taken@Example.com"}, "email", "Another account already uses this email."),
        ({"email": "not-an-email"}, "email", "Enter an email address like name@example.com."),
        ({"email": ""}, "email", "This field is required."),
        ({"name": "   "}, "name", "This field is required."),
        ({"password": "short12"}, "password", "At least 12 characters."),
        ({"password": ""}, "password", "At least 12 characters."),
        ({"handle": "Demo Host!"}, "handle", "Use lower-case letters, digits and hyphens."),
        ({"handle": "taken-handle"}, "handle", "Another account already uses this handle."),
        ({"role": "owner"}, "role", "Choose one of the options."),
    ],
    ids=[
        "duplicate email",
        "malformed email",
        "no email",
        "no name",
        "short password",
        "no password",
        "bad handle",
        "duplicate handle",
        "unknown role",
    ],
)
def test_users_create_invalid_is_refused_with_the_message(
    admin, make_user, changes, field, message
):
    make_user(Role.MEMBER, email="taken@example.com", handle="taken-handle")
    count = user_count()

    response = create_user(admin, **changes)

    assert response.status_code == 422
    assert field_error(field, message) in response.text
    assert user_count() == count
    assert stored_user("dana.host@example.com") is None


def test_users_edit_changes_role_and_handle_and_keeps_the_password(admin, make_user):
    user = make_user(Role.MEMBER, email="mia@example.com")

    response = admin.htmx(
        "post",
        f"/admin/users/{user.id}",
        data={
            "email": "mia@example.com",
            "name": "Mia Host",
            "role": "host",
            "handle": "mia",
            "password": "",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert f'id="user-{user.id}"' in response.text and "Mia Host" in response.text
    user = stored_user("mia@example.com")
    assert (user.name, user.role, user.handle, user.is_active) == (
        "Mia Host",
        Role.HOST,
        "mia",
        True,
    )
    assert user.check_password(PASSWORD)


def test_users_edit_can_deactivate_another_account(admin, make_user):
    user = make_user(Role.HOST, email="leaver@example.com")

    response = admin.htmx(
        "post",
        f"/admin/users/{user.id}",
        data={"email": "leaver@example.com", "name": "Leaver", "role": "host"},
    )

    assert response.status_code == 200
    assert "inactive" in response.text
    assert stored_user("leaver@example.com").is_active is False


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"role": "member", "is_active": "on"},
            "role",
            "You cannot take away your own admin role.",
        ),
        ({"role": "admin"}, "is_active", "You cannot deactivate your own account."),
    ],
    ids=["demote", "deactivate"],
)
def test_users_admin_cannot_lock_themselves_out(admin, changes, field, message):
    me = admin.user

    response = admin.htmx(
        "post",
        f"/admin/users/{me.id}",
        data={"email": me.email, "name": me.name, **changes},
    )

    assert response.status_code == 422
    assert field_error(field, message) in response.text
    stored = stored_user(me.email)
    assert (stored.role, stored.is_active) == (Role.ADMIN, True)
    assert admin.get("/admin/users").status_code == 200


def test_users_list_escapes_what_users_typed(admin):
    created = create_user(admin, name="<script>alert(1)</script>")
    page = admin.get("/admin/users").text

    assert created.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in created.text

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_users_list_shows_every_account(admin, make_user):
    host = make_user(Role.HOST, email="hal@example.com")
    make_user(Role.MEMBER, email="meg@example.com", is_active=False)

    page = admin.get("/admin/users").text

    for text in (host.name, "hal@example.com", "meg@example.com", admin.user.email):
        assert text in page
    assert "inactive" in page


# The language switch -----------------------------------------------------------------------


def test_locale_switch_is_stored_on_the_account(app, sign_in):
    client = sign_in(Role.MEMBER)

    response = client.post("/locale", data={"locale": "ru", "next": "/"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert stored_user(client.user.email).locale == "ru"
    assert '<html lang="ru">' in client.get("/", follow_redirects=True).text
    # The choice follows the account to another browser.
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"email": client.user.email, "password": PASSWORD})
    assert '<html lang="ru">' in elsewhere.get("/", follow_redirects=True).text


def test_locale_switch_ignores_a_language_the_company_has_not_enabled(sign_in):
    client = sign_in(Role.MEMBER)
    with db.connection_context():
        Company.update(locales=["en"]).execute()

    client.post("/locale", data={"locale": "ru", "next": "/"})

    assert stored_user(client.user.email).locale is None
    assert '<html lang="en">' in client.get("/", follow_redirects=True).text


def test_locale_switch_for_a_visitor_is_remembered_by_the_browser(app):
    client = app.test_client()

    response = client.post("/locale", data={"locale": "ru", "next": "//evil.example"})

    assert response.headers["Location"] == "/"  # an off-site `next` is ignored
    assert '<html lang="ru">' in client.get("/login").text
