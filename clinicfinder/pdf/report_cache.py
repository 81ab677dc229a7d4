"""A report's shared pages laid out once per render child, its patient's pages laid out for each report.

From the first-visit guide on, a report's pages hold the same text for every report made from the same
answers about the treatment (templates/pdf/report.html, `part`); in the standard report that is half
its pages. They are laid out once and kept, keyed by their own HTML, so a different text can never be
served from the cache. Each report then lays out only its patient part and writes one PDF from both
parts' pages: WeasyPrint embeds the fonts the pages paint, resolves links and bookmarks across all of
the pages and builds the PDF/UA tags from their boxes when it writes, so the combined document is tagged
and linked as one laid out in one piece (tests/worker/test_report_cache.py compares the two).

Page numbers ("5 / 8") are laid out with the pages, so each part is laid out with blank pages standing
for the other part: the patient part followed by as many pages as the shared part has, the shared part
preceded by as many pages as the patient part has. The shared part is kept per number of patient pages.

Each kept page is also painted once (pdf/painted.py): writing a report replays its drawing instead of
painting it again.
"""

from __future__ import annotations

import gc
import hashlib
import threading
from collections import OrderedDict
from io import BytesIO
from typing import Any

from clinicfinder.core.report.builder import PAGES_AFTER, PAGES_BEFORE, ReportParts
from clinicfinder.pdf.painted import KeptPage
from clinicfinder.pdf.writing import tune_pydyf

# A forced page break each: they stand for the other part's pages while one part is laid out, and are
# left out of the PDF. `break-after` before the shared part, `break-before` after the patient part.
BLANK_BEFORE = '<div class="page-stand-in-before"></div>'
BLANK_AFTER = '<div class="page-stand-in-after"></div>'
# Each part's <head> links the report's stylesheet (templates/pdf/head.html); the renderer gives WeasyPrint
# the one it parsed once instead. As a user stylesheet it has nothing to yield to: the parts hold no
# other rule it could meet but the paper's size, and no `!important` (tests/worker/test_report_cache.py
# checks the file is the one laid out in one piece, link and all, byte for byte).
STYLESHEET_URL = "asset:report.css"
STYLESHEET_LINK = f'<link rel="stylesheet" href="{STYLESHEET_URL}">'
# Laid-out shared parts kept per render child: a few languages, papers and treatments at once.
# About 3 MB each (resident memory, standard report, 8 kept: 108 → 127 MB); children are replaced every
# RENDER_TASKS_PER_CHILD reports anyway.
KEEP = 8


class SharedPages:
    """The laid-out shared parts, most recently used last. Used under `lock` (render_report_here)."""

    def __init__(self, keep: int = KEEP, freeze: bool = False) -> None:
        self.keep = keep
        # In a render child (set by renderer's initializer): the kept documents, some 75,000 objects, are
        # moved out of the garbage collector's generations once laid out (gc.freeze). Otherwise every
        # full collection, about one a report, walks all of them again: 30-40 ms of a report's GC
        # (callback-timed, 97-118 -> 68-79 ms a report; resident memory unchanged after 20 reports).
        self.freeze = freeze
        self._unsettled = self._evicted = False  # a shared part laid out, one evicted, since the last freeze
        # The laid-out document, and its shared pages as KeptPage (the stand-ins before them left out).
        self._documents: OrderedDict[tuple[str, int], tuple[Any, list[KeptPage]]] = OrderedDict()
        self._lengths: dict[str, int] = {}  # pages of each shared part, whatever comes before it
        # A first layout of a new shared part has to guess the patient's pages; the last report's is the best guess.
        self._last_pages_before = 4
        # One report at a time per process: writing a PDF annotates the boxes of the pages it writes (links,
        # table cells), so two threads writing the same kept pages would mix their annotations, and one
        # FontConfiguration is shared by every layout. A render child renders one report at a time anyway;
        # only RENDER_PROCESSES=0 (rendering in the calling process) is serialised by it.
        self.lock = threading.Lock()
        self._font_config: Any = None
        self._stylesheet: Any = None
        self.hits = self.misses = 0

    def font_config(self) -> Any:
        """One FontConfiguration for every document: the parts' fonts are then the same fonts in the PDF."""
        from weasyprint.text.fonts import FontConfiguration

        if self._font_config is None:
            self._font_config = FontConfiguration()
        return self._font_config

    def stylesheet(self) -> Any:
        """report.css parsed once, its fonts registered in `font_config` (parsing it was ~4 % of a report)."""
        if self._stylesheet is None:
            from weasyprint import CSS

            from clinicfinder.pdf.fetcher import AssetFetcher

            self._stylesheet = CSS(url=STYLESHEET_URL, url_fetcher=AssetFetcher(), font_config=self.font_config())
        return self._stylesheet

    def length(self, shared_html: str) -> int:
        key = _key(shared_html)
        if key not in self._lengths:
            self.document(shared_html, self._last_pages_before)  # its length is the same after any number
        return self._lengths[key]

    def document(self, shared_html: str, pages_before: int) -> tuple[Any, list[KeptPage]]:
        """The shared part laid out after `pages_before` blank pages, and its own pages (kept; laid out once)."""
        key = (_key(shared_html), pages_before)
        self._last_pages_before = pages_before
        kept = self._documents.get(key)
        if kept is not None:
            self._documents.move_to_end(key)
            self.hits += 1
            return kept
        self.misses += 1
        document = _layout(shared_html.replace(PAGES_BEFORE, BLANK_BEFORE * pages_before), self)
        self._lengths[key[0]] = len(document.pages) - pages_before
        kept = self._documents[key] = document, [KeptPage(page) for page in document.pages[pages_before:]]
        self._unsettled = True
        while len(self._documents) > self.keep:
            self._documents.popitem(last=False)
            self._evicted = True
        return kept

    def settle(self) -> None:
        """With `freeze`, after a report that laid out a shared part: the kept documents frozen, nothing else.

        Called once the report's own document is gone, so that only the kept ones are frozen.
        """
        if not (self.freeze and self._unsettled):
            return
        if self._evicted:
            gc.unfreeze()  # a frozen object is never collected: the evicted document's cycles would stay
        gc.collect()  # what is already garbage is not frozen with the kept documents
        gc.freeze()
        self._unsettled = self._evicted = False


shared_pages = SharedPages()


def render_report_here(parts: ReportParts, cache: SharedPages = shared_pages) -> bytes:
    """The tagged PDF/UA-1 report from its two parts, as `renderer.render_pdf_here` makes it in one piece."""
    tune_pydyf()
    with cache.lock:
        pdf = _combined(parts, cache)
        cache.settle()
    return pdf


# Regular, bold and italic text laid out with the report's stylesheet: what a render child loads once.
WARM_UP_HTML = (f'<html lang="en"><head>{STYLESHEET_LINK}<title>ClinicFinder</title></head>'
                "<body><p>ClinicFinder <strong>report</strong> <em>warm-up</em></p></body></html>")  # fmt: skip


def warm_up_here(cache: SharedPages = shared_pages) -> None:
    """In a render child just started (renderer.warm_up): WeasyPrint imported, the fonts and the stylesheet
    loaded, before the first report needs them."""
    tune_pydyf()
    with cache.lock:
        _layout(WARM_UP_HTML, cache).write_pdf(BytesIO(), pdf_variant="pdf/ua-1")


def _combined(parts: ReportParts, cache: SharedPages) -> bytes:
    shared_length = cache.length(parts.shared)
    patient = _layout(parts.patient.replace(PAGES_AFTER, BLANK_AFTER * shared_length), cache)
    patient_length = len(patient.pages) - shared_length
    _, shared = cache.document(parts.shared, patient_length)
    pages = patient.pages[:patient_length] + shared
    output = BytesIO()
    patient.copy(pages).write_pdf(output, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    return output.getvalue()


def _layout(html: str, cache: SharedPages) -> Any:
    from weasyprint import HTML

    from clinicfinder.pdf.fetcher import AssetFetcher

    if STYLESHEET_LINK not in html:
        raise ValueError("a report part without the report's stylesheet link")
    html = html.replace(STYLESHEET_LINK, "", 1)
    return HTML(string=html, url_fetcher=AssetFetcher()).render(
        font_config=cache.font_config(), stylesheets=[cache.stylesheet()], pdf_variant="pdf/ua-1"
    )


def _key(shared_html: str) -> str:
    return hashlib.sha256(shared_html.encode()).hexdigest()
