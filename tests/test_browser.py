"""The HTML pages people open, in a real browser: the report, a handout, a survey form, the
tally and a sign-in sheet, in headless Chromium (Debian's, driven by Playwright: no browser
download) at a phone's width and a desktop's. No page scrolls sideways, every chart shows
with a title and labelled axes, and axe-core finds no serious or critical violation.

Locally the tests skip, saying why, when Chromium, Playwright or axe-core is missing; in CI
(CI=true, where .ci/run installs them) they fail instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLE, run

WIDTHS = (390, 1280)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE_DIR = Path(os.environ.get("PEERKIT_AXE_DIR", Path.home() / ".cache" / "peerkit-axe"))
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
IN_CI = os.environ.get("CI") == "true"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name) or (
            f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
        )
        if found:
            return found
    return None


def _missing() -> str:
    """What the browser tests need and this machine lacks ("" when nothing)."""
    lacking = []
    if chromium() is None:
        lacking.append("chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        lacking.append("playwright (the test extra: make .venv/bin/peerkit)")
    if not AXE.is_file():
        lacking.append(
            f"axe-core at {AXE} (npm install --prefix {AXE_DIR} axe-core, as .ci/run does)"
        )
    return ", ".join(lacking)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true and the browser tests cannot run: missing {missing}")
        pytest.skip(f"missing {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(
            executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample program's HTML outputs, made by the real commands."""
    root = tmp_path_factory.mktemp("browser") / "sample"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("out"))
    for args in (
        ("build", "--now", "2027-04-01"),
        ("agenda", "--session", "4", "--as", "html"),
        ("attendance", "sheet", "--session", "4"),
    ):
        if args[0] == "attendance":
            result = run(args[0], args[1], root, *args[2:])
        else:
            result = run(args[0], root, *args[1:])
        assert result.exit_code == 0, result.output
    out = root / "out"
    found = {
        "report": out / "report/report.html",
        "tally": out / "tally/tally.html",
        "handout": out / "agenda/session-04/match-01.html",
        "handouts": out / "agenda/session-04/all.html",
        "survey": out / "surveys/checkin.html",
        "anonymous survey": out / "surveys/final.html",
        "sign-in sheet": out / "attendance/session-04-signin.html",
    }
    for name, path in found.items():
        assert path.is_file(), f"{name}: no {path}"
    return found


def _open(browser: Any, path: Path, width: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


PAGE_NAMES = (
    "report",
    "tally",
    "handout",
    "handouts",
    "survey",
    "anonymous survey",
    "sign-in sheet",
)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_no_page_scrolls_sideways(
    browser: Any, pages: dict[str, Path], name: str, width: int
) -> None:
    page = _open(browser, pages[name], width)
    try:
        sizes = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert sizes[0] <= sizes[1], f"{name} at {width} px is {sizes[0]} px wide"
        # and no single element pokes out of the page (a scroll box may hold a wide table)
        poking = page.evaluate(
            """() => [...document.querySelectorAll('body *')].filter(e => {
                 const r = e.getBoundingClientRect();
                 if (r.width === 0 || getComputedStyle(e).visibility === 'hidden') return false;
                 for (let p = e.parentElement; p; p = p.parentElement) {
                   const o = getComputedStyle(p).overflowX;
                   if (o === 'auto' || o === 'scroll' || o === 'hidden') return false;
                 }
                 return r.right > document.documentElement.clientWidth + 1 || r.left < -1;
               }).slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').slice(0, 60))"""
        )
        assert not poking, f"{name} at {width} px: {poking}"
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_shows_with_a_title_and_labelled_axes(
    browser: Any, pages: dict[str, Path], width: int
) -> None:
    page = _open(browser, pages["report"], width)
    try:
        charts = page.evaluate(
            """() => [...document.querySelectorAll('svg.chart')].map(svg => {
                 const r = svg.getBoundingClientRect();
                 const text = (suffix) => {
                   const g = svg.querySelector('[id="' + svg.id + '-' + suffix + '"]');
                   return g ? g.textContent.trim() || [...g.querySelectorAll('text')].map(t => t.textContent).join(' ').trim() : null;
                 };
                 return {id: svg.id, width: r.width, height: r.height, left: r.left, right: r.right,
                         role: svg.getAttribute('role'), label: svg.getAttribute('aria-label'),
                         title: text('title'), x: text('xlabel'), y: text('ylabel'),
                         shown: getComputedStyle(svg).visibility !== 'hidden' && getComputedStyle(svg).display !== 'none'};
               })"""
        )
        ids = [c["id"] for c in charts]
        assert {"chart-attendance", "chart-checkin-likert", "chart-checkin-trend"} <= set(ids)
        for chart in charts:
            where = f"{chart['id']} at {width} px"
            assert chart["shown"], where
            assert chart["width"] > 200, f"{where}: {chart['width']} px wide"
            assert chart["height"] > 50, where
            assert chart["left"] >= 0, where
            assert chart["right"] <= width, where
            assert chart["role"] == "img", where
            assert chart["label"], f"{where}: no text alternative"
            assert chart["title"], f"{where}: no title"
            assert chart["x"], f"{where}: no x-axis label"
            assert chart["y"], f"{where}: no y-axis label"
        trend = next(c for c in charts if c["id"] == "chart-checkin-trend")
        assert trend["title"] == "Mean score by session"
        assert (trend["x"], trend["y"]) == ("session", "mean score (1–5)")
    finally:
        page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGE_NAMES)
def test_axe_finds_nothing_serious(
    browser: Any, pages: dict[str, Path], name: str, width: int
) -> None:
    page = _open(browser, pages[name], width)
    try:
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(
                n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                for n in v["nodes"][:3]
            )
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"{name} at {width} px:\n" + "\n".join(bad)
        assert page.evaluate("() => document.documentElement.lang") == "en"
    finally:
        page.close()
