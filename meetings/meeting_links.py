"""Meeting links: which platform a URL belongs to, and addresses whose URLs become links."""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)
ZOOM_MEETING_PATH = re.compile(r"/(?:j|w|wc|s)/(\d{9,11})")


@dataclass(frozen=True)
class Platform:
    key: str
    label: str
    meeting_id: str = ""


def is_web_url(value):
    parts = urlsplit(value.strip())
    return parts.scheme in {"http", "https"} and bool(parts.hostname) and " " not in value.strip()


def _host_is(host, domain):
    return host == domain or host.endswith("." + domain)


def recognise_platform(url):
    """The platform of a meeting link: BigBlueButton, Google Meet, WhatsApp, Zoom or other."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    if _host_is(host, "zoom.us") or _host_is(host, "zoom.com"):
        match = ZOOM_MEETING_PATH.search(parts.path)
        meeting_id = match.group(1) if match else parse_qs(parts.query).get("confno", [""])[0]
        return Platform("zoom", _l("Zoom"), meeting_id)
    if _host_is(host, "meet.google.com"):
        return Platform("google_meet", _l("Google Meet"))
    if host in {"wa.me", "chat.whatsapp.com", "call.whatsapp.com"} or _host_is(
        host, "whatsapp.com"
    ):
        return Platform("whatsapp", _l("WhatsApp"))
    if "/bigbluebutton/" in path or "bigbluebutton" in host or host.startswith("bbb."):
        return Platform("bigbluebutton", _l("BigBlueButton"))
    return Platform("other", _l("Web link"))


def format_zoom_id(meeting_id):
    """Zoom shows meeting IDs in groups: 123 4567 8901."""
    if len(meeting_id) == 11:
        return f"{meeting_id[:3]} {meeting_id[3:7]} {meeting_id[7:]}"
    if len(meeting_id) in (9, 10):
        return f"{meeting_id[:3]} {meeting_id[3:6]} {meeting_id[6:]}"
    return meeting_id


def linkify(text):
    """Escape `text` and turn the http(s) URLs in it into links: the only markup we make."""
    pieces, cursor = [], 0
    for match in URL_IN_TEXT.finditer(text):
        pieces.append(escape(text[cursor : match.start()]))
        url = match.group(0)
        pieces.append(
            Markup(
                '<a href="{0}" rel="noopener noreferrer nofollow" target="_blank">{0}</a>'
            ).format(url)
        )
        cursor = match.end()
    pieces.append(escape(text[cursor:]))
    return Markup("").join(pieces)
