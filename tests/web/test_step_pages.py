"""A step page filled into its kept markup is the page the template renders, and the kept markup holds no answer."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from clinicfinder.web.patient import step_pages
from tests.support.journey import post

VOLATILE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')
STEPS = ("where", "treatment", "budget")


def _pages(client: FlaskClient, language: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Each step filled from its skeleton, then rendered plainly by the template, for the same answers."""
    headers = {"Accept-Language": language}

    def get_all() -> list[str]:
        pages = [client.get(f"/find/{step}", headers=headers, follow_redirects=True) for step in STEPS]
        assert all(page.status_code == 200 for page in pages)
        return [VOLATILE.sub("", page.get_data(as_text=True)) for page in pages]

    filled = get_all()
    with monkeypatch.context() as plain:
        plain.setattr(step_pages, "can_fill", lambda form: False)
        rendered = get_all()
    return filled, rendered


def _skeletons(app: Flask) -> dict[tuple[object, str, str, str, str], step_pages.Skeleton]:
    pages = app.extensions["step_pages"]
    assert isinstance(pages, step_pages.StepPages)
    return pages._skeletons


def _answer(client: FlaskClient) -> None:
    where = {"location": "Houston, TX", "radius": "100", "unit": "km"}
    assert post(client, "/find/where", where).status_code == 302
    treatment = {"treatment": "icsi", "diagnosis": "tubal", "situation": "single_woman", "age_band": "38_40"}
    assert post(client, "/find/treatment", treatment).status_code == 302
    assert post(client, "/find/budget", {"budget": "12345.50", "currency": "EUR"}).status_code == 302


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_filled_step_is_the_page_the_template_renders_without_answers(
    seeded_app: Flask, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = seeded_app.test_client()
    filled, rendered = _pages(client, language, monkeypatch)
    # Without a place, treatment and budget send the patient back to where.
    assert filled == rendered
    assert len(_skeletons(seeded_app)) == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_filled_step_is_the_page_the_template_renders_with_answers(
    seeded_app: Flask, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = seeded_app.test_client()
    _answer(client)
    filled, rendered = _pages(client, language, monkeypatch)
    assert filled == rendered
    where, treatment, budget = filled
    assert 'value="Houston, TX"' in where and re.search(r'value="km"\s*checked', where)
    assert '<option value="100" selected>' in where
    assert re.search(r'value="icsi"\s*checked', treatment) and '<option value="tubal" selected>' in treatment
    assert '<option value="38_40" selected>' in treatment
    assert 'value="12345.50"' in budget and '<option value="EUR" selected>' in budget
    assert 'name="include_unpriced" value="y">' in budget  # not sent: unchecked
    # Every step and language came from a kept skeleton (the same ones the first patient's request built).
    assert {key[-1] for key in _skeletons(seeded_app)} == {f"/find/{step}" for step in STEPS}


def test_kept_markup_holds_no_answer_and_no_token(seeded_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    client = seeded_app.test_client()
    _answer(client)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/find/budget").get_data(as_text=True))
    assert token is not None
    _pages(client, "en", monkeypatch)  # the three steps filled, so each has its skeleton
    other = seeded_app.test_client()
    assert post(other, "/find/where", {"location": "Seattle, WA", "radius": "25", "unit": "mi"}).status_code == 302
    assert post(other, "/find/treatment", {"treatment": "ivf"}).status_code == 302
    assert post(other, "/find/budget", {"budget": "987", "currency": "USD", "include_unpriced": "y"}).status_code == 302
    assert other.get("/find/treatment").status_code == 200
    kept = "".join("".join(skeleton.pieces) for skeleton in _skeletons(seeded_app).values())
    assert len(_skeletons(seeded_app)) == 3  # one per step: the second patient's answers made no new one
    for answer in ("Houston", "12345", "Seattle, WA", "987", token.group(1)):
        assert answer not in kept
    assert " selected>" not in kept and not re.search(r"\bchecked\b", kept)


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_step_with_errors_is_rendered_plainly_with_its_messages(
    seeded_app: Flask, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = seeded_app.test_client()
    headers = {"Accept-Language": language}
    assert post(client, "/find/where", {"location": "Houston, TX", "radius": "25", "unit": "mi"}).status_code == 302
    assert post(client, "/find/treatment", {"treatment": "ivf"}).status_code == 302
    assert post(client, "/find/budget", {"budget": "-5", "currency": "USD"}).status_code == 302
    filled_pages: list[object] = []
    fill = step_pages.Skeleton.fill

    def counted(self: step_pages.Skeleton, form: object) -> str:
        filled_pages.append(form)
        return fill(self, form)

    monkeypatch.setattr(step_pages.Skeleton, "fill", counted)
    shown = client.get("/find/budget", headers=headers).get_data(as_text=True)
    assert 'class="error-summary"' in shown and 'value="-5"' in shown and 'aria-invalid="true"' in shown
    assert not filled_pages  # its markup depends on more than the spots a skeleton fills
    monkeypatch.undo()
    # The same answers again, without the error: filled, and the same page as the template's.
    filled, rendered = _pages(client, language, monkeypatch)
    assert filled == rendered
