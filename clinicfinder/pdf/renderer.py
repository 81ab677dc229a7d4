"""HTML → a tagged PDF/UA-1 file with WeasyPrint, in child processes that come and go."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from io import BytesIO
from typing import Any

from clinicfinder.core.report.builder import Report, ReportParts, render_html, render_parts


def render_pdf_here(html: str) -> bytes:
    """A tagged PDF/UA-1 file, made in this process; the HTML may load nothing but the bundled assets."""
    # Imported here, not at the top: WeasyPrint (with its font and Pango bindings) took ~0.5 s of every web
    # process's start-up, and only the render children and the PDF download use it.
    from weasyprint import HTML

    from clinicfinder.pdf.fetcher import AssetFetcher
    from clinicfinder.pdf.writing import tune_pydyf

    tune_pydyf()
    output = BytesIO()
    HTML(string=html, url_fetcher=AssetFetcher()).write_pdf(output, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
    return output.getvalue()


class Renderer:
    """Makes PDFs in child processes that are replaced every `tasks_per_child` reports.

    WeasyPrint's and Pango's caches grow with the documents laid out (~0.016 MB a report over 500
    standard reports; more where the text varies more), so a long-lived worker would grow without end;
    children that come and go keep it bounded. The
    children also let a worker's threads use every core: layout is CPU-bound Python.
    `processes=0` renders in the calling process.
    """

    def __init__(self, processes: int = 2, tasks_per_child: int = 500) -> None:
        self.processes, self.tasks_per_child = processes, tasks_per_child
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def configure(self, processes: int, tasks_per_child: int) -> None:
        if (processes, tasks_per_child) != (self.processes, self.tasks_per_child):
            self.shutdown()
            self.processes, self.tasks_per_child = processes, tasks_per_child

    def configure_from(self, config: Mapping[str, Any]) -> Renderer:
        """Configured with an app's RENDER_PROCESSES and RENDER_TASKS_PER_CHILD (its config)."""
        self.configure(config["RENDER_PROCESSES"], config["RENDER_TASKS_PER_CHILD"])
        return self

    def render(self, html: str) -> bytes:
        return self._run(render_pdf_here, html)

    def warm_up(self) -> None:
        """Start the children now, each loading WeasyPrint, Pango and the report's fonts and stylesheet
        (~0.8 s of imports a child, then the fonts' first use), so the first reports after a start wait for none
        of it. Best effort: a child that took no warm-up task loads them with its first report."""
        if self.processes == 0:
            return
        pool = self._current_pool()
        # One task a child: a task submitted while every child is busy starts the next one (spawn).
        try:
            for future in [pool.submit(_warm_up_here) for _ in range(self.processes)]:
                future.result()
        except BrokenProcessPool:
            self._forget(pool)  # as after a report: the first report starts afresh, not on a broken pool
            raise

    def render_report(self, parts: ReportParts) -> bytes:
        return self._run(render_report_here, parts)

    def _run(self, function: Callable[[Any], bytes], argument: Any) -> bytes:
        if self.processes == 0:
            return function(argument)
        pool = self._current_pool()
        try:
            return pool.submit(function, argument).result()
        except BrokenProcessPool:
            # A child died (killed, out of memory): start afresh next time; this job is retried.
            self._forget(pool)
            raise

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None

    def _current_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the parent has threads and open database connections.
                self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                                 max_tasks_per_child=self.tasks_per_child,
                                                 initializer=_end_with_parent, initargs=(os.getpid(),))  # fmt: skip
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _end_with_parent(parent: int) -> None:
    """In a render child: exit when the process that started it is gone (killed, or stopped by SIGTERM
    without shutting its pool down), so no child outlives its web or worker process.

    Ctrl-C in a terminal reaches the whole process group. The parent handles it and shuts its pool
    down; a child that took it too would die mid-wait with a traceback on the console. And the child
    freezes the shared pages it keeps out of the garbage collector's way (report_cache.SharedPages).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from clinicfinder.pdf.report_cache import shared_pages

    shared_pages.freeze = True  # this process lives for RENDER_TASKS_PER_CHILD reports and keeps their pages

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


renderer = Renderer()


def render_pdf(html: str) -> bytes:
    return renderer.render(html)


def _warm_up_here() -> None:
    from clinicfinder.pdf.report_cache import warm_up_here

    warm_up_here()


def render_report_here(parts: ReportParts) -> bytes:
    """In a render child: the report from its parts, the shared one laid out once (pdf/report_cache.py)."""
    from clinicfinder.pdf.report_cache import render_report_here as combined

    return combined(parts)


def make_report_pdf(report: Report) -> bytes:
    parts = render_parts(report)
    if parts is None:  # the guide alone: one part
        return render_pdf(render_html(report))
    return renderer.render_report(parts)
