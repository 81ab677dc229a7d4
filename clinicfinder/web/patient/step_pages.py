"""A questionnaire step's page, rendered once per (language, step) and filled in for each request.

A step page is the same for every patient but for a handful of spots: the CSRF token, which radio
option is checked, which select option is selected, a text field's value and a checkbox. The form
macros write those spots through `slot()`; rendered normally, `slot()` gives the markup it always
gave. Rendered once as a *skeleton*, each spot becomes a hole instead (`holes`), so the kept markup holds
no answer at all: only the page's fixed text in one language. A request then joins the kept pieces
with its own values, read from the same WTForms fields the template would have asked.

Anything else that varies (error messages, a flashed message, the where step's suggestions or
coverage notice, the choose-place step's list) means the plain render: those pages are rare, and
their markup depends on more than a few spots.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from wtforms import Field

from clinicfinder.web.language import current_language
from clinicfinder.web.pages import render_page
from clinicfinder.web.patient.holes import hole, split_at_holes

# A spot in a skeleton: what it shows ("checked" radio, "selected" option, text "value", "box" checked)
# for which field (and, for a choice, which of its values).
Spot = tuple[str, str, object]
_CSRF: Spot = ("csrf", "", None)

# Set while a skeleton renders: the list the spots are recorded in.
_recording: ContextVar[list[Spot] | None] = ContextVar("step_skeleton", default=None)


def slot(kind: str, field: Field, value: object, markup: str) -> str:
    """The template's own `markup` for this spot, or, while a skeleton renders, a hole in its place."""
    spots = _recording.get()
    if spots is None:
        return markup
    spots.append((kind, field.name, value))
    return hole(len(spots) - 1)


class Skeleton:
    """A step page as fixed pieces with the spots between them: pieces[0], spots[0], pieces[1], ..."""

    def __init__(self, page: str, spots: list[Spot], token: str) -> None:
        # The request's token, the same in every form of the page (base.html's and the step's).
        spots = [*spots, _CSRF]
        pieces, numbers = split_at_holes(page.replace(token, hole(len(spots) - 1)))
        self.pieces = tuple(pieces)
        self.spots = tuple(spots[number] for number in numbers)

    def fill(self, form: FlaskForm) -> str:
        fields = {field.name: field for field in form}
        token = generate_csrf()
        out = [self.pieces[0]]
        for (kind, name, value), piece in zip(self.spots, self.pieces[1:], strict=True):
            out.append(token if kind == "csrf" else _spot(kind, fields[name], value))
            out.append(piece)
        return "".join(out)


def _spot(kind: str, field: Field, value: object) -> str:
    """What the form macros write at this spot for this field, as they write it (macros/forms.html).

    A choice is selected as WTForms' SelectField.iter_choices decides it (`coerce(value) == data`),
    asked of this one value instead of building every choice of the field again.
    """
    if kind == "checked":
        return "checked" if field.coerce(value) == field.data else ""
    if kind == "selected":
        return " selected" if field.coerce(value) == field.data else ""
    if kind == "box":
        return " checked" if field.data else ""
    return str(escape(field._value()))


class StepPages:
    """Per app: each step's skeleton by (environment, language, template, script root, path).

    Markup only, never answers; at most one per step page and language, so it needs no bound.
    """

    def __init__(self) -> None:
        self._skeletons: dict[tuple[object, str, str, str, str], Skeleton] = {}
        self._lock = threading.Lock()

    def render(self, template: str, form: FlaskForm, **context: Any) -> str:
        environments = current_app.extensions["page_templates"]  # as render_page picks it
        language = current_language()
        key = (environments.get(language) or environments[None], language, template, request.script_root, request.path)
        skeleton = self._skeletons.get(key)
        if skeleton is None:
            spots: list[Spot] = []
            recording = _recording.set(spots)
            try:
                page = render_page(template, form=form, **context)
            finally:
                _recording.reset(recording)
            skeleton = Skeleton(page, spots, generate_csrf())
            with self._lock:  # two threads may both build it: the same markup, either is kept
                self._skeletons.setdefault(key, skeleton)
        return skeleton.fill(form)


def can_fill(form: FlaskForm) -> bool:
    """A plain page that a skeleton gives byte for byte: no error to show and no message flashed."""
    return request.method == "GET" and not form.errors and "_flashes" not in session


def init_app(app: Flask) -> None:
    app.jinja_env.globals["slot"] = slot  # the overlays share the globals
    app.extensions["step_pages"] = StepPages()


def render_step(template: str, form: FlaskForm, **context: Any) -> str:
    """The step page, from its skeleton when `can_fill`; `context` must then be the same for every patient."""
    if can_fill(form):
        pages: StepPages = current_app.extensions["step_pages"]
        return pages.render(template, form, **context)
    return render_page(template, form=form, **context)
