"""Every interface string is translatable, and the Russian catalog is complete."""

import subprocess
import sys

from babel.messages.pofile import read_po

from config import ROOT


def read_catalog(path):
    with open(path, "rb") as handle:
        return read_po(handle)


def test_russian_catalog_has_every_current_string_translated(tmp_path):
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(template),
            "--ignore-dirs=.venv migrations tests bench .git docs",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    russian = read_catalog(ROOT / "translations/ru/LC_MESSAGES/messages.po")
    current = [message.id for message in read_catalog(template) if message.id]
    missing = [mid for mid in current if mid not in russian or not russian[mid].string]
    fuzzy = [message.id for message in russian if message.id and message.fuzzy]
    assert not missing, f"run `make messages` and translate: {missing[:5]}"
    assert not fuzzy


def test_russian_plurals_have_three_forms():
    russian = read_catalog(ROOT / "translations/ru/LC_MESSAGES/messages.po")
    plurals = [message for message in russian if isinstance(message.id, tuple)]
    assert plurals and all(len(message.string) == 3 and all(message.string) for message in plurals)


def test_templates_speak_the_language_of_the_moment(app):
    """Templates and Python find their catalog through foundation/i18n.py's lookup: the request's
    language, `force_locale`'s while it lasts (emails, feeds), plurals, "%%" and escaping."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext

    page = (
        "{{ _('Sign in') }}|{{ ngettext('%(num)d seat left', '%(num)d seats left', 5) }}"
        "|{{ _('%(who)s: 50%%', who='<b>') }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        russian = render_template_string(page)
        with force_locale("en"):
            english = render_template_string(page)
            assert gettext("Sign in") == "Sign in"  # Python's gettext finds it the same way
        again = render_template_string(page)
        assert gettext("Sign in") == "Войти"
    assert russian == again == "Войти|Осталось 5 мест|&lt;b&gt;: 50%"
    assert english == "Sign in|5 seats left|&lt;b&gt;: 50%"
