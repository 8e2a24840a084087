"""The parts of every page around its content (templates/base.html) that are the same for
everyone with the same few values: drawn once per app and per those values, then reused.

    {% call drawn_for("page-end", locale_code()) %}…{% endcall %}

The values named are the whole key, so a part may use nothing else that varies: no user's
data beyond what the key says, no CSRF token, no query string. The app's own configuration
may vary between apps (tests make many), so each app keeps its own parts.
"""

from flask import current_app
from markupsafe import Markup

PARTS_MAX = 2000  # a part per page kind, role and language: far fewer in practice


def drawn_for(*key, caller):
    """The Markup the call block draws, drawn once for `key` in this app."""
    parts = current_app.extensions.setdefault("drawn_shell_parts", {})
    html = parts.get(key)
    if html is None:
        if len(parts) >= PARTS_MAX:
            parts.clear()
        html = parts[key] = Markup(caller())
    return html


def init_app(app):
    app.jinja_env.globals["drawn_for"] = drawn_for
