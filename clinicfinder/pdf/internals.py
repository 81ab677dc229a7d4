"""The WeasyPrint and pydyf whose internals the report's renderer reaches into.

pdf/painted.py replays a kept page's drawing and pdf/writing.py tunes how pydyf writes, both through
internals no release promises to keep. requirements.txt pins these versions, and
tests/worker/test_report_cache.py checks the files byte for byte. With any other version, both step
aside: every page is painted and written as WeasyPrint and pydyf do it. That is slower, never wrong.
"""

from __future__ import annotations

import functools
from importlib.metadata import version

WRITTEN_AGAINST = {"weasyprint": "70.0", "pydyf": "0.13.0"}


def known() -> bool:
    """Whether the installed WeasyPrint and pydyf are the ones WRITTEN_AGAINST."""
    return all(_installed(package) == wanted for package, wanted in WRITTEN_AGAINST.items())


@functools.cache
def _installed(package: str) -> str:
    return version(package)  # reads the package's metadata from disk: once a process, not once a kept page
