"""Time zones, deadlines and overlaps: the calendar arithmetic behind sessions and days.

Stored times are naive UTC; local times are naive wall-clock times in a named zone.
"""

from datetime import UTC, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

REGISTRATION_END_TIME = time(11, 59)
DEFAULT_DAY_LENGTH = timedelta(hours=1)


@cache
def all_timezones():
    """Every IANA zone name this machine knows (tzdata ships them), sorted."""
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


@cache
def _links():
    """{alias: canonical id}, from the `L canonical alias` lines of the tzdata package."""
    text = files("tzdata").joinpath("zoneinfo/tzdata.zi").read_text()
    return {
        alias: target
        for _link, target, alias in (
            line.split()[:3] for line in text.splitlines() if line[:2] == "L "
        )
    }


@cache
def zone_aliases():
    """{canonical id: [its aliases]}."""
    aliases = {}
    for alias, target in _links().items():
        aliases.setdefault(target, []).append(alias)
    return aliases


def canonical(zone):
    """The zone's canonical id: `Asia/Calcutta` → `Asia/Kolkata`; other ids as they are."""
    zone = _links().get(zone, zone)
    return _links().get(zone, zone)  # a link may point at a link (backzone)


@cache
def _zone_names():
    return frozenset(all_timezones())


def is_timezone(name):
    if not name or name not in _zone_names():  # a set per call cost 25 µs a bulk row
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def wall_clock_problem(local, zone):
    """ "skipped" when `local` does not exist in `zone` (the clocks jump over it),
    "repeated" when it happens twice (the clocks go back), else None."""
    tz = ZoneInfo(zone)
    early, late = local.replace(tzinfo=tz, fold=0), local.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return None
    round_trip = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    return "skipped" if round_trip != local else "repeated"


def offsets_of(local, zone):
    """The UTC offsets of both readings of a repeated wall-clock time: ("UTC+02:00", ...)."""
    tz = ZoneInfo(zone)
    return tuple(
        "UTC"
        + local.replace(tzinfo=tz, fold=fold).strftime("%z")[:3]
        + ":"
        + local.replace(tzinfo=tz, fold=fold).strftime("%z")[3:]
        for fold in (0, 1)
    )


def to_utc(local, zone):
    """Wall-clock time in `zone` -> naive UTC."""
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def to_local(utc, zone):
    """Naive UTC -> aware time in `zone`."""
    return utc.replace(tzinfo=UTC).astimezone(ZoneInfo(zone))


def to_local_naive(utc, zone):
    return to_local(utc, zone).replace(tzinfo=None)


def proposed_registration_end(now_utc, zone):
    """The next calendar day at 11:59 in `zone` (01.01.2024 08:59 -> 02.01.2024 11:59)."""
    tomorrow = to_local(now_utc, zone).date() + timedelta(days=1)
    return to_utc(datetime.combine(tomorrow, REGISTRATION_END_TIME), zone)


def proposed_day_slot(registration_end_at, days, now_utc, zone):
    """(start, end) in UTC for a new day.

    After the last day when there is one (same length, one day later), else registration
    end + 1 day, else the day after the proposed registration end; never in the past (a
    finished session's next day is proposed on the first day to come).
    """
    if days:  # the same wall-clock times the next day, across a daylight-saving change
        last = max(days, key=lambda day: day.start_at)
        return _in_the_future(last.start_at, last.end_at, now_utc, zone)
    anchor = registration_end_at or proposed_registration_end(now_utc, zone)
    return _in_the_future(anchor, anchor + DEFAULT_DAY_LENGTH, now_utc, zone)


def _in_the_future(start, end, now_utc, zone):
    """The slot [start, end) moved on by whole days (same wall-clock times) to the first
    one that starts after `now_utc`, and at least one day on: a finished session's next
    day is proposed in the future, not in the past."""
    local_start, local_end = to_local_naive(start, zone), to_local_naive(end, zone)
    behind = (to_local_naive(now_utc, zone) - local_start).days
    step = max(1, behind + 1)
    while to_utc(local_start + timedelta(days=step), zone) <= now_utc:
        step += 1
    return tuple(to_utc(moment + timedelta(days=step), zone) for moment in (local_start, local_end))


def overlaps(start, end, other_start, other_end):
    """True when [start, end) and [other_start, other_end) share any instant."""
    return start < other_end and other_start < end


def first_overlap(start, end, days, ignore_id=None):
    for day in days:
        if day.id != ignore_id and overlaps(start, end, day.start_at, day.end_at):
            return day
    return None
