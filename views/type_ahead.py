"""What the people type-aheads share (a group session's invitees, a mentoring session's
mentor and mentees): searches are limited per signed-in person, and a refused search says
so where the suggestions appear."""

from flask import g
from flask_babel import gettext as _
from htmx_flask import make_response
from markupsafe import escape


def searcher():
    """The rate limit's key: the person searching, whatever their address."""
    return f"invitee-search:{g.user.id}"


def too_many_searches(_request_limit):
    """Said where the suggestions appear (a refused type-ahead is no failure to toast)."""
    message = _("Too many searches. Wait a moment and type again.")
    # No options; the combobox's live region says why (group/_invitee_results.html).
    return make_response(f'<p id="invitee-count" hx-swap-oob="innerHTML">{escape(message)}</p>')
