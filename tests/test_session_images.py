"""Session images (foundation/images.py): JPEG, PNG or WebP only, size-limited, resized,
re-encoded as WebP without metadata, served under an unguessable name."""

import io

import pytest
from fuzzing import broken_images
from PIL import Image
from test_mentoring_pages import form

from models import MentoringDetails, Role, db


def picture(size=(2400, 1600), kind="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, kind)
    buffer.seek(0)
    return buffer


def post(client, mentor, upload, name="talk.png"):
    data = form(mentor)
    data["image"] = (upload, name)
    return client.htmx("post", "/mentoring", data=data, content_type="multipart/form-data")


def test_an_uploaded_image_is_resized_reencoded_and_served(admin, make_user):
    mentor = make_user(Role.HOST)
    response = post(admin, mentor, picture())
    assert response.status_code == 204, response.text
    with db.connection_context():
        name = MentoringDetails.get().image_name
    served = admin.get(f"/images/{name}")
    assert served.status_code == 200
    assert served.mimetype == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    stored = Image.open(io.BytesIO(served.data))
    assert stored.format == "WEBP" and stored.size == (1200, 800)
    session_id = response.headers["HX-Redirect"].split("/")[3].split("?")[0]
    assert f"/images/{name}" in admin.get(f"/s/{session_id}").text


def test_other_files_are_refused_with_a_message(admin, make_user):
    mentor = make_user(Role.HOST)
    response = post(admin, mentor, io.BytesIO(b"<svg onload=alert(1)>"), "evil.png")
    assert response.status_code == 422
    assert "Choose a JPEG, PNG or WebP image." in response.text
    gif = picture(kind="GIF")
    assert "Choose a JPEG, PNG or WebP image." in post(admin, mentor, gif, "a.gif").text
    with db.connection_context():
        assert MentoringDetails.select().count() == 0


@pytest.mark.parametrize("name, data", broken_images(), ids=[name for name, _ in broken_images()])
def test_a_broken_image_is_a_message_next_to_the_field_and_the_form_is_kept(
    admin, make_user, name, data
):
    """Corrupt chunks, truncated files, bombs and other formats behind an image's name: the
    field says so, what was typed stays in the form, nothing is saved."""
    mentor = make_user(Role.HOST)
    response = post(admin, mentor, io.BytesIO(data), name)
    assert response.status_code == 422, response.text[:300]
    assert "Choose a JPEG, PNG or WebP image." in response.text
    assert 'value="Career talk"' in response.text
    assert "How to plan the next step." in response.text
    with db.connection_context():
        assert MentoringDetails.select().count() == 0


def test_a_large_file_is_refused(app, admin, make_user):
    app.config["IMAGE_MAX_MB"] = 1
    mentor = make_user(Role.HOST)
    big = io.BytesIO(b"\x89PNG" + b"0" * (2 * 2**20))
    assert "The image is larger than 1 MB." in post(admin, mentor, big).text


def test_only_names_the_app_made_are_served(admin):
    assert admin.get("/images/..%2Fconvene.db").status_code == 404
    assert admin.get("/images/secret_key").status_code == 404


def test_edit_replaces_or_removes_the_image(admin, make_user):
    mentor = make_user(Role.HOST)
    response = post(admin, mentor, picture((300, 200)))
    session_id = response.headers["HX-Redirect"].split("/")[3].split("?")[0]
    with db.connection_context():
        first = MentoringDetails.get().image_name
    page = admin.get(f"/mentoring/{session_id}/edit").text
    assert f"/images/{first}" in page and "Remove the image" in page
    data = form(mentor, remove_image="1")
    assert admin.htmx("post", f"/mentoring/{session_id}", data=data).status_code == 204
    with db.connection_context():
        assert MentoringDetails.get().image_name == ""


@pytest.mark.parametrize("name, data", broken_images(), ids=[name for name, _ in broken_images()])
def test_a_broken_image_is_refused_after_a_report_pdf_too(
    admin, make_user, monkeypatch, name, data
):
    """WeasyPrint, once imported for a report PDF, switches Pillow to padding truncated images
    process-wide; an upload is still decoded strictly, and the switch is left as it was."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    response = post(admin, make_user(Role.HOST), io.BytesIO(data), name)
    assert response.status_code == 422, response.text[:300]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
