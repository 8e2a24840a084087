"""Zones as people read them: a name in the reader's language and the offset at that moment,
aliases made canonical, no two zones named alike."""

from datetime import datetime

import pytest
from flask_babel import force_locale

from foundation import i18n
from foundation.schedule import all_timezones, canonical
from foundation.zones import offset_text, place_names, zone_label

WINTER, SUMMER = datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12)


@pytest.mark.parametrize(
    ("zone", "moment", "locale", "label"),
    [
        ("Europe/Moscow", WINTER, "en", "Moscow (UTC+3)"),
        ("Europe/Moscow", SUMMER, "ru", "Москва (UTC+3)"),
        ("Europe/Berlin", WINTER, "en", "Berlin (UTC+1)"),
        ("Europe/Berlin", SUMMER, "en", "Berlin (UTC+2)"),
        ("Europe/Berlin", WINTER, "ru", "Берлин (UTC+1)"),
        ("Europe/Berlin", SUMMER, "ru", "Берлин (UTC+2)"),
        ("Asia/Kolkata", WINTER, "en", "India (UTC+5:30)"),
        ("Asia/Kolkata", SUMMER, "ru", "Индия (UTC+5:30)"),
        ("Asia/Kathmandu", WINTER, "en", "Nepal (UTC+5:45)"),
        ("America/St_Johns", WINTER, "en", "St. John’s (UTC-3:30)"),
        ("America/New_York", SUMMER, "ru", "Нью-Йорк (UTC-4)"),
        ("Europe/London", WINTER, "en", "United Kingdom (UTC)"),
        ("UTC", SUMMER, "ru", "UTC"),
        ("Etc/GMT+5", WINTER, "en", "UTC-5"),
    ],
)
def test_zones_read_as_a_place_and_an_offset(zone, moment, locale, label):
    assert zone_label(zone, moment, locale) == label


@pytest.mark.parametrize(
    ("alias", "zone", "label_ru"),
    [
        ("Asia/Calcutta", "Asia/Kolkata", "Индия (UTC+5:30)"),
        ("Europe/Kiev", "Europe/Kyiv", "Киев (UTC+2)"),
        ("Asia/Saigon", "Asia/Ho_Chi_Minh", "Вьетнам (UTC+7)"),
    ],
)
def test_zones_legacy_aliases_read_as_their_zone(alias, zone, label_ru):
    assert canonical(alias) == zone and canonical(zone) == zone
    assert zone_label(alias, WINTER, "ru") == zone_label(zone, WINTER, "ru") == label_ru


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_zones_no_two_zones_read_alike(locale):
    names = place_names(locale)
    assert len(set(names.values())) == len(names)
    unnamed = {canonical(zone) for zone in all_timezones()} - set(names)
    assert all(zone == "UTC" or zone.startswith("Etc/") for zone in unnamed), unnamed


def test_zones_offsets_read_with_hours_and_minutes():
    assert [offset_text(m) for m in (0, 180, 330, -210, -600)] == [
        "UTC",
        "UTC+3",
        "UTC+5:30",
        "UTC-3:30",
        "UTC-10",
    ]


def test_zones_every_formatted_time_names_its_zone_in_the_reader_language(app):
    start, end = datetime(2026, 7, 6, 15), datetime(2026, 7, 6, 17)
    with app.test_request_context("/"):
        with force_locale("ru"):
            assert i18n.format_span(start, end, "Europe/Berlin").endswith("Берлин (UTC+2)")
            assert i18n.format_when(WINTER, "Asia/Calcutta").endswith("Индия (UTC+5:30)")
        with force_locale("en"):
            assert i18n.format_when(WINTER, "Europe/Berlin").endswith("Berlin (UTC+1)")
            assert i18n.zone_name("Europe/Moscow") == "Moscow (UTC+3)"
