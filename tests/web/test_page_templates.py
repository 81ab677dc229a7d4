"""The patient pages' compiled environments: translated at compile time, blank lines dropped, same page."""

from __future__ import annotations

import re
from gettext import NullTranslations
from typing import Any, ClassVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import DictLoader, Environment

from clinicfinder.web.pages import Translated, Unindented
from tests.support.journey import answer_all

VOLATILE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*')


class Catalogue(NullTranslations):
    """A tiny catalogue that counts its lookups; its translations hold markup and a quote on purpose."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "Hello": "<b>Hola</b> & co",
        "Quote": 'Di "hola"',
        "Hi %(name)s": "Hola %(name)s",
        "%(a)s and %(b)s": "%(b)s y %(a)s",
        "inner": "<i>dentro</i>",
        "100%% sure": "100%% seguro",
    }

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def gettext(self, message: str) -> str:
        self.lookups += 1
        return self.MESSAGES.get(message, message)


class Helpers:
    def _(self, message: str) -> str:
        return f"method:{message}"


TEMPLATES = [
    '{{ _("Hello") }}',
    "<a title=\"{{ _('Quote') }}\">x</a>",
    '{{ _("100%% sure") }}',
    '{{ _("Hi %(name)s", name=who) }}',
    '{{ _("Hi %(name)s", name=who,) }}',
    '{{ _("%(a)s and %(b)s", a=pick(1, [2, 3]), b={"k": who}["k"]) }}',
    '{{ _("Hi %(name)s", name=_("inner")) }}',
    '{% set s = _("Hello") %}{{ s }}|{{ _("Hello") if flag else _("Quote") }}',
    "{{ _(message) }}",
    '{{ helpers._("Hello") }}',
]
CONSTANT = TEMPLATES[:8]


def environments() -> tuple[Environment, Environment, Catalogue, Catalogue]:
    """The app's way (newstyle gettext at render time) and the compiled way, each with its own catalogue."""
    at_render, at_compile = Catalogue(), Catalogue()
    base = Environment(autoescape=True, extensions=["jinja2.ext.i18n"], loader=DictLoader({}))
    base.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=at_render.gettext, ngettext=at_render.ngettext, newstyle=True
    )
    compiled = base.overlay(extensions=[Translated])
    translated = compiled.extensions[Translated.identifier]
    assert isinstance(translated, Translated)
    translated.catalogue = at_compile
    return base, compiled, at_render, at_compile


CONTEXT: dict[str, Any] = {
    "who": "<script>alert(1)</script>",
    "pick": lambda first, rest: f"{first}<{len(rest)}>",
    "flag": False,
    "message": "Quote",
    "helpers": Helpers(),
}


@pytest.mark.parametrize("source", TEMPLATES)
def test_a_message_translated_when_compiled_renders_as_gettext_at_render_time_would(source: str) -> None:
    base, compiled, _, _ = environments()
    assert compiled.from_string(source).render(CONTEXT) == base.from_string(source).render(CONTEXT)


@pytest.mark.parametrize("source", CONSTANT)
def test_a_literal_message_is_not_looked_up_again_when_the_page_is_rendered(source: str) -> None:
    _, compiled, at_render, at_compile = environments()
    template = compiled.from_string(source)
    looked_up = at_compile.lookups
    template.render(CONTEXT)
    template.render(CONTEXT)
    assert looked_up > 0 and at_compile.lookups == looked_up and at_render.lookups == 0


def test_a_template_that_is_not_autoescaped_is_left_to_gettext_at_render_time() -> None:
    base, _, at_render, _ = environments()
    plain = base.overlay(autoescape=False, extensions=[Translated])
    source = '{{ _("Hi %(name)s", name=who) }}'
    assert plain.from_string(source).render(CONTEXT) == "Hola <script>alert(1)</script>"
    assert at_render.lookups == 1


def test_a_message_that_is_not_a_literal_is_still_looked_up_at_render_time() -> None:
    _, compiled, at_render, _ = environments()
    compiled.from_string("{{ _(message) }}").render(CONTEXT)
    assert at_render.lookups == 1


LINES = """<p>
{% if flag %}
<b>yes</b>
{% endif %}{# a note #}
word
{%- if flag %} x{% endif %}
{% if not flag %}after{% endif %}
{% set y = 1 %}
end</p>
"""


def test_a_line_of_block_tags_only_loses_its_newline_but_no_two_words_are_joined() -> None:
    plain = Environment(autoescape=True).from_string(LINES)
    unindented = Environment(autoescape=True, extensions=[Unindented]).from_string(LINES)
    for flag in (True, False):
        before, after = plain.render(flag=flag), unindented.render(flag=flag)
        assert re.sub(r"\s+", " ", after) == re.sub(r"\s+", " ", before)
        assert len(after) < len(before)


@pytest.fixture
def patient(seeded_app: Flask) -> FlaskClient:
    client = seeded_app.test_client()
    answer_all(client)
    return client


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_pages_compiled_in_their_language_are_the_pages_gettext_makes_at_render_time(
    seeded_app: Flask, patient: FlaskClient, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = {"Accept-Language": language}

    def pages() -> list[str]:
        results = VOLATILE.sub("", patient.get("/find/results", headers=headers).get_data(as_text=True))
        clinic_id = re.search(r'<li class="clinic-card" id="clinic-([^"]+)">', results)
        assert clinic_id is not None
        criteria = patient.get(f"/find/results/criteria/{clinic_id.group(1)}", headers=headers)
        steps = [patient.get(f"/find/{step}", headers=headers) for step in ("where", "treatment", "budget")]
        return [VOLATILE.sub("", page.get_data(as_text=True)) for page in (criteria, *steps)] + [results]

    compiled = pages()
    environments = seeded_app.extensions["page_templates"]
    monkeypatch.setitem(environments, language, environments[None])  # `_()` looked up on every call
    assert all(f'<html lang="{language}">' in page for page in compiled)
    # The steps go through the same compiled environment: none of their template indentation is left.
    assert not [line for page in compiled[1:4] for line in page.splitlines() if re.match(r"[ \t]+<", line)]
    assert compiled == pages()
