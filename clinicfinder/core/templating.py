"""The one Jinja setup: the same helpers for the web pages, the emails and the PDF report.

The web app's environment (Flask's) gets them through `install_helpers`; the worker and the
report builder, which have no request, use `environment(language)`, whose gettext is the
language's catalogue — the same `.po` files the pages use.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from clinicfinder.core.charts import chart_x, distance_marks
from clinicfinder.core.descriptions import description_html
from clinicfinder.core.i18n import text_for
from clinicfinder.core.paths import TEMPLATES_DIR


def install_helpers(environment: Environment) -> None:
    """The globals and filters every template may use, wherever it is rendered."""
    environment.globals.update(chart_x=chart_x, distance_marks=distance_marks)
    environment.filters["description_html"] = description_html


@cache
def environment(language: str) -> Environment:
    """Templates rendered outside a request (report, emails from the worker) in `language`."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        # Every clinic and patient string is escaped in HTML: a description is text, never markup.
        autoescape=select_autoescape(("html",), default_for_string=True, default=False),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # install_gettext_translations is added by the i18n extension, so the type checker cannot see it.
    env.install_gettext_translations(text_for(language).catalogue, newstyle=True)  # type: ignore[attr-defined]  # see above
    install_helpers(env)
    return env


def render(language: str, template: str, **context: object) -> str:
    return environment(language).get_template(template).render(**context)
