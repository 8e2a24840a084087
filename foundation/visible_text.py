"""What a text field or a file's cell may hold: characters a person can see.

Typed, pasted or uploaded text can carry characters that show nothing: control characters
(`\\x01`), zero-width spaces, bidi overrides that turn the rest of a line around, or a NUL
that PostgreSQL cannot store. A title of only such characters looks empty on every page
(an unnamed link, a blank heading). So text is cleaned before any rule reads it:

- single-line text loses every control character (a tab or a line break becomes a space);
- multi-line text keeps its line breaks and loses the other control characters;
- bidi embeddings, overrides and isolates are dropped everywhere;
- text with no visible character at all is empty, so "required" refuses it.

Zero-width joiners and the like stay inside text that has visible characters: emoji
sequences and some scripts need them.
"""

import re
import unicodedata

NUL = "\x00"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")
SPACING_CONTROLS = re.compile(r"[\t\n]")
OTHER_CONTROLS = re.compile(rf"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f{BIDI_CONTROLS}]")
# Letters that draw nothing (Hangul fillers, the Braille blank, the Mongolian vowel
# separator): Unicode counts them as letters or symbols, a reader sees a blank.
BLANK_LETTERS = set("\u115f\u1160\u3164\uffa0\u2800\u180e")


def is_visible(char):
    """Whether `char` draws something on its own (a letter, digit, mark or symbol)."""
    if char.isspace() or char in BLANK_LETTERS:
        return False
    return unicodedata.category(char)[0] not in "CZ"


def has_visible(text):
    return any(is_visible(char) for char in text)


def single_line(text):
    """Text for a one-line field: no control character, no line break, nothing invisible
    at either end."""
    text = LINE_BREAKS.sub(" ", text)
    text = SPACING_CONTROLS.sub(" ", text)
    text = OTHER_CONTROLS.sub("", text)
    return _trimmed(text)


def multi_line(text):
    """Text for a field of several lines: line breaks (as \\n) and tabs kept."""
    text = LINE_BREAKS.sub("\n", text)
    text = OTHER_CONTROLS.sub("", text)
    return text if has_visible(text) else ""


def _trimmed(text):
    """`text` from its first visible character to its last; "" when it has none."""
    visible = [index for index, char in enumerate(text) if is_visible(char)]
    return text[visible[0] : visible[-1] + 1] if visible else ""


def cell_text(value):
    """A CSV or XLSX cell as text: a cell may hold several lines (a description), never a
    control character, and a cell of nothing visible is blank."""
    return multi_line("" if value is None else str(value)).strip()
