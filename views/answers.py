"""How a handler answers a form that leads to another page, for htmx and plain requests
alike."""

from flask import redirect, request
from htmx_flask import make_response


def go_to(url):
    """htmx follows HX-Redirect to `url`; a plain form post is redirected (303: as a GET)."""
    return make_response(redirect=url) if request.htmx else redirect(url, 303)
