"""Patient pages rendered without the templates' indentation.

Every indented template line leaves its indentation in the page: on the results page, twenty cards
of it were a fifth of its bytes. HTML collapses that whitespace anyway, and these templates hold no
`<pre>` or `<textarea>` and no Jinja tag across lines, so it is dropped when a template is compiled,
not on every request. Each newline stays, so no two words are ever joined (Jinja's `trim_blocks`
would join a line ending in `{% endif %}` to the next). The app's own environment is left as it is
for the plain-text emails and the PDFs. The overlay shares globals, filters and loader with
`app.jinja_env` (the same helpers and `_()`); only this extension and the template cache are its own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from flask import Flask, before_render_template, current_app, template_rendered
from jinja2.ext import Extension

from clinicfinder.core.matching.criteria import CriterionResult

_INDENTATION = re.compile(r"^[ \t]+", re.MULTILINE)


class Unindented(Extension):
    """Strips each template line's leading spaces and tabs before Jinja compiles it."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _INDENTATION.sub("", source)


def init_app(app: Flask) -> None:
    """Call after every global, filter and the gettext callables are installed on `app.jinja_env`."""
    app.jinja_env.filters["outcome_counts"] = outcome_counts  # the overlay shares this dict
    app.extensions["page_templates"] = app.jinja_env.overlay(extensions=[Unindented])


def outcome_counts(criteria: Iterable[CriterionResult]) -> Counter[str]:
    """How many criteria are met, failed, unknown, in one pass (three `selectattr` chains cost a card ~1 ms)."""
    return Counter(criterion.outcome.value for criterion in criteria)


def render_page(name: str, **context: Any) -> str:
    """`render_template`, through the unindented environment: same context processors, same signals."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's documented escape hatch
    template = app.extensions["page_templates"].get_template(name)
    app.update_template_context(context)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    page: str = template.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    return page
