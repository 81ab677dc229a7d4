"""A clinic's description: plain text or Markdown, shown as HTML only after nh3 (ammonia) sanitises it.

The same function serves the admin preview, the results page and the PDF, so a description
looks alike everywhere and is cleaned the same way everywhere.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import nh3
from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@cache
def _markdown() -> MarkdownIt:
    """CommonMark with raw HTML switched off; nh3 then removes anything the Markdown still let through.

    Made on the first description shown, not at import: markdown-it took ~40 ms of every web process's
    start-up, and most pages show no description (issue 15: start-up)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def description_html(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _markdown().render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 on the line above
