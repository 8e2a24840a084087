"""Finding a time zone by what a person types in the zone picker: a city, a country or a
zone's common name in their language or in English ("Моск", "Kolkata", "Индия", "Pacific
Time"), an offset ("+5:30", "5:30", "UTC+3") or the id itself ("Europe/Ber").

Each zone is listed once, under its canonical id (an alias such as `Asia/Calcutta` only
helps to find it), and named as everywhere else (`foundation.zones`). The searchable index
of names is built once per language per process; offsets are read at the moment of the
search, since they change with daylight saving time.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache

from foundation.schedule import canonical, is_timezone, zone_aliases
from foundation.zones import offset_minutes, other_place_names, place_names

MAX_QUERY = 100
SEARCH_LANGUAGE = "en"  # English names find a zone in every language ("Kolkata")
WORD_BREAKS = re.compile(r"[\s/_\-,.()’']+")
# "+3", "-3:30", "5:30", "UTC+3", "GMT-04:00", "utc+5.30": an offset, signed or with minutes.
OFFSET = re.compile(
    r"^(?:(?P<prefix>utc|gmt))?(?P<sign>[+\-−])?(?P<hours>\d{1,2})(?:[:.]?(?P<minutes>\d{2}))?$"
)
# A label typed back ("Москва (UTC+3)"): its name is what is searched.
LABEL_OFFSET = re.compile(r"\s*\((?:utc|gmt)[^)]*\)\s*$", re.IGNORECASE)
UTC_ZONE = canonical("UTC")  # Etc/UTC


def fold(text):
    """Text as searched: case, accents and the dots of ё set aside ("Zürich" ~ "zurich")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).strip()


def _searchable(texts):
    """Each text folded, with its words: ((text, (word, ...)), ...), no text twice."""
    folded = dict.fromkeys(fold(text) for text in texts if text)
    return tuple((text, tuple(WORD_BREAKS.split(text))) for text in folded if text)


@dataclass(frozen=True)
class IndexedZone:
    zone: str
    name: str  # the place as the picker shows it, before its offset
    places: tuple  # its name, city and country, in the reader's language and in English
    common_names: tuple  # "Moscow Time", "Pacific Time"
    ids: tuple  # its id and its aliases


def _indexed(zone, name, locale_codes):
    places, common = [name], []
    for code in locale_codes:
        cities_and_countries, common_names = other_place_names(zone, code)
        places += [place_names(code).get(zone), *cities_and_countries]
        common += common_names
    ids = [zone, *zone_aliases().get(zone, [])]
    return IndexedZone(zone, name, _searchable(places), _searchable(common), _searchable(ids))


@cache
def zone_index(locale_code):
    """Every zone people can pick (UTC too), with what finds it, sorted by its name in
    `locale_code`."""
    codes = list(dict.fromkeys([locale_code, SEARCH_LANGUAGE]))
    names = place_names(locale_code) | {UTC_ZONE: "UTC"}
    entries = [_indexed(zone, name, codes) for zone, name in names.items()]
    return tuple(sorted(entries, key=lambda entry: fold(entry.name)))


def _rank_in(query, searchable):
    """0: a text is the query; 1: one starts with it; 2: a word of one does; 3: one holds
    it; None: none does."""
    best = None
    for text, words in searchable:
        if text == query:
            return 0
        if text.startswith(query):
            rank = 1
        elif any(word.startswith(query) for word in words):
            rank = 2
        elif query in text:
            rank = 3
        else:
            continue
        best = rank if best is None else min(best, rank)
    return best


def _rank(query, entry):
    """Names of the place before common names, and those before ids (typing "Моск" finds
    Moscow before Volgograd, which keeps Moscow time; "Pacific" finds Pacific Time before
    the ids under Pacific/)."""
    for group, searchable in enumerate((entry.places, entry.common_names, entry.ids)):
        rank = _rank_in(query, searchable)
        if rank is not None:
            return 4 * group + rank
    return None


def offset_of(query):
    """The offset in minutes a query names ("+5:30" → 330, "UTC-3" → -180), else None. A
    bare number ("5") is no offset: it needs a sign, a "UTC" or its minutes."""
    match = OFFSET.match(re.sub(r"\s+", "", fold(query)))
    if not match or not (match["prefix"] or match["sign"] or match["minutes"]):
        return None
    hours, minutes = int(match["hours"]), int(match["minutes"] or 0)
    if hours > 14 or minutes >= 60:
        return None
    return (-1 if match["sign"] in ("-", "−") else 1) * (hours * 60 + minutes)


@lru_cache(maxsize=4)
def _offsets_at(quarter_hour):
    """{zone: offset in minutes} at a naive UTC moment; clocks change on the quarter hour at
    the finest, so one reading serves every search in those 15 minutes."""
    return {entry.zone: offset_minutes(entry.zone, quarter_hour) for entry in zone_index("en")}


def _at_offset(minutes, locale_code, now):
    offsets = _offsets_at(now.replace(minute=now.minute // 15 * 15, second=0, microsecond=0))
    return [entry for entry in zone_index(locale_code) if offsets.get(entry.zone) == minutes]


def _by_name(query, locale_code):
    query = fold(LABEL_OFFSET.sub("", query))
    if not query:
        return []
    ranked = []
    for position, entry in enumerate(zone_index(locale_code)):
        rank = _rank(query, entry)
        if rank is not None:
            ranked.append((rank, position, entry))
    return [entry for _rank, _position, entry in sorted(ranked)]


def find_zones(query, locale_code, browser_zone="", now=None):
    """The ids of the zones `query` finds, best first; the browser's own zone leads when it
    is among them, and is the one offered when nothing is typed. `now` (naive UTC) is the
    moment offsets are read at."""
    query = (query or "")[:MAX_QUERY].strip()
    now = now or datetime.now(UTC).replace(tzinfo=None)
    browser_zone = canonical(browser_zone) if is_timezone(browser_zone) else ""
    if not query:
        return [browser_zone] if browser_zone else []
    minutes = offset_of(query)
    at_offset = _at_offset(minutes, locale_code, now) if minutes is not None else []
    zones = list(dict.fromkeys(entry.zone for entry in at_offset + _by_name(query, locale_code)))
    if browser_zone in zones:
        zones.remove(browser_zone)
        zones.insert(0, browser_zone)
    return zones
