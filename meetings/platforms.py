"""Meeting platforms for links: BigBlueButton (the default; the app makes the room), Google
Meet, WhatsApp and Zoom (link + meeting ID + passcode). One place that reads a platform's
name as people spell it, checks a pasted link for its platform and normalises it; shared by
group sessions, mentoring sessions and event days.

`check_meeting(platform, url, meeting_id, passcode, link_later)` answers a `Meeting` and a
dict of problems keyed by field (`platform`, `meeting_url`, `meeting_id`, `passcode`).
Links are compared by their parsed host name, never by a substring, so look-alikes such as
`meet.google.com.evil.com` are refused.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from meetings import bigbluebutton
from meetings.meeting_links import recognise_platform
from models import Choices

MEET_CODE = re.compile(r"[a-z]{3}-[a-z]{4}-[a-z]{3}")
MEET_NICKNAME = re.compile(r"lookup/[a-z0-9_-]{1,64}")
PHONE = re.compile(r"[1-9][0-9]{6,14}")  # E.164: country code first, at most 15 digits
WHATSAPP_GROUP = re.compile(r"[A-Za-z0-9]{20,24}")
WHATSAPP_CALL = re.compile(r"(?:voice|video)/[A-Za-z0-9_-]{10,40}")  # call links
WHATSAPP_CHANNEL = re.compile(r"channel/[A-Za-z0-9]{20,32}")
ZOOM_ID = re.compile(r"[0-9]{9,11}")
ZOOM_PATH = re.compile(r"/(?:j|w|wc/join|wc|s)/([0-9]{9,11})/?")
ZOOM_PASSCODE = re.compile(r"[A-Za-z0-9@*_.\-]{1,32}")
MAX_URL = 2000


class MeetingPlatform(Choices):
    BIGBLUEBUTTON = "bigbluebutton"
    GOOGLE_MEET = "google_meet"
    WHATSAPP = "whatsapp"
    ZOOM = "zoom"
    LABELS = {
        BIGBLUEBUTTON: _l("BigBlueButton"),
        GOOGLE_MEET: _l("Google Meet"),
        WHATSAPP: _l("WhatsApp"),
        ZOOM: _l("Zoom"),
    }
    DEFAULT = BIGBLUEBUTTON


# How people write the names: case, spaces, dashes and underscores do not matter.
SPELLINGS = {
    "bigbluebutton": MeetingPlatform.BIGBLUEBUTTON,
    "bbb": MeetingPlatform.BIGBLUEBUTTON,
    "googlemeet": MeetingPlatform.GOOGLE_MEET,
    "meet": MeetingPlatform.GOOGLE_MEET,
    "gmeet": MeetingPlatform.GOOGLE_MEET,
    "whatsapp": MeetingPlatform.WHATSAPP,
    "zoom": MeetingPlatform.ZOOM,
}


def read_platform(text):
    """The platform key for a name as typed ("Big Blue Button", "google meet", "Zoom"); the
    default (BigBlueButton) for an empty text; None when it names no platform we know."""
    folded = re.sub(r"[\s_\-]+", "", (text or "").casefold())
    if not folded:
        return MeetingPlatform.DEFAULT
    if folded in MeetingPlatform.LABELS:
        return folded
    return SPELLINGS.get(folded)


@dataclass(frozen=True)
class Meeting:
    """Where a session meets: a platform and, for the link platforms, the normalised link
    (empty while it is to be set later), the Zoom meeting ID (digits) and passcode."""

    platform: str = MeetingPlatform.DEFAULT
    url: str = ""
    meeting_id: str = ""
    passcode: str = ""

    @property
    def label(self):
        if self.platform in MeetingPlatform.LABELS:
            return MeetingPlatform.label(self.platform)
        return _("Web link")

    @property
    def is_bigbluebutton(self):
        return self.platform == MeetingPlatform.BIGBLUEBUTTON

    @property
    def link_pending(self):
        """A link platform whose link is still to come."""
        return not self.is_bigbluebutton and not self.url


def _parts(url):
    text = url.strip()
    return urlsplit(text if "://" in text else "https://" + text)


def normalize_meet(url):
    """`https://meet.google.com/<code>` (lower-case, query dropped), or None."""
    parts = _parts(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "") != "meet.google.com":
        return None
    path = parts.path.strip("/").lower()
    if MEET_CODE.fullmatch(path) or MEET_NICKNAME.fullmatch(path):
        return f"https://meet.google.com/{path}"
    return None


def normalize_whatsapp(url):
    """A wa.me chat, a group invite, a call link or a channel link in its canonical form,
    or None."""
    parts = _parts(url)
    if parts.scheme not in ("http", "https"):
        return None
    host, path = (parts.hostname or "").lower(), parts.path.strip("/")
    if host == "chat.whatsapp.com":
        code = path.removeprefix("invite/")
        return f"https://chat.whatsapp.com/{code}" if WHATSAPP_GROUP.fullmatch(code) else None
    if host == "call.whatsapp.com" and WHATSAPP_CALL.fullmatch(path):
        return f"https://call.whatsapp.com/{path}"
    if host == "wa.me" and PHONE.fullmatch(path):
        return f"https://wa.me/{path}"
    if host == "api.whatsapp.com" and path == "send":
        phone = parse_qs(parts.query).get("phone", [""])[0]
        return f"https://wa.me/{phone}" if PHONE.fullmatch(phone) else None
    if host in ("whatsapp.com", "www.whatsapp.com") and WHATSAPP_CHANNEL.fullmatch(path):
        return f"https://whatsapp.com/{path}"
    return None


def _is_zoom_host(host):
    return any(host == domain or host.endswith("." + domain) for domain in ("zoom.us", "zoom.com"))


def normalize_zoom(url):
    """(https link, meeting ID) for a Zoom meeting link, or None. The link keeps its query
    (`pwd=` lets people in without typing the passcode)."""
    parts = _parts(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and parts.scheme != "http" or not _is_zoom_host(host):
        return None
    match = ZOOM_PATH.fullmatch(parts.path)
    if not match:
        return None
    query = f"?{parts.query}" if parts.query else ""
    return f"https://{host}{parts.path}{query}", match.group(1)


def digits_of(meeting_id):
    """A Zoom meeting ID as typed ("123 4567 8901", "123-4567-8901") as digits."""
    return re.sub(r"[\s\-]", "", meeting_id or "")


def check_meeting(platform, url="", meeting_id="", passcode="", link_later=False):
    """(Meeting, problems): the meeting as it will be stored, and {field: message}.

    `platform` is a key or a name as typed (empty: BigBlueButton). With `link_later`, a
    link platform may come without its link; it is asked for before people join.
    """
    problems = {}
    key = read_platform(platform)
    url, meeting_id, passcode = (
        (url or "").strip(),
        (meeting_id or "").strip(),
        (passcode or "").strip(),
    )
    if key is None:
        problems["platform"] = _(
            "Choose a meeting platform: BigBlueButton, Google Meet, WhatsApp or Zoom."
        )
        return Meeting(), problems
    if len(url) > MAX_URL:
        problems["meeting_url"] = _("This link is too long.")
        return Meeting(key), problems
    if key == MeetingPlatform.BIGBLUEBUTTON:
        if not bigbluebutton.is_configured():
            problems["platform"] = _(
                "BigBlueButton is not configured. Choose Google Meet, WhatsApp or Zoom."
            )
        if url:
            problems["meeting_url"] = _(
                "BigBlueButton needs no link: the app opens the room. Leave the link empty."
            )
        return Meeting(key), problems
    if key == MeetingPlatform.ZOOM:
        return _check_zoom(url, meeting_id, passcode, link_later, problems)
    if not url:
        if not link_later:
            problems["meeting_url"] = _("Paste the meeting link, or choose to set it later.")
        return Meeting(key), problems
    normal = normalize_meet(url) if key == MeetingPlatform.GOOGLE_MEET else normalize_whatsapp(url)
    if normal is None:
        problems["meeting_url"] = (
            _("Paste a Google Meet link, such as https://meet.google.com/abc-defg-hij.")
            if key == MeetingPlatform.GOOGLE_MEET
            else _(
                "Paste a WhatsApp link, such as https://wa.me/15551234567 or "
                "https://chat.whatsapp.com/ followed by the group's invite code."
            )
        )
        return Meeting(key), problems
    return Meeting(key, normal), problems


def _check_zoom(url, meeting_id, passcode, link_later, problems):
    key = MeetingPlatform.ZOOM
    typed_id = digits_of(meeting_id)
    if typed_id and not ZOOM_ID.fullmatch(typed_id):
        problems["meeting_id"] = _("A Zoom meeting ID has 9 to 11 digits.")
        typed_id = ""
    if passcode and not ZOOM_PASSCODE.fullmatch(passcode):
        problems["passcode"] = _(
            "A Zoom passcode has at most 32 letters, digits or the signs @ * _ - ."
        )
    if ZOOM_ID.fullmatch(digits_of(url)):
        # A bare meeting number where the link belongs: the meeting's join link is known.
        if typed_id and typed_id != digits_of(url):
            problems["meeting_id"] = _("The meeting ID does not match the Zoom link.")
        typed_id = typed_id or digits_of(url)
        url = f"https://zoom.us/j/{typed_id}"
    if not url:
        if typed_id:
            return Meeting(key, f"https://zoom.us/j/{typed_id}", typed_id, passcode), problems
        if not link_later:
            problems["meeting_url"] = _("Paste the Zoom link, or choose to set it later.")
        return Meeting(key, "", "", passcode), problems
    found = normalize_zoom(url)
    if found is None:
        problems["meeting_url"] = _(
            "Paste a Zoom meeting link, such as https://us02web.zoom.us/j/12345678901."
        )
        return Meeting(key, "", typed_id, passcode), problems
    link, link_id = found
    if typed_id and typed_id != link_id:
        problems["meeting_id"] = _("The meeting ID does not match the Zoom link.")
    return Meeting(key, link, link_id, passcode), problems


def check_pasted_link(url):
    """(link, problem) for a link pasted where any https link will do (an event's online
    day, a group session): a link on a known platform's host must be a valid link of that
    platform (normalised); any other web link stays as it is. `problem` is None or a
    message for the person."""
    host = (_parts(url).hostname or "").lower()
    if host == "meet.google.com":
        key = MeetingPlatform.GOOGLE_MEET
    elif host in ("wa.me", "chat.whatsapp.com", "api.whatsapp.com") or host.endswith(
        "whatsapp.com"
    ):
        key = MeetingPlatform.WHATSAPP
    elif _is_zoom_host(host):
        key = MeetingPlatform.ZOOM
    else:
        return url, None
    meeting, problems = check_meeting(key, url)
    if problems:
        return url, next(iter(problems.values()))
    return meeting.url, None


def meeting_of(day):
    """The Meeting a stored day describes. A day stored before platforms were recorded
    takes its link's platform (another https link is "other"), or BigBlueButton."""
    platform = day.platform
    if not platform:
        platform = recognise_platform(day.url).key if day.url else MeetingPlatform.DEFAULT
    return Meeting(platform, day.url, day.meeting_id, day.passcode)
