"""Adapters around WeasyPrint: the PDF renderer and the fetcher that lets it load only bundled assets."""
