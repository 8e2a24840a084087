"""Hostile input, as a class rather than one case: file names in any script for every
download, text of nothing visible in every field, and the one place that cleans both
(foundation/downloads.py, foundation/visible_text.py, foundation/forms.read_visible_text)."""

import io
import re
from urllib.parse import unquote

import pytest
from flask import request
from fuzzing import INVISIBLE, form_fields
from test_bulk_upload import SAMPLE, only_upload, post_file
from test_group_sessions import allowed, create, host  # noqa: F401  (fixtures)
from test_mentoring_pages import form as mentoring_form

from foundation.downloads import content_disposition, safe_filename
from foundation.forms import is_multiline, is_secret
from foundation.visible_text import cell_text
from models import Event, Role, Session, Upload, db

HOSTILE_NAMES = [
    "Сессии декабрь.csv",
    "会议 安排.csv",
    "🙂 sessions 🎉.csv",
    'quote"d.csv',
    "semi;colon; filename=evil.exe.csv",
    "line\r\nSet-Cookie: stolen=1.csv",
    "../../etc/passwd.csv",
    "..\\..\\windows\\win.ini.csv",
    "\u202egpj.csv",
    "tab\there.csv",
    "%0d%0a.csv",
    "x" * 300 + ".csv",
]


def assert_well_formed(value, expected=None):
    """A Content-Disposition a browser reads as one attachment with a safe name: Latin-1
    only, no line break, the ASCII name quoted without quotes inside, and the real name
    (when it is not plain ASCII) in filename*."""
    value.encode("latin-1")
    assert "\r" not in value and "\n" not in value
    match = re.fullmatch(r'attachment; filename="([^"\\]*)"(?:; filename\*=UTF-8\'\'(\S+))?', value)
    assert match, value
    plain, encoded = match.groups()
    assert plain.isascii() and plain.isprintable() and "/" not in plain and ";" not in plain
    real = unquote(encoded) if encoded else plain
    assert "/" not in real and "\\" not in real and real.isprintable(), real
    if expected is not None:
        assert real == expected
    return real


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_content_disposition_names_any_file_safely(name):
    real = assert_well_formed(content_disposition(name), safe_filename(name))
    assert real.endswith(".csv")
    letters = [char for char in name if char.isalpha() and not char.isascii()]
    assert all(char in real for char in letters)  # Cyrillic, CJK stay in the real name


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_bulk_upload_result_downloads_under_any_file_name(admin, name):
    """The reported case: a checked file named "Сессии декабрь.csv" answered 500. (Some
    names cannot cross a multipart body as they are, so the stored name is set after.)"""
    post_file(admin, SAMPLE.read_bytes(), "Сессии декабрь.csv")
    upload = only_upload()
    with db.connection_context():
        Upload.update(filename=name).execute()

    response = admin.get(f"/bulk-upload/{upload.id}/result.csv")

    assert response.status_code == 200
    real = assert_well_formed(response.headers["Content-Disposition"])
    assert real.endswith(f"-result-{upload.id}.csv")
    assert "Status" in response.text


# Visible text -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", form_fields())
def test_every_field_the_app_reads_holds_visible_text_only(app, name):
    """Every field name the app's source reads (tests/fuzzing.form_fields), as a request
    carries it: invisible-only text is empty, control characters are gone, line breaks
    stay only in multi-line fields, passwords are left as typed."""
    sent = {name: ["\u200b\u202e\x01\u2066", "a\x01b\tc\r\nd\u202e"]}
    with app.test_request_context("/", method="POST", data=sent, query_string=sent):
        for values in (request.form, request.args):
            first, second = values.getlist(name)
            if is_secret(name):
                assert (first, second) == tuple(sent[name])
                continue
            assert first == ""
            assert second == ("ab\tc\nd" if is_multiline(name) else "ab c d")


def test_a_cell_of_nothing_visible_is_blank():
    assert cell_text("\u200b\u202e") == ""
    assert cell_text("\x01Café\x02") == "Café"
    assert cell_text(None) == ""
    assert cell_text("line one\r\nline two") == "line one\nline two"


@pytest.mark.parametrize("title", INVISIBLE, ids=repr)
def test_a_group_session_title_of_nothing_visible_is_required(host, title):  # noqa: F811
    response = create(host, title=title)

    assert response.status_code == 422
    assert "This field is required." in response.text
    with db.connection_context():
        assert Session.select().count() == 0


@pytest.mark.parametrize("title", INVISIBLE, ids=repr)
def test_a_mentoring_title_of_nothing_visible_is_required(admin, make_user, title):
    mentor = make_user(Role.HOST)
    response = admin.htmx("post", "/mentoring", data=mentoring_form(mentor, title=title))

    assert response.status_code == 422
    assert "This field is required." in response.text
    with db.connection_context():
        assert Session.select().count() == 0


@pytest.mark.parametrize("title", INVISIBLE, ids=repr)
def test_an_event_title_of_nothing_visible_is_required(admin, title):
    response = admin.htmx("post", "/admin/events", data={"title_en": title})

    assert response.status_code == 422
    assert 'data-error-for="title_en">This field is required.' in response.text
    with db.connection_context():
        assert Event.select().count() == 0


def test_visible_text_keeps_its_letters_and_loses_its_controls(admin):
    admin.htmx("post", "/admin/events", data={"title_en": "\u202eOn\x01boarding 👩\u200d💻\n"})

    with db.connection_context():
        assert Event.get().title == {"en": "Onboarding 👩\u200d💻"}


def test_a_nul_anywhere_is_refused_and_nothing_is_saved(admin):
    response = admin.htmx("post", "/admin/events", data={"title_en": "On\x00boarding"})

    assert response.status_code == 400
    assert "NUL character" in response.text
    assert admin.get("/admin/events?q=a%00b").status_code == 400
    with db.connection_context():
        assert Event.select().count() == 0


def test_a_nul_in_an_uploaded_files_name_is_refused(admin):
    response = post_file(admin, SAMPLE.read_bytes(), "Сессии\x00декабрь.csv")

    assert response.status_code == 400
    with db.connection_context():
        assert Upload.select().count() == 0


def test_a_broken_image_keeps_the_rest_of_the_form_in_a_multipart_post(admin, make_user):
    """The form and the file arrive together (multipart): cleaning the text fields leaves
    the file alone."""
    mentor = make_user(Role.HOST)
    data = mentoring_form(mentor, title="\u200bTalk\x01")
    data["image"] = (io.BytesIO(b"\x89PNG\r\n\x1a\nnot really"), "talk.png")
    response = admin.htmx("post", "/mentoring", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    assert 'value="Talk"' in response.text
    assert "Choose a JPEG, PNG or WebP image." in response.text
