"""The Fertility Report as a file: what a patient reads in it, and what it must never contain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from clinicfinder.core.report import builder
from clinicfinder.db.models import Clinic
from clinicfinder.extensions import db
from clinicfinder.pdf import renderer
from clinicfinder.pdf.fetcher import AssetFetcher, RefusedURL
from tests.support.instances import seeded_app
from tests.support.reports import catalog, make_pdf, pdf_text, snapshot


@pytest.fixture(scope="module")
def app(seeded_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with seeded_app(seeded_database, tmp_path_factory.mktemp("report-pdf")) as app:
        yield app


@pytest.fixture(scope="module")
def tese_report(app: Flask) -> tuple[builder.Report, bytes]:
    return make_pdf(app, snapshot("micro_tese"))


def test_the_report_lists_the_clinics_that_fit_best_first(tese_report: tuple[builder.Report, bytes]) -> None:
    report, pdf = tese_report
    text = pdf_text(pdf)
    names = [result.clinic.name for result in report.outcome.results]
    assert len(names) == 10
    for name in names:
        assert name in text
    # The comparison table lists them in the chosen order (nearest first by default): each name is found
    # after the one before it (a plain first-occurrence search would trip on names that contain others).
    table = text[text.index("in the order you chose") : text.index("Cost against your budget")]
    position = 0
    for name in names:
        position = table.index(name, position) + len(name)
    distances = [result.distance_km for result in report.outcome.results]
    assert distances == sorted(distances)


def test_the_cover_repeats_the_patients_choices_and_the_date(tese_report: tuple[builder.Report, bytes]) -> None:
    text = pdf_text(tese_report[1])
    for expected in ("Your Fertility Report", "Chicago, Illinois, United States", "within 99 mi", "Micro-TESE",
                     "Non-obstructive azoospermia", "up to $15,000", "Nov 25, 2026", "Not medical advice"):  # fmt: skip
        assert expected in text


def test_a_surgical_sperm_retrieval_report_has_the_tips_for_it(tese_report: tuple[builder.Report, bytes]) -> None:
    text = pdf_text(tese_report[1])
    what_to_bring = ("semen analysis reports", "FSH, LH and testosterone", "Your karyotype",
                     "Your Y-chromosome microdeletion test result")  # fmt: skip
    what_to_ask = ("Who will perform the sperm retrieval or micro-TESE", "how many of these operations",
                   "frozen before my partner starts ovarian stimulation", "can donor sperm be arranged in advance")  # fmt: skip
    for tip in what_to_bring + what_to_ask:
        assert tip in text, tip
    assert "AUA" in text or "American Urological Association" in text  # a reference backs them


@pytest.mark.parametrize(
    ("treatment", "present", "absent"),
    [
        ("ivf", "AMH", "Your Y-chromosome microdeletion test result"),
        ("donor_sperm", "donor", "Your Y-chromosome microdeletion test result"),
        ("fertility_preservation", "storage", "Your Y-chromosome microdeletion test result"),
    ],
)
def test_each_treatment_gets_its_own_first_visit_tips(app: Flask, treatment: str, present: str, absent: str) -> None:
    text = pdf_text(make_pdf(app, snapshot(treatment, budget=None))[1])
    assert present in text
    assert absent not in text


def test_the_spanish_report_is_in_spanish_with_spanish_numbers(app: Flask) -> None:
    answers = snapshot("ivf", place_label="Chicago, Illinois, Estados Unidos", unit="km", currency="EUR")
    _, pdf = make_pdf(app, answers, "es")
    text = pdf_text(pdf)
    assert "Su informe de fertilidad" in text
    assert "Su primera visita" in text
    assert "hasta 15.000" in text
    assert "25 nov 2026" in text
    reader = PdfReader(BytesIO(pdf))
    assert catalog(reader)["/Lang"] == "es"
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=0.5)  # A4 in Spain


def test_the_file_is_tagged_titled_bookmarked_and_embeds_its_fonts(tese_report: tuple[builder.Report, bytes]) -> None:
    reader = PdfReader(BytesIO(tese_report[1]))
    root = catalog(reader)
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata is not None and reader.metadata.title == "Your Fertility Report — ClinicFinder"
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()  # claims PDF/UA-1
    top_level = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top_level[:1] == ["Your Fertility Report"]
    bookmarks = str(reader.outline)
    for chapter in ("The clinics that fit", "The clinics one by one", "Your first visit", "Words you may hear",
                    "How we chose these clinics", "References"):  # fmt: skip
        assert chapter in bookmarks
    for page in reader.pages:
        resources: Any = page["/Resources"]
        for font in resources["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"], font.get_object()["/BaseFont"]


def test_page_numbers_and_clickable_links(tese_report: tuple[builder.Report, bytes]) -> None:
    reader = PdfReader(BytesIO(tese_report[1]))
    pages = len(reader.pages)
    assert f"1 / {pages}" in reader.pages[0].extract_text()
    assert f"{pages} / {pages}" in reader.pages[-1].extract_text()
    uris, internal = [], 0
    for page in reader.pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                uris.append(str(action["/URI"]))
            elif annotation.get_object().get("/Dest") is not None or (action and action.get("/S") == "/GoTo"):
                internal += 1
    assert any(uri.startswith("tel:") for uri in uris)
    assert any(uri.startswith("https://") for uri in uris)  # the references
    assert internal >= 6  # the contents and the comparison table jump into the report


def test_a_fact_with_several_sources_numbers_them_in_ascending_order(tese_report: tuple[builder.Report, bytes]) -> None:
    # "Enough experience" rests on three years of CDC data: the reader looks its notes up in the list below,
    # so one superscript reads "1,2,3", never in the order the years were cited ("2,3,1").
    groups = re.findall(r"2020.2022\.(\d+(?:,\d+)+)", pdf_text(tese_report[1]))
    assert groups, "no fact with several sources found"
    for group in groups:
        numbers = [int(n) for n in group.split(",")]
        assert numbers == sorted(numbers), group


def test_a_ten_clinic_report_stays_under_300_kb(tese_report: tuple[builder.Report, bytes]) -> None:
    report, pdf = tese_report
    assert len(report.outcome.results) == 10
    assert len(pdf) <= 300 * 1024


def test_the_attachment_name_says_nothing_about_health(tese_report: tuple[builder.Report, bytes]) -> None:
    assert builder.file_name(tese_report[0]) == "clinicfinder-report-2026-11-25.pdf"


HOSTILE_DESCRIPTION = (
    '<img src="file:///etc/passwd"> <link rel="attachment" href="file:///etc/passwd">'
    '<style>body { background: url("file:///etc/hostname") }</style>'
    '<div style="background-image: url(file:///etc/passwd)">x</div> <a href="javascript:alert(1)">y</a>'
)


def embedded_files_and_images(pdf: bytes) -> tuple[bool, int]:
    reader = PdfReader(BytesIO(pdf))
    names = catalog(reader).get("/Names", {})
    images = sum(len(page.images) for page in reader.pages)
    return "/EmbeddedFiles" in names, images


@contextmanager
def description(app: Flask, text: str) -> Iterator[None]:
    """The nearest clinic to Chicago describes itself with `text` for the length of the block."""

    def set_description(value: str | None) -> None:
        with app.app_context():
            clinic = db.session.get(Clinic, "us-cdc-1")
            assert clinic is not None
            clinic.description = value
            db.session.commit()

    set_description(text)
    try:
        yield
    finally:
        set_description(None)


def test_a_hostile_clinic_description_is_printed_as_text_and_loads_nothing(app: Flask) -> None:
    with description(app, HOSTILE_DESCRIPTION):
        report, pdf = make_pdf(app, snapshot("ivf"))
    assert "us-cdc-1" in [result.clinic.id for result in report.outcome.results]
    text = pdf_text(pdf)
    assert '<img src="file:///etc/passwd">' in text  # shown as the clinic wrote it, harmlessly
    assert "root:x:0:0" not in text
    assert embedded_files_and_images(pdf) == (False, 0)
    assert link_schemes(pdf) <= {"https", "http", "tel", "mailto"}  # the javascript: link is text, not a link


def link_schemes(pdf: bytes) -> set[str]:
    schemes = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        for annotation in page.get("/Annots", []):
            action = annotation.get_object().get("/A")
            if action is not None and action.get("/S") == "/URI":
                schemes.add(str(action["/URI"]).split(":", 1)[0])
    return schemes


def test_the_renderer_itself_loads_nothing_but_bundled_assets_even_from_raw_html() -> None:
    """Defence in depth: were escaping ever lost, markup still can't reach the disk or the network."""
    hostile = f"""<html lang="en"><head><title>t</title><link rel="stylesheet" href="file:///etc/passwd">
      <link rel="attachment" href="file:///etc/passwd" title="passwd"></head>
      <body><p>Hello</p>{HOSTILE_DESCRIPTION}<img src="http://127.0.0.1:9/x.png"><img src="asset:../builder.py">
      <a rel="attachment" href="file:///etc/hostname">z</a><object data="file:///etc/passwd"></object></body></html>"""
    pdf = renderer.render_pdf(hostile)
    assert embedded_files_and_images(pdf) == (False, 0)
    text = pdf_text(pdf)
    assert "root:" not in text
    assert "Hello" in text


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/font.ttf",
        "data:text/css,body{}",
        "asset:../fetcher.py",
        "asset:fonts/../../builder.py",
        "asset:/etc/passwd",
        "asset:%2e%2e/builder.py",
        "asset:fonts/",
        "asset:",
    ],
)
def test_the_fetcher_refuses_everything_but_a_bundled_file(url: str) -> None:
    fetcher = AssetFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == 1


def test_the_fetcher_serves_the_bundled_font() -> None:
    response = AssetFetcher().fetch("asset:fonts/LiberationSans-Regular.ttf")
    assert response.read(4) == b"\x00\x01\x00\x00"  # a TrueType font


def test_a_markdown_description_is_shown_formatted_and_sanitised(app: Flask) -> None:
    with description(app, "We offer **micro-TESE** on site. [Our prices](https://clinic.example/prices)"):
        _, pdf = make_pdf(app, snapshot("ivf"))
    text = pdf_text(pdf)
    assert "We offer micro-TESE on site. Our prices" in text
    assert "**" not in text
    uris = {
        str(annotation.get_object()["/A"]["/URI"])
        for page in PdfReader(BytesIO(pdf)).pages
        for annotation in page.get("/Annots", [])
        if annotation.get_object().get("/A") is not None and annotation.get_object()["/A"].get("/S") == "/URI"
    }
    assert "https://clinic.example/prices" in uris


def test_render_children_do_not_outlive_a_killed_parent(tmp_path: Path) -> None:
    """A web or worker process stopped without shutting its pool down leaves no render process behind."""
    import os
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(
        "import multiprocessing, os\n"
        "from clinicfinder.pdf.renderer import Renderer\n"
        "if __name__ == '__main__':\n"
        "    renderer = Renderer(processes=1, tasks_per_child=10)\n"
        "    renderer.render('<html lang=\"en\"><title>t</title><p>hi</p></html>')\n"
        "    print(*[child.pid for child in multiprocessing.active_children()], flush=True)\n"
        "    os._exit(0)  # as abrupt as SIGKILL: no atexit, no pool shutdown\n"
    )
    from tests.support.paths import PROJECT_ROOT

    result = subprocess.run([sys.executable, str(script)], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, check=True)  # fmt: skip
    children = [int(pid) for pid in result.stdout.split()]
    assert children, result.stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
        time.sleep(0.2)
    assert not [pid for pid in children if Path(f"/proc/{pid}/status").exists() and "zombie" not in
                Path(f"/proc/{pid}/status").read_text()]  # fmt: skip


def test_a_render_child_leaves_ctrl_c_to_its_parent() -> None:
    """Ctrl-C in the terminal of `make run` reaches every process of the group: a render child must
    neither die with a traceback nor break the pool; the parent stops it."""
    import multiprocessing
    import os
    import signal
    import time

    pool = renderer.Renderer(processes=1, tasks_per_child=10)
    page = '<html lang="en"><title>t</title><p>hi</p></html>'
    try:
        before = set(multiprocessing.active_children())
        pool.render(page)
        children = [child for child in multiprocessing.active_children() if child not in before]
        assert children
        for child in children:
            os.kill(child.pid, signal.SIGINT)  # type: ignore[arg-type]
        time.sleep(1)
        assert all(child.is_alive() for child in children)
        assert pool.render(page).startswith(b"%PDF")
    finally:
        pool.shutdown()


def test_warming_up_starts_each_render_child_with_weasyprint_and_the_fonts_loaded() -> None:
    """`flask worker` warms its renderer up as it starts: its children exist with Pango and the report's
    font mapped before the first report, which then renders as usual."""
    import multiprocessing

    def mapped(pid: int | None) -> str:
        return Path(f"/proc/{pid}/maps").read_text()

    pool = renderer.Renderer(processes=2, tasks_per_child=10)
    try:
        before = set(multiprocessing.active_children())
        pool.warm_up()
        children = [child for child in multiprocessing.active_children() if child not in before]
        assert len(children) == 2
        warmed = [child for child in children if "libpango" in mapped(child.pid)]
        assert warmed  # at least one child took a warm-up task (both, unless one child read both)
        for child in warmed:  # the report's three faces (regular, bold, italic), as WeasyPrint keeps them
            fonts = {line.split()[-1] for line in mapped(child.pid).splitlines() if "/weasyprint-" in line}
            assert len(fonts) == 3
        assert pool.render('<html lang="en"><title>t</title><p>hi</p></html>').startswith(b"%PDF")
    finally:
        pool.shutdown()


def test_a_fresh_render_child_loads_nothing_before_its_first_task() -> None:
    """What the warm-up saves: without it a child starts with neither Pango nor the fonts."""
    import multiprocessing

    pool = renderer.Renderer(processes=1, tasks_per_child=10)
    try:
        before = set(multiprocessing.active_children())
        pool._current_pool().submit(int).result()  # a child started with a task that loads nothing
        children = [child for child in multiprocessing.active_children() if child not in before]
        assert children
        for child in children:
            maps = Path(f"/proc/{child.pid}/maps").read_text()
            assert "libpango" not in maps
            assert "/weasyprint-" not in maps  # none of the report's font faces
    finally:
        pool.shutdown()


def test_the_tuned_pydyf_writes_the_same_pdf_but_for_its_compression(monkeypatch: pytest.MonkeyPatch) -> None:
    """pdf/writing.py: page references made once a page and streams at zlib level 6 change nothing a
    reader sees: uncompressed, the file is pydyf's own byte for byte; compressed, it reads the same."""
    import pydyf  # type: ignore[import-untyped]
    from weasyprint import HTML

    from clinicfinder.pdf import writing

    page = ('<html lang="en"><title>t</title><h1 id="a">One</h1><p style="break-after: page">'
            '<a href="#b">to two</a></p><h1 id="b">Two</h1></html>')  # fmt: skip

    def write(uncompressed: bool) -> bytes:
        pdf: bytes = HTML(string=page).write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=uncompressed)
        return pdf

    # pydyf as it comes, whatever an earlier test of this process installed; put back after the test.
    stream_data, page_references = writing.UNTUNED or (pydyf.Stream.data, pydyf.PDF.page_references)
    monkeypatch.setattr(pydyf.Stream, "data", stream_data)
    monkeypatch.setattr(pydyf.PDF, "page_references", page_references)
    plain_uncompressed, plain = write(True), write(False)
    writing.tune_pydyf()
    assert pydyf.PDF.page_references.fget is writing._page_references
    tuned_uncompressed, tuned = write(True), write(False)

    assert tuned_uncompressed == plain_uncompressed
    assert tuned != plain  # compressed differently
    assert [page.extract_text() for page in PdfReader(BytesIO(tuned)).pages] == [
        page.extract_text() for page in PdfReader(BytesIO(plain)).pages
    ]
