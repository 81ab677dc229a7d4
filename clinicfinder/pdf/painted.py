"""A kept page painted once, its drawing replayed into each report's PDF (pdf/report_cache.py).

WeasyPrint paints every page of a document into a fresh PDF content stream each time it writes one, so
the shared pages kept laid out were still painted again for every report: about 0.13 s of CPU a report
for the standard report's four shared pages. What a page's painting leaves behind is all in the stream
it paints into: its drawing operators, the glyphs it used of each font (the PDF embeds exactly those),
the transparency states it named, and the marked-content numbers that tie its text to the PDF/UA tags.
`KeptPage` paints its page once into a scratch stream, records those, and from then on writes them into
the report's stream in the order WeasyPrint would have; the stream's compressed bytes, the same for
every report, are kept too (zlib at level 9: 3-7 ms a page). The PDF is the same file byte for byte
(tests/worker/test_report_cache.py). A page whose painting needs more than this (an image, an SVG
group, a pattern, a glyph missing from the font) is not recorded and is painted every time.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from typing import Any

from clinicfinder.pdf import internals

log = logging.getLogger(__name__)


# Transparency states a stream names after their value ("a1", "A0.5"): the same name means the same
# state in any document. Other states are numbered in the order a document makes them.
_ALPHA_STATE = re.compile(r"[aA][0-9.]+")


@dataclass(frozen=True)
class _Drawing:
    scale: float
    tagged: bool  # painted for a tagged PDF (PDF/UA): its text is marked content
    operators: bytes  # the page's content after the stream's own first operators, joined as pydyf joins them
    fonts: dict[Any, Any]  # font key → weasyprint.pdf.fonts.Font with the glyphs this page used, never written
    states: dict[str, Any]  # transparency states the page named
    tags: dict[Any, dict[str, Any]]  # text box → its marked-content tag and number, as add_tags pops them


class KeptPage:
    """A weasyprint.document.Page of a kept document, painted from its recorded drawing.

    Everything WeasyPrint reads of a page other than `paint` (size, links, anchors, bookmarks, its box
    tree for the tags) is the page's own.
    """

    def __init__(self, page: Any) -> None:
        self._page = page
        self._drawing: _Drawing | None = None
        self._replayable = internals.known()  # with another WeasyPrint or pydyf, painted as usual
        self.replays = 0
        self._written: dict[tuple[Any, ...], bytes] = {}  # (content, extra, compress) → the stream as written

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)

    def paint(self, stream: Any, scale: float = 1) -> None:
        if self._replayable and (self._drawing is None or self._drawing.scale != scale):
            try:
                self._drawing = _record(self._page, stream, scale)
            except Exception:  # an internal it reads has changed: this report, and the next, painted as usual
                log.exception("a kept page could not be recorded; it is painted for every report")
                self._drawing = None
            self._replayable = self._drawing is not None
        drawing = self._drawing
        # The numbers of a page's marked content start at 0 in the stream WeasyPrint gives each page.
        if drawing is None or drawing.scale != scale or drawing.tagged != (stream._tags is not None) or stream._tags:
            self._page.paint(stream, scale)
            return
        _replay(drawing, stream)
        self.replays += 1
        # Written as bytes made once: its content is the same in every report but for what came before it.
        stream.__class__ = _written_once(type(stream))
        stream.written = self._written


def _record(page: Any, stream: Any, scale: float) -> _Drawing | None:
    """The page painted into a scratch stream like `stream`; None if its drawing cannot be replayed."""
    from weasyprint.pdf.stream import Stream

    resources = type(stream._resources)(
        {key: type(value)() for key, value in stream._resources.items() if key != "ColorSpace"}
    )
    resources["ColorSpace"] = stream._resources["ColorSpace"]
    scratch = Stream({}, stream.page_rectangle, resources, {}, {} if stream._tags is not None else None,
                     stream._color_profiles, stream._output_intent, compress=stream.compress)  # fmt: skip
    # The same first operators as the report's stream (its page transform): the operators WeasyPrint
    # merges look back at the last one written.
    scratch.stream = list(stream.stream)
    start = len(scratch.stream)
    page.paint(scratch, scale)
    if (scratch._images or any(resources[key] for key in ("XObject", "Pattern", "Shading"))
            or not all(_ALPHA_STATE.fullmatch(name) for name in resources["ExtGState"])
            or any(font.missing or font.used_in_forms for font in scratch._fonts.values())):  # fmt: skip
        return None
    from pydyf import _to_bytes  # type: ignore[import-untyped]  # the way pydyf writes each operator

    return _Drawing(
        scale=scale,
        tagged=scratch._tags is not None,
        operators=b"\n".join(_to_bytes(operator) for operator in scratch.stream[start:]),
        fonts=scratch._fonts,
        states=dict(resources["ExtGState"]),
        tags=scratch._tags or {},
    )


def _replay(drawing: _Drawing, stream: Any) -> None:
    """What painting the page into `stream` would have done to it, the PDF it is written into and its fonts."""
    if drawing.operators:
        stream.stream.append(drawing.operators)
    states = stream._resources["ExtGState"]
    for name, state in drawing.states.items():
        if name not in states:
            states[name] = type(state)(state)
    for key, font in drawing.fonts.items():
        known = stream._fonts.get(key)
        if known is None:
            # A copy for this document: writing the PDF subsets the font file it holds.
            known = stream._fonts[key] = copy.copy(font)
            known.widths, known.to_unicode = {}, {}
            known.variations, known.missing, known.tables = dict(font.variations), {}, list(font.tables)
        # A glyph's first use in the document decides its text and width, as when the page is painted.
        for glyph, text in font.to_unicode.items():
            known.to_unicode.setdefault(glyph, text)
        for glyph, width in font.widths.items():
            known.widths.setdefault(glyph, width)
    if stream._tags is not None:
        stream._tags.update((box, dict(tag)) for box, tag in drawing.tags.items())


_WRITTEN_ONCE: dict[Any, type] = {}


def _written_once(stream_class: Any) -> type:
    """`stream_class` (weasyprint.pdf.stream.Stream) whose `data` is kept in its `written` per content."""
    if stream_class not in _WRITTEN_ONCE:
        from pydyf import _to_bytes

        written: Any = stream_class.data  # the property of pydyf.Stream

        def data(stream: Any) -> bytes:
            content = b"\n".join(_to_bytes(item) for item in stream.stream)  # two items: its transform, the page
            key = (content, tuple(stream.extra.items()), stream.compress)
            if key not in stream.written:
                stream.written.clear()  # one content a page: a report with another transform replaces it
                stream.written[key] = written.fget(stream)
            result: bytes = stream.written[key]
            return result

        _WRITTEN_ONCE[stream_class] = type(
            f"WrittenOnce{stream_class.__name__}", (stream_class,), {"data": property(data)}
        )
    return _WRITTEN_ONCE[stream_class]
