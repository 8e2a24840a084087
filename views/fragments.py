"""Fragments drawn once per version of what they show: a cache of rendered HTML keyed by
everything the fragment is drawn from (rows, language, zone), so an edit makes a new key and
nothing has to be forgotten by hand. One per worker process, cleared when it grows past its
size; use it only for fragments that are the same for everyone who sees that version.

Templates draw their own such parts with a call block (base.html's frame of every page):

    {% call drawn_for("page-end", config.MAX_CONTENT_LENGTH) %}…{% endcall %}
"""

from flask import g, render_template, request
from markupsafe import Markup

from foundation.forms import fresh_id_salt
from foundation.i18n import locale_code

CACHE = {}
CACHE_SIZE = 4000


def drawn_once(template, version, **context):
    """`template` rendered with `context`, from the cache when `version` (a repr of what it
    shows) and the viewer's language were drawn before."""
    return drawn_once_from(template, version, lambda: context)


def drawn_once_from(template, version, context_of):
    """`drawn_once` for a fragment whose context costs more than a lookup to build:
    `context_of()` runs only when the fragment is drawn."""

    def draw():
        context = context_of()
        page_salt, g.element_id_salt = g.get("element_id_salt"), fresh_id_salt()
        try:  # the fragment's ids will sit among other pages' ids
            return Markup(render_template(template, **context))
        finally:
            g.element_id_salt = page_salt

    return _kept((template, version, locale_code()), draw)


def drawn_for(*key, caller):
    """A template's call block drawn once per `key`, the language and the site's address.
    The key is the block's whole version: it may use nothing else that varies (no user's
    data beyond the key, no CSRF token, no query string). Its ids are the page's own."""
    return _kept(("block", key, locale_code(), request.script_root), lambda: Markup(caller()))


def _kept(key, draw):
    html = CACHE.get(key)
    if html is None:
        if len(CACHE) >= CACHE_SIZE:
            CACHE.clear()
        html = CACHE[key] = draw()
    return html


def is_drawn(template, version):
    """Whether `drawn_once` has `template` at `version` in the viewer's language."""
    return (template, version, locale_code()) in CACHE


def rows_of(session):
    """What a session card is drawn from: the session's row and its days' (with organizers and
    Zoom meetings)."""
    days = [
        (
            day.__data__,
            day.zoom.__data__,
            day.zoom_organizer.name if day.zoom_organizer_id else None,
        )
        for day in session.day_list
    ]
    return session.__data__, days
