"""The zone picker: a zone is found by what people type (a city, a country, an offset or
the id, in English or Russian), each zone is offered once under its canonical id and named
as the reader knows it, the browser's zone comes first, and every zone field of the app is
this picker, checked by the server when JavaScript is off."""

import re
from datetime import datetime

import pytest

from foundation.schedule import canonical
from foundation.zone_search import find_zones, offset_of, zone_index
from foundation.zones import place_names, zone_label
from models import Company, Role, User, db

WINTER, SUMMER = datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12)


def labels(query, locale, browser_zone="", now=WINTER):
    return [zone_label(zone, now, locale) for zone in find_zones(query, locale, browser_zone, now)]


@pytest.mark.parametrize(
    ("query", "locale", "first"),
    [
        ("Моск", "ru", "Москва (UTC+3)"),
        ("москва", "ru", "Москва (UTC+3)"),
        ("Moscow", "ru", "Москва (UTC+3)"),  # English names find zones in Russian too
        ("Kolkata", "ru", "Индия (UTC+5:30)"),
        ("Калькутта", "ru", "Индия (UTC+5:30)"),
        ("Индия", "ru", "Индия (UTC+5:30)"),
        ("Kolkata", "en", "India (UTC+5:30)"),
        ("calcutta", "en", "India (UTC+5:30)"),  # the legacy id finds the zone
        ("berlin", "en", "Berlin (UTC+1)"),
        ("BERLIN", "ru", "Берлин (UTC+1)"),
        ("Europe/Ber", "en", "Berlin (UTC+1)"),
        ("zurich", "en", "Switzerland (UTC+1)"),  # accents set aside (Zürich)
        ("Нью-Й", "ru", "Нью-Йорк (UTC-5)"),
        ("Москва (UTC+3)", "ru", "Москва (UTC+3)"),  # a label typed back
        ("UTC", "en", "UTC"),
    ],
)
def test_zone_search_finds_a_zone_by_city_country_or_id(query, locale, first):
    assert labels(query, locale)[0] == first


@pytest.mark.parametrize(
    ("query", "expected"),
    [("+5:30", {"Asia/Kolkata", "Asia/Colombo"}), ("5:30", {"Asia/Kolkata", "Asia/Colombo"})],
)
def test_zone_search_finds_the_zones_at_an_offset(query, expected):
    assert set(find_zones(query, "en", now=WINTER)) == expected


def test_zone_search_reads_the_offset_at_the_moment_of_the_search():
    in_winter, in_summer = (
        find_zones("UTC+1", "en", now=WINTER),
        find_zones("UTC+1", "en", now=SUMMER),
    )
    assert "Europe/Berlin" in in_winter and "Europe/Berlin" not in in_summer
    assert "Europe/Berlin" in find_zones("+2", "ru", now=SUMMER)
    assert "Europe/Moscow" in find_zones("UTC+3", "ru", now=SUMMER)
    assert all(label.endswith("(UTC+3)") for label in labels("UTC+3", "ru"))
    assert "Europe/Moscow" not in find_zones("UTC+4", "en", now=WINTER)


@pytest.mark.parametrize(
    ("query", "minutes"),
    [("+3", 180), ("UTC+3", 180), ("utc -3:30", -210), ("GMT+05:45", 345), ("5:30", 330)],
)
def test_zone_search_reads_offsets(query, minutes):
    assert offset_of(query) == minutes


@pytest.mark.parametrize("query", ["5", "3", "+15", "+5:75", "Moscow", "", "++3"])
def test_zone_search_a_bare_number_or_a_word_is_no_offset(query):
    assert offset_of(query) is None


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_zone_search_offers_each_zone_once_under_its_canonical_id(locale):
    zones = [entry.zone for entry in zone_index(locale)]
    assert len(zones) == len(set(zones))
    assert all(canonical(zone) == zone for zone in zones)
    assert "Asia/Calcutta" not in zones and "Europe/Kiev" not in zones
    for query in ("Kolkata", "Calcutta", "Индия", "+5:30", "Kyiv", "Kiev", "Киев"):
        found = find_zones(query, locale, now=WINTER)
        assert len(found) == len(set(found)) and all(canonical(zone) == zone for zone in found)
    assert find_zones("Asia/Calcutta", locale) == ["Asia/Kolkata"]


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_zone_search_tells_apart_zones_that_share_a_name(locale):
    """Two Salems and many "Center"s: no two options read alike."""
    for query in ("Salem", "Indiana", "Kentucky", "Dakota", "+3", "-5", "America/"):
        shown = labels(query, locale)
        assert shown and len(shown) == len(set(shown)), shown
    names = place_names(locale)
    assert names["America/North_Dakota/New_Salem"] != names["America/North_Dakota/Center"]


def test_zone_search_puts_the_browser_zone_first():
    assert find_zones("+5:30", "ru", "Asia/Colombo", WINTER)[0] == "Asia/Colombo"
    assert find_zones("+5:30", "ru", "Asia/Calcutta", WINTER)[0] == "Asia/Kolkata"
    assert find_zones("", "ru", "Asia/Calcutta", WINTER) == ["Asia/Kolkata"]
    assert find_zones("Berlin", "en", "Asia/Tokyo", WINTER) == ["Europe/Berlin"]
    assert find_zones("", "en", "Mars/Base", WINTER) == []


# The options endpoint ----------------------------------------------------------------------


def options(client, **params):
    return client.htmx("get", "/profile/zones", query_string=params)


def option_labels(response):
    return re.findall(r'data-label="([^"]*)"', response.text)


def test_zone_options_are_named_in_the_readers_language(sign_in):
    member = sign_in(Role.MEMBER, locale="ru")
    answer = options(member, q="Моск")
    assert answer.status_code == 200
    assert option_labels(answer)[0] == zone_label("Europe/Moscow", None, "ru")
    assert 'data-value="Europe/Moscow"' in answer.text
    english = options(sign_in(Role.MEMBER, locale="en"), q="Kolkata")
    assert option_labels(english) == [zone_label("Asia/Kolkata", None, "en")]
    assert "1 time zone found" in english.text


def test_zone_options_put_the_browser_zone_first_and_mark_it(sign_in):
    member = sign_in(Role.MEMBER, locale="ru")
    answer = options(member, q="+5:30", browser="Asia/Colombo")
    assert option_labels(answer)[0] == zone_label("Asia/Colombo", None, "ru")
    assert "как в браузере" in answer.text.split("</li>")[0]
    member.set_cookie("tz", "Asia/Calcutta")  # the cookie app.js keeps, as Chromium says it
    assert option_labels(options(member, q="")) == [zone_label("Asia/Kolkata", None, "ru")]


def test_zone_options_are_few_and_say_how_many_were_found(sign_in):
    member = sign_in(Role.MEMBER)
    answer = options(member, q="a")
    assert len(option_labels(answer)) == 20
    assert re.search(r"\d+ time zones found, the first 20 shown", answer.text)
    nothing = options(member, q="Atlantis")
    assert option_labels(nothing) == [] and "No time zone found" in nothing.text


def test_zone_options_refuse_a_visitor(sign_in):
    visitor = sign_in(None)
    answer = options(visitor, q="Моск")
    assert answer.status_code in (302, 401, 403)
    assert "Europe/Moscow" not in answer.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 5000},
        {"q": "\x00Моск"},
        {"q": "%", "browser": "../../etc/passwd"},
        {"q": "+99:99"},
        {"q": "UTC+", "browser": "\x00"},
        {"q": ["a", "b"]},
        {"browser": "Europe/Moscow" * 400},
        {},
    ],
)
def test_zone_options_take_any_input(sign_in, params):
    answer = options(sign_in(Role.MEMBER), **params)
    assert answer.status_code in (200, 400)
    assert len(option_labels(answer)) <= 20


# Every zone field --------------------------------------------------------------------------


def zone_fields(html):
    return re.findall(r"<input[^>]*data-combobox=\"value\"[^>]*>", html)


def test_every_zone_field_is_the_zone_picker(app, sign_in, make_event, make_session):
    """The company's, an event session's, an assessment session's and the profile's zone
    fields: a type-ahead on the options endpoint, showing the zone's name, carrying its id."""
    admin = sign_in(Role.ADMIN, locale="ru", timezone="Asia/Calcutta")
    session = make_session(make_event(), timezone="Europe/Berlin")
    pages = {
        "/admin/settings": "Europe/Moscow",
        f"/admin/sessions/{session.id}/edit": "Europe/Berlin",
        "/admin/assessment-sessions/new": "Europe/Moscow",
        "/profile": "Asia/Calcutta",
    }
    for address, zone in pages.items():
        page = admin.htmx("get", address) if "/edit" in address else admin.get(address)
        assert page.status_code == 200, address
        fields = zone_fields(page.text)
        assert len(fields) == 1, address
        (field,) = fields
        assert 'name="timezone"' in field and f'value="{zone}"' in field, address
        assert f'data-label="{zone_label(zone, None, "ru")}"' in field, address
        assert 'hx-get="/profile/zones"' in field and 'role="combobox"' in field, address
        assert "<datalist" not in page.text, address


def test_zone_fields_without_javascript_take_an_id_and_refuse_others(app, sign_in):
    admin = sign_in(Role.ADMIN)
    refused = admin.htmx("post", "/profile", data={"name": "Ann", "timezone": "Москва"})
    assert refused.status_code == 422 and "Choose a time zone from the list." in refused.text
    (field,) = zone_fields(refused.text)
    assert 'aria-invalid="true"' in field and 'value="Москва"' in field
    admin.htmx("post", "/profile", data={"name": "Ann", "timezone": "Asia/Kolkata"})
    settings = {"timezone": "Nowhere/Else", "locales": ["en"], "default_locale": "en"}
    refused = admin.htmx("post", "/admin/settings", data=settings)
    assert refused.status_code == 422 and "Choose a time zone from the list." in refused.text
    with app.app_context(), db.connection_context():
        assert User.get_by_id(admin.user.id).timezone == "Asia/Kolkata"
        assert Company.get().timezone == "Europe/Moscow"
