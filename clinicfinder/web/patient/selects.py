"""The results page's fixed selects (sort order, paper size), rendered once per language and choice.

Building the two WTForms forms and rendering their selects was about a tenth of a results request,
for markup that only ever differs by which option is selected. Each is rendered by WTForms itself,
for every choice at once when a language first needs it, so what is kept says nothing of what any
patient chose; a stored value that is no longer a choice is rendered on the request, as before.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask_wtf import FlaskForm
from markupsafe import Markup


class Select(NamedTuple):
    label: str
    html: Markup


_KEPT: dict[tuple[type[FlaskForm], str, str, str], dict[Any, Select]] = {}


def select(form_class: type[FlaskForm], name: str, element_id: str, language: str, value: Any) -> Select:
    """The label and `<select>` of `form_class`'s field `name` with `value` selected, in `language`
    (the request's: the field's lazy labels are translated into its locale)."""
    key = (form_class, name, element_id, language)
    kept = _KEPT.get(key)
    if kept is None:
        choices = [choice for choice, _label in _blank(form_class)[name].choices]
        # Two threads may both build it: the same markup, and the last one kept.
        kept = _KEPT[key] = {choice: _render(form_class, name, element_id, choice) for choice in choices}
    return kept.get(value) or _render(form_class, name, element_id, value)


def _blank(form_class: type[FlaskForm], **data: Any) -> FlaskForm:
    # Never posted, and the page writes the request's CSRF input itself: no token wanted here.
    return form_class(meta={"csrf": False}, **data)


def _render(form_class: type[FlaskForm], name: str, element_id: str, value: Any) -> Select:
    field: Any = _blank(form_class, **{name: value})[name]
    # Plain text, not lazy strings: each lazy label went through Flask-Babel again when rendered.
    field.choices = [(choice, str(label)) for choice, label in field.choices]
    return Select(str(field.label.text), field(id=element_id))
