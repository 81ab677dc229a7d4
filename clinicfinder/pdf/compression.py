"""The zlib level of the report's PDF streams: 6, where pydyf writes every stream at 9.

Measured on the standard report (23 streams a report, 350 KB before compression): level 9 took ~19 ms
of CPU a report, 12 ms of it on the object stream that holds the PDF/UA tags (184 KB → 33 KB); level 6
takes a third of that for ~2 KB more file (33 → 35 KB for that stream, ~90 KB in all). pydyf has no
setting for it, so `Stream.data` is replaced, once a process, by the same code at level 6: the same
bytes as pydyf's but for the level (zlib.compress and a compressobj with its defaults deflate alike).
"""

from __future__ import annotations

import zlib
from typing import Any

LEVEL = 6


def _data(stream: Any) -> bytes:
    from pydyf import Dictionary, _to_bytes  # type: ignore[import-untyped]

    content = b"\n".join(_to_bytes(item) for item in stream.stream)
    extra = Dictionary(stream.extra.copy())
    if stream.compress:
        extra["Filter"] = "/FlateDecode"
        content = zlib.compress(content, LEVEL)
    extra["Length"] = len(content)
    return b"\n".join((extra.data, b"stream", content, b"endstream"))


def use_level() -> None:
    """pydyf's streams compressed at LEVEL from now on, in this process (only the reports write PDFs).

    Only with the pydyf `_data` was written against (pdf/painted.py's REPLAYS_WITH, pinned in
    requirements.txt); with any other, pydyf writes as it does.
    """
    import pydyf

    from clinicfinder.pdf.painted import replay_supported

    if pydyf.Stream.data.fget is not _data and replay_supported():
        pydyf.Stream.data = property(_data)
