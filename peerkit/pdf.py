"""HTML → PDF through WeasyPrint (a pip install, no browser); imported only when PDF is asked for."""

from __future__ import annotations

from pathlib import Path

PAPERS = {"a4": "A4", "letter": "Letter"}


def paper_size(paper: str) -> str:
    """The CSS page size for a paper name (`a4`, `letter`, any case)."""
    return PAPERS.get(paper.lower(), paper)


def html_to_pdf(html: str, base_url: Path | None, paper: str = "A4") -> bytes:
    """Render an HTML document to PDF bytes on `paper`; relative URLs resolve against `base_url`."""
    import logging

    import weasyprint

    # WeasyPrint logs every unsupported CSS property at WARNING; those are not the user's problem.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    page = weasyprint.CSS(string=f"@page {{ size: {paper_size(paper)}; }}")
    document = weasyprint.HTML(string=html, base_url=str(base_url) if base_url else None)
    # A fixed creation/modification date keeps the bytes reproducible.
    data: bytes = document.write_pdf(
        stylesheets=[page], pdf_identifier=b"peerkit", uncompressed_pdf=False
    )
    return data
