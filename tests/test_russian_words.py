"""Russian pages carry no English words left over from the English text."""

import re

from models import Role


def test_the_user_form_in_russian_has_no_english_words(sign_in):
    admin = sign_in(Role.ADMIN, locale="ru")
    page = admin.get("/admin/users").text
    assert "Публичное имя" in page
    shown = re.sub(r"<[^>]+>", " ", page)  # the text, not the markup
    assert "handle" not in shown
