"""The results page's sort-order and paper-size selects, kept per language: WTForms' own markup for every choice."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_wtf import FlaskForm

from clinicfinder.web.patient import selects
from clinicfinder.web.patient.forms import OrderForm, PaperForm


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    ("form_class", "name", "value"),
    [
        (OrderForm, "order", "nearest"),
        (OrderForm, "order", "experience"),
        (PaperForm, "paper", "A4"),
        (PaperForm, "paper", "Letter"),
        (OrderForm, "order", "no-longer-offered"),
    ],
)
def test_a_kept_select_is_the_select_wtforms_renders(
    app: Flask, language: str, form_class: type[FlaskForm], name: str, value: str
) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        kept = selects.select(form_class, name, name, language, value)
        kept_again = selects.select(form_class, name, name, language, value)
        field = form_class(meta={"csrf": False}, **{name: value})[name]
        assert kept.html == field(id=name)
        assert kept.label == str(field.label.text)
        assert kept_again == kept
    assert (f'<option selected value="{value}">' in kept.html) == (value != "no-longer-offered")


def test_only_the_offered_choices_are_kept_never_what_a_patient_stored(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        selects.select(OrderForm, "order", "order", "en", "something a patient's session held")
    kept = selects._KEPT[(OrderForm, "order", "order", "en")]
    assert set(kept) == {"nearest", "success", "experience", "price"}
