"""The plain values of one mentoring session (`MentoringValues`) and what they mean: the
session type, tag labels, the people they name (who may mentor, who may create and manage,
accounts for a file's addresses, who is invited) and the meeting they describe."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from flask_babel import lazy_gettext as _l

from meetings.platforms import check_meeting
from models import Choices, Invitation, Registration, Role, Status, User
from sessions.hosting import Problems

TITLE_MAX = 180
DESCRIPTION_MAX = 5000
TAG_MAX = 100
TAGS_PER_LIST = 30


class SessionType(Choices):
    PUBLIC = "public"
    PRIVATE = "private"
    LABELS = {PUBLIC: _l("Public"), PRIVATE: _l("Private")}


class TagKind(Choices):
    RECOMMENDED_FOR = "recommended_for"
    CATEGORIES = "categories"
    MEDIUM = "medium"
    LABELS = {
        RECOMMENDED_FOR: _l("Recommended for"),
        CATEGORIES: _l("Categories"),
        MEDIUM: _l("Medium"),
    }


@dataclass
class MentoringValues:
    title: str = ""
    description: str = ""
    session_type: str = SessionType.PUBLIC
    mentor: User | None = None
    mentees: list = field(default_factory=list)
    start_at: datetime | None = None
    end_at: datetime | None = None
    timezone: str = ""
    recommended_for: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    medium: list = field(default_factory=list)
    platform: str = ""
    meeting_url: str = ""
    meeting_id: str = ""
    passcode: str = ""
    link_later: bool = False
    image_name: str | None = None  # a stored image (foundation/images); None keeps, "" removes


@lru_cache(maxsize=64)  # a bulk file spells the type a few ways thousands of times
def read_session_type(text):
    """ "public" / "private" as typed ("Public", " PRIVATE "), or None."""
    folded = re.sub(r"\s+", "", (text or "").casefold())
    return folded if folded in SessionType.LABELS else None


def clean_tags(labels):
    """Labels trimmed, inner spaces collapsed, duplicates (ignoring case) dropped."""
    return list(_clean_tags(tuple(map(str, labels or ()))))


@lru_cache(maxsize=1024)  # a bulk file repeats a few lists of labels thousands of times
def _clean_tags(labels):
    seen, result = set(), []
    for label in labels:
        text = re.sub(r"\s+", " ", label).strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return tuple(result)


def may_create(user, company):
    """Admins always; hosts while the company lets hosts create sessions (then they are
    the mentor of what they create)."""
    return user.is_admin or (user.has_role(Role.HOST) and company.allows_group_sessions)


def may_manage(user, session):
    """A session is managed by its mentor (host) and by admins."""
    return user.is_admin or session.host_id == user.id


def people_by_email(emails):
    """(users, missing): the accounts of these addresses (any case, blanks and repeats
    ignored) in the order given, and the addresses that have none."""
    wanted = []
    for email in emails or []:
        address = (email or "").strip().lower()
        if address and address not in wanted:
            wanted.append(address)
    found = (
        {user.email: user for user in User.select().where(User.email.in_(wanted))} if wanted else {}
    )
    return [found[a] for a in wanted if a in found], [a for a in wanted if a not in found]


def may_mentor(user):
    return user is not None and user.is_active and user.has_role(Role.HOST)


def unique_people(people):
    """People without repeats, in the order given."""
    found = {}
    for person in people or []:
        found.setdefault(person.id, person)
    return list(found.values())


def meeting_for(values):
    """(Meeting, {field: message}) of the values' platform, link, meeting ID and passcode."""
    return check_meeting(
        values.platform, values.meeting_url, values.meeting_id, values.passcode, values.link_later
    )


def checked_meeting(values):
    """The Meeting of values already checked (`meeting_for` without the problems)."""
    return _meeting(
        values.platform, values.meeting_url, values.meeting_id, values.passcode, values.link_later
    )


@lru_cache(maxsize=1024)  # a Meeting depends only on what was typed; a file repeats it
def _meeting(platform, url, meeting_id, passcode, link_later):
    return check_meeting(platform, url, meeting_id, passcode, link_later)[0]


def seats_full(refusal):
    """A booking refusal ("Session seats full") as a problem of the mentees."""
    return Problems({"mentees": refusal.message})


def invited_registrations(session):
    """The live registrations of invited mentees (of a session, or of a list of ids)."""
    sessions = session if isinstance(session, list) else [session]
    return list(
        Registration.select()
        .join(Invitation)
        .where(Registration.session.in_(sessions), Registration.status.in_(Status.HOLDS_SEAT))
    )
