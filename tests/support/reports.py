"""A Fertility Report made from a snapshot of answers, as the worker makes it, and its text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from flask import Flask
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from clinicfinder.core.report import builder
from clinicfinder.pdf import renderer
from clinicfinder.services import delivery

CHICAGO = {"latitude": 41.8781, "longitude": -87.6298}


def snapshot(treatment: str = "micro_tese", **changes: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "place": dict(CHICAGO),
        "place_label": "Chicago, Illinois, United States",
        "radius_km": 160.0,
        "unit": "mi",
        "treatment": treatment,
        "diagnosis": "non_obstructive_azoospermia" if treatment in ("tese", "micro_tese") else None,
        "situation": "couple",
        "budget": "15000",
        "currency": "USD",
        "include_unpriced": True,
    }
    return {**answers, **changes}


def make_pdf(app: Flask, answers: dict[str, Any], language: str = "en") -> tuple[builder.Report, bytes]:
    with app.app_context():
        report = delivery.report_from_snapshot(answers, language, datetime(2026, 11, 25, tzinfo=UTC))
        return report, renderer.make_report_pdf(report)


def catalog(reader: PdfReader) -> Any:
    """The document catalog, untyped: pypdf types every dictionary value as a bare PdfObject."""
    return reader.trailer["/Root"]


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    # Words only: line breaks and hyphenation differ between renderers.
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def structure_elements(pdf: bytes) -> list[tuple[str, str | None]]:
    """The tagged PDF's structure elements in reading order: each one's type and its /Alt text, if any."""
    found: list[tuple[str, str | None]] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, ArrayObject):
            for kid in node:
                walk(kid)
        elif isinstance(node, DictionaryObject):
            if "/S" in node:
                alt = node.get("/Alt")
                found.append((str(node["/S"]), None if alt is None else str(alt)))
            if "/K" in node:
                walk(node["/K"])

    walk(catalog(PdfReader(BytesIO(pdf)))["/StructTreeRoot"])
    return found
