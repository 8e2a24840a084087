"""Every file the app hands out (CSV results and exports, report PDFs, calendars, JSON
exports) is answered through `download`, which names the file safely.

A file's name often comes from a person: a checked spreadsheet called "Сессии декабрь.csv"
gives "Сессии декабрь-result-12.csv". HTTP headers are Latin-1, so such a name cannot go
into `filename="…"` as it is. The header carries two names (RFC 6266, RFC 5987): an ASCII
`filename` that every browser understands, and `filename*=UTF-8''…` with the real name
percent-encoded, which browsers prefer. Path parts, quotes, semicolons and control
characters never reach the header at all.
"""

import re
import unicodedata
from urllib.parse import quote

from flask import Response

MAX_NAME = 150  # characters of the stem kept; long enough for any name a person gives
UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f"\\/:*?<>|;\u202a-\u202e\u2066-\u2069]')
NOT_TOKEN = re.compile(r"[^A-Za-z0-9._ ()\[\]+-]")  # what the ASCII name may keep as it is
RFC5987_SAFE = "!#$&+-.^_`|~"  # attr-char besides letters and digits


def safe_filename(name, fallback="download"):
    """`name` without any folder, control character or character a file system or a header
    refuses; `fallback` when nothing is left. Keeps letters of every script."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(UNSAFE.sub(" ", name).split()).strip(" .")
    if not name:
        return fallback
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        stem, extension = name, ""
    stem = stem[:MAX_NAME].strip(" .") or fallback
    return f"{stem}.{extension}" if extension else stem


def ascii_filename(name, fallback="download"):
    """The name as plain ASCII for old clients: accents dropped ("é" -> "e"), other letters
    replaced by "_", so the extension always survives."""
    name = safe_filename(name, fallback)
    simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    if len(simple.strip("._ -")) < len(name.strip("._ -")) // 2:
        simple = "".join(char if char.isascii() else "_" for char in name)
    simple = NOT_TOKEN.sub("_", simple)
    stem, dot, extension = simple.rpartition(".")
    if dot and not stem.strip("_ "):
        return f"{fallback}.{extension}"
    return simple.strip() or fallback


def content_disposition(name, inline=False, fallback="download"):
    """The Content-Disposition value for a file called `name` (any script, any characters)."""
    real = safe_filename(name, fallback)
    plain = ascii_filename(real, fallback)
    value = f'{"inline" if inline else "attachment"}; filename="{plain}"'
    if real != plain:
        value += f"; filename*=UTF-8''{quote(real, safe=RFC5987_SAFE)}"
    return value


def download(body, filename, mimetype, headers=None):
    """The answer that hands out `body` as a file called `filename`."""
    response = Response(body, mimetype=mimetype, headers=headers or {})
    response.headers["Content-Disposition"] = content_disposition(filename)
    return response
