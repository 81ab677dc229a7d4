"""In the PDF, an estimate is labelled as its source says and never badged like a published price."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.instances import seeded_app
from tests.support.reports import make_pdf, pdf_text, snapshot


@pytest.fixture(scope="module")
def app(seeded_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with seeded_app(seeded_database, tmp_path_factory.mktemp("report-money")) as app:
        yield app


def test_an_ivf_estimate_in_the_report_is_badged_as_an_estimate_and_says_it_covers_one_cycle(app: Flask) -> None:
    report, pdf = make_pdf(app, snapshot("ivf", budget="25000.99"))
    assert all(r.price.kind.value == "estimate" for r in report.outcome.results)  # the seeded directory has no prices
    text = pdf_text(pdf)
    assert "Estimate within your budget" in text
    assert "Within your budget" not in text
    assert "average cost of one IVF cycle (egg collection and embryo transfer)" in text
    assert "for one cycle" in text
    assert "with medication" not in text
    assert "up to $25,000.99" in text and "$25,001" not in text


def test_donor_sperm_in_the_report_has_an_iui_line_and_an_ivf_line_without_an_estimate(app: Flask) -> None:
    _, pdf = make_pdf(app, snapshot("donor_sperm"))
    text = pdf_text(pdf)
    assert "Donor sperm with IUI:" in text
    assert "Donor sperm with IVF: no reliable estimate" in text
    assert "a vial of donor sperm" not in text
