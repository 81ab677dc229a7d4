"""The only way a report's HTML can load anything: our own bundled assets, by name.

WeasyPrint's default fetcher follows `file:`, `http(s):`, `data:` and redirects, so a clinic
description smuggling `<img src="file:///etc/passwd">`, a CSS `url()` or a
`<link rel="attachment">` could pull a server file into a patient's PDF. Templates refer to
assets as `asset:fonts/…` or `asset:report.css`; every other URL is refused without being
opened, and a refused URL is only counted, never logged (it may come from clinic text).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS_DIR = Path(__file__).resolve().parent / "assets"
SCHEME = "asset:"


class RefusedURL(ValueError):
    """WeasyPrint catches ValueError from a fetcher and leaves the resource out."""


class AssetFetcher(URLFetcher):
    def __init__(self, assets_dir: Path = ASSETS_DIR) -> None:
        # No protocol allowed to the parent either: a call that slipped past fetch() opens nothing.
        super().__init__(allowed_protocols=(), allow_redirects=False)
        self.assets_dir = assets_dir.resolve()
        self.refused = 0

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.resolve(url)
        if path is None:
            self.refused += 1
            raise RefusedURL("only bundled report assets may be loaded")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url=SCHEME + path.relative_to(self.assets_dir).as_posix(), body=path.read_bytes(),
                                  headers={"Content-Type": mime_type})  # fmt: skip

    def resolve(self, url: str) -> Path | None:
        """The bundled file `url` names, or None when it names anything else."""
        if not url.startswith(SCHEME):
            return None
        name = url.removeprefix(SCHEME).lstrip("/")
        if not name or "\\" in name or "%" in name or "?" in name or "#" in name:
            return None
        path = (self.assets_dir / name).resolve()
        if not path.is_relative_to(self.assets_dir) or not path.is_file():
            return None
        return path
