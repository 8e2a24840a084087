"""Reading submitted forms: raw strings in, typed values out, one clear message per field.

A form that does not read cleanly raises `Invalid` with {field name: message}; views show
each message next to its field and nothing is saved.
"""

from datetime import date, datetime

from flask_babel import gettext as _


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

    def integer(self, name, minimum=None, maximum=None, required=True):
        raw = (self.form.get(name) or "").strip()
        if not raw:
            if required:
                self.error(name, _("This field is required."))
            return None
        try:
            value = int(raw)
        except ValueError:
            self.error(name, _("Enter a whole number."))
            return None
        if minimum is not None and value < minimum:
            self.error(name, _("Enter a number of at least %(min)d.", min=minimum))
        elif maximum is not None and value > maximum:
            self.error(name, _("Enter a number of at most %(max)d.", max=maximum))
        return value

    def local_datetime(self, name, required=True):
        """A `datetime-local` input (YYYY-MM-DDTHH:MM) as a naive wall-clock time."""
        raw = (self.form.get(name) or "").strip()
        if not raw:
            if required:
                self.error(name, _("This field is required."))
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            self.error(name, _("Enter a date and time."))
            return None
        if value.tzinfo is not None or not 1900 <= value.year <= 9999:
            self.error(name, _("Enter a date and time."))
            return None
        return value.replace(second=0, microsecond=0)

    def date(self, name, required=False):
        raw = (self.form.get(name) or "").strip()
        if not raw:
            if required:
                self.error(name, _("This field is required."))
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.error(name, _("Enter a date."))
            return None

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
