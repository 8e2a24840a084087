"""Company settings: time zone, languages, Zoom, group sessions and limits."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from htmx_flask import make_response

from accounts.access import allow
from accounts.administration import save_company_settings
from foundation.forms import Invalid
from foundation.i18n import available_locales, current_company
from models import Role

URL_PREFIXES = ("/admin/settings",)
bp = Blueprint("company_settings", __name__, url_prefix="/admin")


def render_settings(template, errors=None, form=None, status=200, saved=False):
    context = {
        "errors": errors or {},
        "form": form or {},
        "locales": available_locales(),
        "saved": saved,
    }
    return render_template(template, **context), status


@bp.route("/settings")
@allow(Role.ADMIN)
def settings():
    return render_settings("admin/settings.html")


@bp.route("/settings", methods=["POST"])
@allow(Role.ADMIN)
def save_settings():
    company = current_company()
    old_locales = list(company.locales)
    try:
        save_company_settings(company, request.form)
    except Invalid as error:
        return render_settings("admin/_settings_form.html", error.errors, request.form, 422)
    if old_locales != company.locales:
        # The language switch and every per-locale field change: redraw the whole page.
        return make_response("", 204, refresh=True)
    body, status = render_settings("admin/_settings_form.html", saved=True)
    return make_response(body, status, trigger={"toast": _("Saved.")})
