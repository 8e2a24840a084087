"""Languages and times as the viewer sees them: locale choice, per-locale texts, formatting.

Every time shown goes through `format_when`/`format_span`, which always name the zone in the
reader's language with its offset at that moment (`foundation.zones`); a zone shown on its
own goes through `zone_name`.
"""

from functools import cache, lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_interval, format_skeleton, format_time
from babel.support import NullTranslations, Translations
from flask import g, has_app_context, has_request_context, request
from flask import session as cookie
from flask_babel import Babel, Domain, format_date, get_domain, get_locale, gettext, ngettext
from jinja2 import pass_context
from markupsafe import Markup

from config import ROOT
from foundation import forms
from foundation.prepared import Prepared
from foundation.schedule import canonical, is_timezone, to_local_naive
from foundation.zones import zone_label
from models import Company

babel = Babel()


@cache
def available_locales():
    """English (the source language) plus every compiled catalog under translations/."""
    found = {path.parent.parent.name for path in (ROOT / "translations").glob("*/LC_MESSAGES/*.po")}
    return ["en", *sorted(found - {"en"})]


COMPANY_ROW = Prepared(lambda: Company.select().order_by(Company.id).limit(1))
_known_company = {}  # the last row read, as text -> its Company: one per worker process


def current_company():
    """The company's settings, read once per request or job (a job's app context is its
    own: thousands of emails of one broadcast ask for it)."""
    if has_app_context():
        if "company" not in g:
            g.company = _read_company()
        return g.company
    return _read_company()


def _read_company():
    """The one company row, read fresh from the database every time (so a change made by
    another worker shows at once) but turned into a Company only when it differs from the
    row this process read last: the row's text is the version. Each caller gets its own
    copy, free to change and save."""
    row = COMPANY_ROW.raw_first()
    if row is None:
        return Company.current()  # a new database: the row is created with its defaults
    key = repr(row)
    known = _known_company.get(key)
    if known is None:
        _known_company.clear()
        known = _known_company[key] = COMPANY_ROW.first()
    copy = Company(**{name: _copied(value) for name, value in known.__data__.items()})
    copy._dirty.clear()
    return copy


def _copied(value):
    return list(value) if isinstance(value, list) else value


def enabled_locales():
    enabled = [code for code in current_company().locales if code in available_locales()]
    return enabled or ["en"]


def default_locale():
    company = current_company()
    return company.default_locale if company.default_locale in enabled_locales() else "en"


def select_locale():
    """The signed-in user's choice, else the visitor's cookie, else the browser's.

    Outside a request (jobs, CLI) answer None so Flask-Babel falls back to its default:
    jobs wrap their work in `force_locale(recipient.locale)`.
    """
    if not has_request_context():
        return None
    enabled = enabled_locales()
    user = g.get("user")
    if user is not None and user.locale in enabled:
        return user.locale
    if cookie.get("locale") in enabled:
        return cookie["locale"]
    return request.accept_languages.best_match(enabled) or default_locale()


# The language being spoken ------------------------------------------------------------------


class Language(NamedTuple):
    code: str | None  # "en", "ru"; None outside any app context
    catalog: Translations | NullTranslations


# Flask-Babel finds the current language through several context lookups and names it by
# building its text, on every call: 8 µs a string from Python, 17 µs from a template, and a
# page says dozens. Once chosen, the request's (or a job's) babel Locale sits on `g`, where
# `force_locale` swaps it; it is looked up here among the few languages a process speaks.
_languages = {}  # babel Locale -> Language


def current_language():
    """The Language of this request or job (Flask-Babel's choice, `force_locale` included)."""
    if has_app_context():
        state = vars(g._get_current_object()).get("_flask_babel")
        known = _languages.get(getattr(state, "babel_locale", None))
        if known is not None:
            return known
    locale = get_locale()  # chooses (select_locale) and keeps the choice on `g`
    if locale is None:
        return Language(None, NullTranslations())
    catalog = Domain.get_translations(get_domain())  # Flask-Babel's own lookup, once
    return _languages.setdefault(locale, Language(str(locale), catalog))


class SpokenDomain(Domain):
    """Flask-Babel's default domain (what `gettext` in Python uses), its catalog found by
    `current_language`."""

    def get_translations(self):
        return current_language().catalog


def locale_code():
    """ "en", "ru": the language of this request or job, as a text."""
    return current_language().code


@pass_context
def template_gettext(context, string, **variables):
    """`_()` and `gettext()` in templates: Jinja's own newstyle gettext (escaped, then
    `%`-formatted, so "%%" reads "%"), with the catalog looked up as above."""
    text = current_language().catalog.ugettext(string)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@pass_context
def template_ngettext(context, singular, plural, num, **variables):
    variables.setdefault("num", num)
    text = current_language().catalog.ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


@cache
def locale_name(code):
    """A locale's name in its own language: English, русский."""
    return Locale.parse(code).get_display_name(code).capitalize()


def pick_text(texts, locale=None):
    """The text for the viewer's locale, falling back to the default locale, then to any."""
    if not texts:
        return ""
    locale = locale or locale_code()
    return texts.get(locale) or texts.get(default_locale()) or next(iter(texts.values()), "")


def _local(utc, zone):
    return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _date_and_time(locale, date_text, time_text):
    """Join a date and a time the way the locale does (`{1}, {0}`)."""
    return locale.datetime_formats["medium"].format(time_text, date_text)


def format_when(utc, zone):
    """`Jan 2, 2024, 11:59 AM Moscow (UTC+3)`: a moment in `zone`, for the viewer's locale."""
    return _when(utc, zone, locale_code())


def format_span(start_utc, end_utc, zone):
    """`Tue, Jan 2, 2024, 10:00 AM – 11:00 AM Moscow (UTC+3)`: a day's slot in `zone`."""
    return _span(start_utc, end_utc, zone, locale_code())


# Babel's formatting is the costliest part of a page with many days; the same moment in the
# same zone and language always reads the same, so each is formatted once per process.
@lru_cache(maxsize=16384)
def _when(utc, zone, locale_code):
    local, locale = _local(utc, zone), Locale.parse(locale_code)
    text = _date_and_time(
        locale,
        format_skeleton("yMMMd", local, locale=locale),
        format_time(local, "short", locale=locale),
    )
    return f"{text} {zone_label(zone, utc, locale_code)}"


@lru_cache(maxsize=16384)
def _span(start_utc, end_utc, zone, locale_code):
    start, end = _local(start_utc, zone), _local(end_utc, zone)
    locale = Locale.parse(locale_code)
    hours = "hm" if "a" in locale.time_formats["short"].pattern else "Hm"
    if start.date() == end.date():
        times = format_interval(start.time(), end.time(), hours, locale=locale)
        text = _date_and_time(locale, format_skeleton("yMMMEd", start, locale=locale), times)
    else:
        text = " – ".join(
            _date_and_time(
                locale,
                format_skeleton("yMMMEd", moment, locale=locale),
                format_time(moment, "short", locale=locale),
            )
            for moment in (start, end)
        )
    return f"{text} {zone_label(zone, start_utc, locale_code)}"


def zone_name(zone, moment_utc=None):
    """A zone on its own, for the viewer: `Moscow (UTC+3)`, its offset at `moment_utc` (now
    when None)."""
    return zone_label(zone, moment_utc, locale_code())


def format_day(utc, zone):
    """The short name of a day in `zone` ("Mon, Mar 4"), for controls that name their day."""
    return _day(utc, zone, locale_code())


@lru_cache(maxsize=16384)
def _day(utc, zone, locale_code):
    return format_skeleton("MMMEd", _local(utc, zone), locale=Locale.parse(locale_code))


def format_date_only(day):
    return format_date(day, "medium")


def format_duration(delta):
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return gettext("%(hours)d h %(minutes)d min", hours=hours, minutes=minutes)
    if hours:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def input_value(utc, zone):
    """A UTC time as the value of a datetime-local input showing wall-clock time in `zone`."""
    return to_local_naive(utc, zone).strftime("%Y-%m-%dT%H:%M") if utc else ""


def init_app(app):
    babel.init_app(app, locale_selector=select_locale)
    babel.domain_instance = SpokenDomain()  # the default domain ("messages"), found faster
    app.jinja_env.globals.update(
        _=template_gettext,  # in place of Jinja's alias, which calls gettext through the context
        gettext=template_gettext,
        ngettext=template_ngettext,
        locale_code=locale_code,
        enabled_locales=enabled_locales,
        locale_name=locale_name,
        format_when=format_when,
        format_span=format_span,
        zone_name=zone_name,
        format_duration=format_duration,
        format_day=format_day,
        element_id=forms.element_id,
        input_value=input_value,
        current_company=current_company,
        viewer_timezone=viewer_timezone,
        public_url=lambda path: app.config["PUBLIC_URL"] + path,
        session_path=session_path,
        session_title=session_title,
    )
    app.jinja_env.filters.update(
        localized=pick_text,
        format_date_only=format_date_only,
    )


def recipient_locale_of(user):
    """The language someone reads in when no request tells: theirs, else the company's."""
    return user.locale if user.locale in enabled_locales() else default_locale()


def session_title(session, locale=None):
    """ "Leadership Training — Daytime": a session named with its event, where it has one."""
    name = pick_text(session.name, locale)
    if session.event_id is None:
        return name
    return f"{pick_text(session.event.title, locale)} — {name}"


def session_path(session):
    """Where a session is seen: its event's page, or its own public page."""
    return f"/events/{session.event_id}" if session.event_id else f"/s/{session.id}"


def viewer_timezone():
    """Member screens show times in the viewer's zone: their profile's choice, else the
    browser's (app.js keeps it in the `tz` cookie), else the company's."""
    user = g.get("user")
    if user is not None and user.timezone and is_timezone(user.timezone):
        return canonical(user.timezone)
    browser_zone = request.cookies.get("tz", "")  # Chromium's may be a legacy alias
    return canonical(browser_zone) if is_timezone(browser_zone) else current_company().timezone
