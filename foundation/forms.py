"""Reading submitted forms: raw strings in, typed values out, one clear message per field.

A form that does not read cleanly raises `Invalid` with {field name: message}; views show
each message next to its field and nothing is saved.

Every submitted value is cleaned before any view or rule reads it (`read_visible_text`): the
form and the query string of every request hold only visible text (foundation/
visible_text.py), single-line unless the field is one of the multi-line ones
(`MULTILINE_FIELDS`), and a request that carries a NUL anywhere is refused whole
(`refuse_nul`). Passwords are kept exactly as typed.
"""

import re
import secrets
from datetime import date, datetime, timedelta

from flask import abort, g, request
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter

from foundation import schedule, visible_text

MAX_ID = 2**31 - 1  # row ids are 32-bit on PostgreSQL; anything larger names no row
MAX_NUMBER = 2**31 - 1
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,100}")  # ASCII digits only: "²" and "١" are not numbers
YEARS_AHEAD = 10  # dates are accepted from 1 January 2000 to this many years from now
EARLIEST = datetime(2000, 1, 1)


def latest_datetime():
    return datetime.now().replace(microsecond=0) + timedelta(days=365 * YEARS_AHEAD)


def row_id(value):
    """A row id from a query string or form field; ValueError for anything else. Fits
    werkzeug's `type=`: `request.form.get("session_id", type=row_id)` gives None instead."""
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise ValueError(value)
    return int(text)


def row_ids(values):
    """The valid row ids among many values (repeated fields); the rest are dropped."""
    ids = set()
    for value in values:
        try:
            ids.add(row_id(value))
        except ValueError:
            continue
    return ids


def page_number(value):
    """`?page=`: a positive whole number, else the first page."""
    try:
        return min(row_id(value), 100_000)
    except ValueError:
        return 1


class RowIdConverter(IntegerConverter):
    """`<int:...>` in routes: a number beyond any row id is a 404, never an overflow."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.update(min=1, max=MAX_ID)
        super().__init__(url_map, *args, **kwargs)


# Fields whose control is a <textarea>: their line breaks are kept. Survey answers are
# named q_<question key>.
MULTILINE_FIELDS = {"description", "address"}
MULTILINE_PREFIXES = ("q_",)


def is_multiline(name):
    return name in MULTILINE_FIELDS or name.startswith(MULTILINE_PREFIXES)


def is_secret(name):
    """A password is compared as typed: cleaning it would change it."""
    return "password" in name


def cleaned_value(name, value):
    if not isinstance(value, str) or is_secret(name) or visible_text.NUL in value:
        return value  # files pass through; a NUL is refused whole by refuse_nul
    if is_multiline(name):
        return visible_text.multi_line(value)
    return visible_text.single_line(value)


class VisibleTextDict(ImmutableMultiDict):
    """The form's or the query string's fields, each value cleaned as its field needs."""

    def __init__(self, mapping=None):
        super().__init__(mapping)
        for name, values in dict.items(self):
            dict.__setitem__(self, name, [cleaned_value(name, value) for value in values])


def read_visible_text(app):
    """Make the app's request class (as its extensions left it: htmx adds its own) keep
    only visible text in `request.form` and `request.args`. Call after the extensions."""
    app.request_class = type(
        "SubmittedRequest", (app.request_class,), {"parameter_storage_class": VisibleTextDict}
    )


def refuse_nul():
    """before_request: a NUL in the path, the query, the form or an uploaded file's name is
    no text anyone typed, and PostgreSQL cannot store it; the request is refused before
    anything reads it."""
    values = [request.path, *request.args, *request.form]
    for fields in (request.args, request.form):
        values += [value for _name, many in fields.lists() for value in many]
    values += [upload.filename for _name, many in request.files.lists() for upload in many]
    if any(isinstance(value, str) and visible_text.NUL in value for value in values):
        abort(400, _("The text sent contains a NUL character, which cannot be saved."))


class Invalid(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class FormReader:
    def __init__(self, form):
        self.form = form
        self.errors = {}

    def error(self, name, message):
        self.errors.setdefault(name, message)

    def raise_if_invalid(self):
        if self.errors:
            raise Invalid(self.errors)

    def _given(self, name, required):
        """The field's text, or None when it is empty (an error if it was required)."""
        raw = (self.form.get(name) or "").strip()
        if not raw and required:
            self.error(name, _("This field is required."))
        return raw or None

    def text(self, name, required=False, max_length=None):
        value = (self.form.get(name) or "").strip()
        if required and not value:
            self.error(name, _("This field is required."))
        elif max_length and len(value) > max_length:
            self.error(
                name,
                _("At most %(max)d characters (now %(count)d).", max=max_length, count=len(value)),
            )
        return value

    def flag(self, name):
        return self.form.get(name) in {"on", "1", "true", "yes"}

    def choice(self, name, choices, required=True):
        value = (self.form.get(name) or "").strip()
        if not value and not required:
            return None
        if value not in choices:
            self.error(name, _("Choose one of the options."))
            return None
        return value

    def integer(self, name, minimum=None, maximum=MAX_NUMBER, required=True):
        """A whole number within [minimum, maximum], or None (with the error recorded)."""
        raw = self._given(name, required)
        if raw is None:
            return None
        if not WHOLE_NUMBER.fullmatch(raw):
            self.error(name, _("Enter a whole number."))
            return None
        value = int(raw)
        if minimum is not None and value < minimum:
            self.error(name, _("Enter a number of at least %(min)d.", min=minimum))
            return None
        if maximum is not None and value > maximum:
            self.error(name, _("Enter a number of at most %(max)d.", max=maximum))
            return None
        return value

    def local_datetime(self, name, required=True, zone=None):
        """A `datetime-local` input (YYYY-MM-DDTHH:MM) as a naive wall-clock time, within the
        accepted window. With `zone`, a time that the clocks skip or pass twice that night
        (a daylight-saving change) is refused with a message that says so."""
        raw = self._given(name, required)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.error(name, _("Enter a date and time."))
            return None
        if value.tzinfo is not None:
            self.error(name, _("Enter a date and time."))
            return None
        value = value.replace(second=0, microsecond=0)
        if not self._within_window(name, value):
            return None
        if zone and not self._exists_in(name, value, zone):
            return None
        return value

    def _within_window(self, name, value):
        if EARLIEST <= value <= latest_datetime():
            return True
        self.error(
            name,
            _(
                "Enter a date between %(first)s and %(last)s.",
                first=EARLIEST.date().isoformat(),
                last=latest_datetime().date().isoformat(),
            ),
        )
        return False

    def _exists_in(self, name, value, zone):
        problem = schedule.wall_clock_problem(value, zone)
        if problem == "skipped":
            self.error(
                name,
                _(
                    "%(time)s does not exist in %(zone)s: the clocks skip it that night. "
                    "Choose another time.",
                    time=value.strftime("%H:%M"),
                    zone=zone,
                ),
            )
            return False
        if problem == "repeated":
            first, second = schedule.offsets_of(value, zone)
            self.error(
                name,
                _(
                    "%(time)s happens twice in %(zone)s that night, at %(first)s and again at "
                    "%(second)s, when the clocks go back. Choose a time outside that hour.",
                    time=value.strftime("%H:%M"),
                    zone=zone,
                    first=first,
                    second=second,
                ),
            )
            return False
        return True

    def date(self, name, required=False):
        raw = self._given(name, required)
        if raw is None:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            self.error(name, _("Enter a date."))
            return None
        if not self._within_window(name, datetime.combine(value, datetime.min.time())):
            return None
        return value

    def per_locale(self, prefix, locales, default_locale, max_length):
        """Texts entered for every enabled locale at once; the default locale's is required."""
        texts = {}
        for code in locales:
            value = self.text(
                f"{prefix}_{code}", required=code == default_locale, max_length=max_length
            )
            if value:
                texts[code] = value
        return texts


def element_id(prefix):
    """A fresh id for a field, its hint and its error (labels and aria-describedby point at
    them): counted through the request, so a whole page is the same every time it is drawn.
    A fragment swapped into a page already drawn (an htmx request), or kept in the card cache,
    counts after a salt of its own, so its ids never meet the page's."""
    count = g.get("element_ids", 0) + 1
    g.element_ids = count
    salt = g.get("element_id_salt")
    if salt is None:
        salt = g.element_id_salt = fresh_id_salt() if request.headers.get("HX-Request") else ""
    return f"{prefix}-{salt}{count}"


def fresh_id_salt():
    return f"{secrets.token_hex(3)}-"
