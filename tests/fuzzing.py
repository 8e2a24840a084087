"""Malformed values for fuzzing, shared by tests/test_fuzz.py and bench/fuzz.py (not a test
module itself): what users, scripts and attackers send that the app must refuse politely."""

import random
import re
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
