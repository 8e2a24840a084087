"""Uploaded images (a session's picture): only JPEG, PNG or WebP, at most IMAGE_MAX_MB,
decoded by Pillow, resized to fit 1200 x 800, stripped of metadata and re-encoded as WebP
under a random name in instance/images. What is served is always our own re-encoding,
never the uploaded bytes."""

import secrets
import warnings
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageFile

from config import INSTANCE
from foundation.forms import Invalid

ACCEPTED = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = (1200, 800)
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
NAME_LENGTH = 32


def folder():
    path = Path(current_app.config.get("IMAGE_DIR") or INSTANCE / "images")
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_image_name(name):
    return (
        len(name) == NAME_LENGTH + 5
        and name.endswith(".webp")
        and name[:NAME_LENGTH].isalnum()
        and name.isascii()
    )


def save_image(upload, field="image"):
    """Store an uploaded file as a new image; its name, or Invalid {field: message}."""
    limit_mb = current_app.config.get("IMAGE_MAX_MB", 5)
    data = upload.read(limit_mb * 2**20 + 1)
    if len(data) > limit_mb * 2**20:
        raise Invalid({field: _("The image is larger than %(num)d MB.", num=limit_mb)})
    picture = decoded_picture(data)
    if picture is None:
        raise Invalid({field: _("Choose a JPEG, PNG or WebP image.")})
    picture.thumbnail(MAX_SIDE)
    name = secrets.token_hex(NAME_LENGTH // 2) + ".webp"
    picture.save(folder() / name, "WEBP", quality=82)
    return name


def decoded_picture(data):
    """The image in `data`, fully decoded, or None when it is not one we accept.

    The bytes are whatever was uploaded, so any failure of the decoder means "not an
    image": Pillow reports broken files with many exception types (OSError, SyntaxError
    for a corrupt PNG chunk, ValueError, struct.error, EOFError...), and a picture too
    large to decode safely with a warning, which is turned into an error here. WeasyPrint
    (the report PDF) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported, which
    would pad a truncated upload instead of refusing it: it is off while an upload decodes
    (web workers are single-threaded, so the switch meets no PDF half-way)."""
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data)) as probe:
                if probe.format not in ACCEPTED or probe.width * probe.height > MAX_PIXELS:
                    return None
                probe.verify()
            with Image.open(BytesIO(data)) as image:
                image.draft("RGB", MAX_SIDE)
                picture = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except Exception:  # noqa: BLE001  (see the docstring: every decoder failure is a refusal)
        return None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    return picture


def image_path(name):
    """The file of a stored image, or None for any name we did not make."""
    if not is_image_name(name):
        return None
    path = folder() / name
    return path if path.is_file() else None
