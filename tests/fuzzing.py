"""Malformed values for fuzzing, shared by tests/test_fuzz.py and bench/fuzz.py (not a test
module itself): what users, scripts and attackers send that the app must refuse politely."""

import io
import random
import re
import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_FOLDERS = ["views", "sessions", "accounts", "foundation", "messaging", "meetings"]
READS = re.compile(
    r"""(?:reader\.\w+|form\.get(?:list)?|args\.get(?:list)?)\(\s*["']([a-z_]+)["']"""
)
NASTY = [
    "",
    " ",
    "0",
    "-1",
    "99999999999999999999",
    "9223372036854775808",
    "²",
    "١٢",
    "1e309",
    "nan",
    "\x00",
    "a\x00b",
    "x" * 5000,
    "<script>alert(1)</script>",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2030-02-30T10:00",
    "2030-03-31T02:30",
    "2030-10-27T02:30",
    "9999-12-31",
    "-0001-01-01",
    "%s%(x)s{0}",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "/\t/evil.example/",
    "🙂",
    "on",
    "1",
]
# Text of nothing visible: control characters, zero-width and bidi characters, blank letters.
INVISIBLE = [
    "\x01",
    "\x7f\x1b",
    "\u200b",
    "\u202e",
    "\u200b\u200c\u200d\ufeff",
    "\u2066\u2069\u202a",
    " \t\u3000\u00a0",
    "\u3164\u2800",
    "\r\n\u2028",
]
# Names in every script, as people type them (and file names from them).
SCRIPTS = [
    "Сессии декабрь",
    "会议 安排",
    "مرحبا بالعالم",
    "שלום עולם",
    "नमस्ते दुनिया",
    "🙂 👩\u200d💻 🎉",
    'quote" semi; colon',
]
NASTY += INVISIBLE + SCRIPTS
HOSTILE_FILE_NAMES = [f"{name}.csv" for name in SCRIPTS] + [
    "line\r\nSet-Cookie: stolen=1.csv",
    "../../etc/passwd",
    "..\\..\\win.ini",
    "\u202egpj.exe",
    "",
    "x" * 300,
]
QUERY_FIELDS = ["page", "session", "status", "q", "edit", "tab", "next", "format", "kind", "sort"]


def form_fields():
    """Every field name the app reads, found in its source, so new forms are fuzzed too."""
    names = {f"{prefix}_{code}" for prefix in ("name", "title") for code in ("en", "ru")}
    for folder in APP_FOLDERS:
        for path in (ROOT / folder).glob("*.py"):
            names.update(READS.findall(path.read_text()))
    return sorted(names)


def malformed_form(rng, names):
    """Some of the fields, each once or repeated, with nasty values."""
    return {
        name: [rng.choice(NASTY) for _ in range(rng.choice([1, 1, 1, 2]))]
        for name in rng.sample(names, k=rng.randint(0, len(names)))
    }


def malformed_query(rng):
    return {name: rng.choice(NASTY) for name in rng.sample(QUERY_FIELDS, k=3)}


def seeded(seed=20261123):
    return random.Random(seed)


# Broken images --------------------------------------------------------------------------------


def _png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _encoded(kind, size=(64, 48)):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, kind)
    return buffer.getvalue()


def _png_claiming(width, height, pixels=b"\x00"):
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(pixels))
        + _png_chunk(b"IEND", b"")
    )


def broken_images():
    """(file name, bytes) of uploads that claim to be images and are not readable ones:
    corrupt chunks, truncated files, bombs, other formats behind an image's extension."""
    png, jpeg, webp = _encoded("PNG"), _encoded("JPEG"), _encoded("WEBP")
    idat = png.index(b"IDAT")
    bad_crc = (
        png[: idat + 8] + bytes(b ^ 0xFF for b in png[idat + 8 : idat + 20]) + png[idat + 20 :]
    )
    return [
        ("corrupt-idat.png", bad_crc),
        ("garbage-idat.png", _png_claiming(64, 48, b"\xff" * 50)),
        ("zlib-garbage.png", _png_claiming(64, 48)[:-30] + b"\x00" * 30),
        ("header-only.png", png[:33]),
        ("truncated.png", png[: len(png) // 2]),
        ("truncated.jpg", jpeg[: len(jpeg) // 2]),
        ("no-scan.jpg", jpeg[:20]),
        ("truncated.webp", webp[: len(webp) // 2]),
        ("bomb.png", _png_claiming(30000, 30000)),
        ("wide.png", _png_claiming(2**31 - 1, 1)),
        ("gif-inside.png", _encoded("GIF")),
        ("bmp-inside.jpg", _encoded("BMP")),
        ("text-inside.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("empty.png", b""),
    ]


# Stored text ------------------------------------------------------------------------------

# Columns that hold what the app itself wrote (hashes, tokens, rendered emails, raw files).
NOT_TYPED = {"password_hash", "key", "token", "calendar_token", "data", "attachments"}
NOT_TYPED |= {"html_body", "text_body"}


def stored_text_problems():
    """Every text the database holds (JSON values too) that has a control character other
    than a line break or a tab, a bidi control, or nothing visible at all."""
    from foundation.visible_text import has_visible
    from models import BaseModel, db

    problems = []
    with db.connection_context():
        for model in BaseModel.__subclasses__():
            fields = [f for f in model._meta.sorted_fields if f.name not in NOT_TYPED]
            fields = [f for f in fields if f.field_type in ("VARCHAR", "TEXT", "JSON")]
            for row in model.select(*fields).dicts() if fields else []:
                for column, value in row.items():
                    for text in _texts(value):
                        if text and (BAD_CHARACTER.search(text) or not has_visible(text)):
                            problems.append(f"{model.__name__}.{column}: {text!r:.80}")
    return problems


BAD_CHARACTER = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
