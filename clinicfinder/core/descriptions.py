"""A clinic's description: plain text or Markdown, shown as HTML only after nh3 (ammonia) sanitises it.

The same function serves the admin preview, the results page and the PDF, so a description
looks alike everywhere and is cleaned the same way everywhere.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# CommonMark with raw HTML switched off; nh3 then removes anything the Markdown still let through.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def description_html(text: str | None) -> Markup:
    if not text:
        return Markup("")
    html = _markdown.render(text)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 on the line above
