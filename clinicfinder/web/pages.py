"""Patient pages rendered without the templates' indentation, one compiled set per language.

Every indented template line leaves its indentation in the page: on the results page, twenty cards
of it were a fifth of its bytes. HTML collapses that whitespace anyway, and these templates hold no
`<pre>` or `<textarea>` and no Jinja tag across lines, so it is dropped when a template is compiled,
not on every request. Each newline stays, so no two words are ever joined (Jinja's `trim_blocks`
would join a line ending in `{% endif %}` to the next), except after a line holding nothing but
block tags: that newline only ever made an empty line. The app's own environment is left as it is
for the plain-text emails and the PDFs. Each overlay shares globals, filters and loader with
`app.jinja_env` (the same helpers and `_()`); only these extensions and the template cache are its own.

A results page made ~380 `_()` calls, each a trip through Jinja's gettext wrapper to the catalogue,
and nearly all of them for a constant message. Each language's overlay translates those when it
compiles a template, with Jinja's own newstyle semantics (the translation is markup; its
`%(name)s` values are escaped into it), so a page renders to the same HTML with fewer calls.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from gettext import NullTranslations
from typing import Any

from flask import Flask, before_render_template, current_app, template_rendered
from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_COLON,
    TOKEN_COMMA,
    TOKEN_LBRACE,
    TOKEN_LBRACKET,
    TOKEN_LPAREN,
    TOKEN_MOD,
    TOKEN_NAME,
    TOKEN_PIPE,
    TOKEN_RBRACE,
    TOKEN_RBRACKET,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)
from markupsafe import Markup, escape

from clinicfinder.core.i18n import LANGUAGES, text_for
from clinicfinder.core.map import MapDrawing
from clinicfinder.core.matching.criteria import CriterionResult
from clinicfinder.web.language import current_language
from clinicfinder.web.patient.cards import DirectoryParts

_INDENTATION = re.compile(r"^[ \t]+", re.MULTILINE)
# A line of block tags or comments only, none of them stripping the whitespace before it (`{%-`
# already took the previous line's newline; taking this one too would join two lines' words).
_TAGS_ONLY_LINE = re.compile(r"^((?:\{%(?!-)(?:[^%\n]|%(?!\}))*%\}|\{#(?!-)(?:[^#\n]|#(?!\}))*#\})+)\n", re.MULTILINE)
_OPENING = {TOKEN_LPAREN, TOKEN_LBRACKET, TOKEN_LBRACE}
_CLOSING = {TOKEN_RPAREN, TOKEN_RBRACKET, TOKEN_RBRACE}


class Unindented(Extension):
    """Strips each template line's leading spaces and tabs before Jinja compiles it."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _TAGS_ONLY_LINE.sub(r"\1", _INDENTATION.sub("", source))


class Translated(Extension):
    """`_("message")` and `_("message", name=value)` translated at compile time, into `catalogue`'s language.

    `_("m")` becomes the constant `("translated"|safe)`, which Jinja folds into the template's text;
    `_("m", a=x)` becomes `(("translated"|safe) % {"a": x})`, which escapes `x` as newstyle gettext does.
    Anything else (`ngettext`, a message that is not a literal, positional values) is left to `_()`.
    """

    catalogue: NullTranslations = NullTranslations()

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        autoescape = self.environment.autoescape
        if not (autoescape(stream.name) if callable(autoescape) else autoescape):
            return stream  # without autoescaping, newstyle gettext returns plain text, not markup: left alone
        return self._rewritten(list(stream))

    def _rewritten(self, tokens: list[Token]) -> Iterator[Token]:
        index = 0
        while index < len(tokens):
            replacement = self._translation_at(tokens, index)
            if replacement is None:
                yield tokens[index]
                index += 1
            else:
                rewritten, index = replacement
                yield from rewritten

    def _translation_at(self, tokens: list[Token], index: int) -> tuple[list[Token], int] | None:
        """The tokens replacing a gettext call starting at `index`, and the index after the call."""
        window = tokens[index : index + 4]
        if (
            len(window) < 4
            or window[0].type != TOKEN_NAME
            or window[0].value not in ("_", "gettext")
            or (index and tokens[index - 1].type == "dot")
            or window[1].type != TOKEN_LPAREN
            or window[2].type != TOKEN_STRING
            or window[3].type not in (TOKEN_RPAREN, TOKEN_COMMA)
        ):
            return None
        line = window[0].lineno
        translated = self.catalogue.gettext(window[2].value)
        if window[3].type == TOKEN_RPAREN:
            # Newstyle gettext formats even without values ("%%" becomes "%"), and the result is markup.
            constant = Token(line, TOKEN_STRING, translated % {})
            return [Token(line, TOKEN_LPAREN, "("), *_safe(constant), Token(line, TOKEN_RPAREN, ")")], index + 4
        values = _keyword_values(tokens, index + 4)
        if values is None:
            return None
        mapping, after = values[0], values[1]
        mapping = list(self._rewritten(mapping))  # a message inside a value, as in `_("m", a=_("n"))`
        message = Token(line, TOKEN_STRING, translated)
        opened = [Token(line, TOKEN_LPAREN, "("), Token(line, TOKEN_LPAREN, "("), *_safe(message)]
        opened += [Token(line, TOKEN_RPAREN, ")"), Token(line, TOKEN_MOD, "%"), Token(line, TOKEN_LBRACE, "{")]
        return [*opened, *mapping, Token(line, TOKEN_RBRACE, "}"), Token(line, TOKEN_RPAREN, ")")], after


def _safe(string: Token) -> list[Token]:
    return [string, Token(string.lineno, TOKEN_PIPE, "|"), Token(string.lineno, TOKEN_NAME, "safe")]


def _keyword_values(tokens: list[Token], index: int) -> tuple[list[Token], int] | None:
    """`a=x, b=f(y)` up to the call's closing parenthesis as the dict body `"a": x, "b": f(y)`,
    and the index after that parenthesis; None for anything but keyword arguments."""
    body: list[Token] = []
    depth = 0
    expect_name = True
    while index < len(tokens):
        token = tokens[index]
        if depth == 0 and expect_name:
            if token.type == TOKEN_RPAREN:  # a trailing comma
                return body, index + 1
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if token.type != TOKEN_NAME or following is None or following.type != "assign":
                return None
            body += [Token(token.lineno, TOKEN_STRING, token.value), Token(token.lineno, TOKEN_COLON, ":")]
            expect_name = False
            index += 2
            continue
        if token.type in _OPENING:
            depth += 1
        elif token.type in _CLOSING:
            if depth == 0:
                return body, index + 1
            depth -= 1
        elif token.type == TOKEN_COMMA and depth == 0:
            expect_name = True
        body.append(token)
        index += 1
    return None


def _page_environment(app: Flask, catalogue: NullTranslations | None) -> Environment:
    if catalogue is None:
        return app.jinja_env.overlay(extensions=[Unindented])
    environment = app.jinja_env.overlay(extensions=[Unindented, Translated])
    translated = environment.extensions[Translated.identifier]
    assert isinstance(translated, Translated)
    translated.catalogue = catalogue
    return environment


def init_app(app: Flask) -> None:
    """Call after every global, filter and the gettext callables are installed on `app.jinja_env`."""
    app.jinja_env.filters["outcome_counts"] = outcome_counts  # the overlays share this dict
    app.jinja_env.filters["map_pins"] = map_pins
    # One compiled set per language (the same catalogue Flask-Babel reads), and one that translates at
    # render time for any other locale.
    environments = {language: _page_environment(app, text_for(language).catalogue) for language in LANGUAGES}
    app.extensions["page_templates"] = {**environments, None: _page_environment(app, None)}
    app.extensions["card_parts"] = DirectoryParts()


def map_pins(drawing: MapDrawing) -> Markup:
    """The results map's numbered pins, each a link to its card: the markup the template's loop wrote,
    in one join (its escapes were a quarter of the page's). Numbers as Jinja writes them (`str`)."""
    radius = drawing.label_radius
    return Markup(  # noqa: S704 - the one text value (the name) and the key are escaped, the rest are numbers
        "".join(
            f'<a href="#clinic-{escape(pin.key)}" class="map-pin" data-card="clinic-{escape(pin.key)}" '
            f'aria-label="{pin.rank}. {escape(pin.name)}">\n'
            f'<circle cx="{pin.label_x}" cy="{pin.label_y}" r="{radius}" class="map-label"/>\n'
            f'<text x="{pin.label_x}" y="{pin.label_y}" dy="0.36em" text-anchor="middle" class="map-number">'
            f"{pin.rank}</text>\n</a>\n"
            for pin in drawing.pins
        )
    )


def outcome_counts(criteria: Iterable[CriterionResult]) -> Counter[str]:
    """How many criteria are met, failed, unknown, in one pass (three `selectattr` chains cost a card ~1 ms)."""
    counts: Counter[str] = Counter()
    for criterion in criteria:  # a loop: Counter(iterable) checks the iterable against Mapping, an ABC, first
        counts[criterion.outcome.value] += 1
    return counts


def render_page(name: str, **context: Any) -> str:
    """`render_template`, through this language's unindented environment: same context processors, same signals."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # the proxy's documented escape hatch
    environments = app.extensions["page_templates"]
    template = (environments.get(current_language()) or environments[None]).get_template(name)
    app.update_template_context(context)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    page: str = template.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    return page
