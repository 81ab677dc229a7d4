"""Two changes to how pydyf writes the report's PDF, the same file but for the compression level.

1. Streams are compressed at zlib level 6, where pydyf writes every stream at 9. Measured on the standard
   report (23 streams a report, 350 KB before compression): level 9 took ~19 ms of CPU a report, 12 ms of
   it on the object stream that holds the PDF/UA tags (184 KB → 33 KB); level 6 takes a third of that
   for ~2 KB more file (33 → 35 KB for that stream, ~92 KB in all). The code is pydyf's `Stream.data`
   but for the level (zlib.compress and a compressobj with its defaults deflate alike).
2. `PDF.page_references`, a tuple of every page's reference, is built once a page is added, not again
   each time it is read: WeasyPrint reads it for every structure element of the tags and every link,
   ~1,760 times a standard report (~10 % of writing it, under cProfile).

pydyf has no setting for either, so both are replaced, once a process, and only with the pydyf they
were written against (pdf/internals.py); with any other, pydyf writes as it does.
"""

from __future__ import annotations

import zlib
from typing import Any

LEVEL = 6
# pydyf's own properties, kept when they are replaced (tests compare the two).
UNTUNED: tuple[Any, Any] | None = None


def _data(stream: Any) -> bytes:
    from pydyf import Dictionary, _to_bytes  # type: ignore[import-untyped]

    content = b"\n".join(_to_bytes(item) for item in stream.stream)
    extra = Dictionary(stream.extra.copy())
    if stream.compress:
        extra["Filter"] = "/FlateDecode"
        content = zlib.compress(content, LEVEL)
    extra["Length"] = len(content)
    return b"\n".join((extra.data, b"stream", content, b"endstream"))


def _page_references(pdf: Any) -> tuple[bytes, ...]:
    kids = pdf.pages["Kids"]  # three items a page (number, 0, "R"); only add_page extends it
    known = pdf.__dict__.get("_page_references_made")
    if known is None or known[0] != len(kids):
        known = pdf.__dict__["_page_references_made"] = (
            len(kids),
            tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]),
        )
    references: tuple[bytes, ...] = known[1]
    return references


def tune_pydyf() -> None:
    """Both changes, from now on, in this process (only the reports write PDFs)."""
    import pydyf

    from clinicfinder.pdf import internals

    global UNTUNED
    if pydyf.Stream.data.fget is not _data and internals.known():
        UNTUNED = UNTUNED or (pydyf.Stream.data, pydyf.PDF.page_references)
        pydyf.Stream.data = property(_data)
        pydyf.PDF.page_references = property(_page_references)
