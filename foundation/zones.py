"""Time zones as people read them: one id per zone, and its name in the reader's language
with its UTC offset at the moment shown ("Moscow (UTC+3)", "Москва (UTC+3)", "Berlin
(UTC+1)" in winter and "(UTC+2)" in summer, "India (UTC+5:30)").

Browsers report legacy aliases (Chromium says `Asia/Calcutta`), so every id is made
canonical (`Asia/Kolkata`) with the links of the pinned tz database before it is shown,
stored or compared. A zone is named by its country where the country has one zone
("India"), else by its city ("Berlin"); where two zones would read the same, the country is
added ("Salem, India" against "Salem, United States"). Babel supplies the names; each name
is worked out once per process.
"""

from collections import Counter
from datetime import UTC, datetime
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global

from foundation.schedule import all_timezones, canonical, zone_aliases

NO_OFFSET_ZONES = {"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"}


def _babel_key(zone):
    """Babel keeps its names under CLDR's ids, some of them the legacy ones (`Europe/Kiev`)."""
    known = Locale.parse("en").time_zones
    return next((name for name in [zone, *zone_aliases().get(zone, [])] if name in known), zone)


@cache
def _zones_per_territory():
    return Counter(get_global("zone_territories").values())


def _territory(zone):
    territories = get_global("zone_territories")
    return next((territories[key] for key in [zone, _babel_key(zone)] if key in territories), None)


def _city(zone, locale):
    city = locale.time_zones.get(_babel_key(zone), {}).get("city")
    return city or zone.rsplit("/", 1)[-1].replace("_", " ")


def _place(zone, locale):
    """(the zone's short name, its name with the country) in `locale`."""
    territory = _territory(zone)
    country = locale.territories.get(territory) if territory else None
    if country and _zones_per_territory()[territory] == 1:
        return country, country
    city = _city(zone, locale)
    return city, f"{city}, {country}" if country else zone


@cache
def place_names(locale_code):
    """{canonical id: name} for every zone in `locale_code`, no two alike."""
    locale = Locale.parse(locale_code)
    places = {
        zone: _place(zone, locale)
        for zone in {canonical(zone) for zone in all_timezones()}
        if zone not in NO_OFFSET_ZONES and not zone.startswith("Etc/")
    }
    counts = Counter(short for short, _long in places.values())
    names = {zone: short if counts[short] == 1 else long for zone, (short, long) in places.items()}
    counts = Counter(names.values())
    return {zone: name if counts[name] == 1 else f"{name} ({zone})" for zone, name in names.items()}


def offset_text(minutes):
    """`UTC`, `UTC+3`, `UTC+5:30`, `UTC-3:30`."""
    if not minutes:
        return "UTC"
    sign, minutes = ("+" if minutes > 0 else "-"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def offset_minutes(zone, moment_utc=None):
    moment = (moment_utc or datetime.now(UTC).replace(tzinfo=None)).replace(tzinfo=UTC)
    return int(moment.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


@lru_cache(maxsize=4096)
def _label(zone, minutes, locale_code):
    name = place_names(locale_code).get(zone)
    return f"{name} ({offset_text(minutes)})" if name else offset_text(minutes)


def zone_label(zone, moment_utc=None, locale_code="en"):
    """The zone as the reader knows it, with its offset at `moment_utc` (naive UTC; now when
    None): `Moscow (UTC+3)`. An id that is not a zone is shown as it is."""
    if not isinstance(zone, str):
        return ""
    zone = canonical(zone)
    try:
        minutes = offset_minutes(zone, moment_utc)
    except (ValueError, KeyError, OSError):  # zoneinfo's ZoneInfoNotFoundError is a KeyError
        return zone
    return _label(zone, minutes, locale_code)


def other_place_names(zone, locale_code):
    """What else names `zone` in `locale_code`, for finding it by any of them: ([its city,
    its country], [its common name: "Moscow Time", "Pacific Time"]), those it has."""
    locale = Locale.parse(locale_code)
    territory = _territory(zone)
    metazone = get_global("meta_zones").get(_babel_key(zone))
    common = locale.meta_zones.get(metazone, {}).get("long", {}) if metazone else {}
    places = [_city(zone, locale), locale.territories.get(territory) if territory else None]
    common_names = [common.get("generic") or common.get("standard")]
    return [name for name in places if name], [name for name in common_names if name]
