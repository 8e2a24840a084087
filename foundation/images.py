"""Uploaded images (a session's picture): only JPEG, PNG or WebP, at most IMAGE_MAX_MB,
decoded by Pillow, resized to fit 1200 x 800, stripped of metadata and re-encoded as WebP
under a random name in instance/images. What is served is always our own re-encoding,
never the uploaded bytes."""

import secrets
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

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
    refused = Invalid({field: _("Choose a JPEG, PNG or WebP image.")})
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in ACCEPTED or probe.width * probe.height > MAX_PIXELS:
                raise refused
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            image.draft("RGB", MAX_SIDE)
            picture = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise refused from error
    picture.thumbnail(MAX_SIDE)
    name = secrets.token_hex(NAME_LENGTH // 2) + ".webp"
    picture.save(folder() / name, "WEBP", quality=82)
    return name


def image_path(name):
    """The file of a stored image, or None for any name we did not make."""
    if not is_image_name(name):
        return None
    path = folder() / name
    return path if path.is_file() else None
