"""A member's own schedule (`/home/schedule`): everything they are in, of every kind (event
days, group and mentoring sessions, assessment deadlines they owe), still to come, grouped
by day in their zone, with a mark where two overlap. Constant queries: one for the
sessions' days, one per kind of deadline."""

from flask import Blueprint, g, render_template
from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from accounts.access import allow
from assessments import deadlines
from foundation.i18n import viewer_timezone
from foundation.schedule import overlaps, to_local_naive
from models import Role, SessionKind, Status, utcnow
from sessions import personal_schedule

URL_PREFIXES = ("/home/schedule",)
bp = Blueprint("my_schedule", __name__)

KIND_LABELS = {
    deadlines.SELF_SURVEY: _l("Self-survey due"),
    deadlines.RATER_SURVEY: _l("Rater survey due"),
}
STATUS_LABELS = {
    personal_schedule.HOST: _l("You host it"),
    personal_schedule.OWED: _l("To complete"),
}


def kind_label(kind):
    return KIND_LABELS.get(kind) or SessionKind.label(kind)


def status_label(status):
    return STATUS_LABELS.get(status) or Status.label(status)


def clashing_ids(items):
    """ids (positions) of the live items that overlap another live item of the list; the
    items are sorted by start, so each is compared with those that start before it ends."""
    timed = sorted(
        (index for index, item in enumerate(items) if item.is_live),
        key=lambda index: items[index].start_at,
    )
    found = set()
    for position, index in enumerate(timed):
        item = items[index]
        for other in timed[position + 1 :]:
            if items[other].start_at >= item.end_at:
                break
            if overlaps(item.start_at, item.end_at, items[other].start_at, items[other].end_at):
                found |= {index, other}
    return found


def by_day(items, zone):
    """[(day's heading, [(item, is_clash)])] in `zone`, soonest first; a deadline sits on
    the day it closes."""
    clashing = clashing_ids(items)
    days = {}
    for index, item in sorted(
        enumerate(items), key=lambda pair: pair[1].start_at or pair[1].end_at
    ):
        moment = item.start_at or item.end_at
        days.setdefault(to_local_naive(moment, zone).date(), []).append((item, index in clashing))
    return [(format_date(day, "full"), rows) for day, rows in days.items()]


def schedule_of(person, now=None):
    """Everything `person` is in that has not ended yet: three queries."""
    now = now or utcnow()
    return personal_schedule.items_of(person, ending_after=now) + deadlines.owed_by(person, now)


@bp.route("/home/schedule")
@allow(Role.MEMBER)
def schedule():
    zone = viewer_timezone()
    items = schedule_of(g.user)
    return render_template(
        "member/schedule.html",
        days=by_day(items, zone),
        zone=zone,
        clash_count=len(clashing_ids(items)),
        kind_label=kind_label,
        status_label=status_label,
    )
