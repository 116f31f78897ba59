"""The book's pages as a browser shows them: ``python -m ardemo.book.pages [HTML_DIR]`` (``make check-pages``).

Each chapter page of the built book is opened in headless Chromium at a laptop's window size (1366 px
wide). A script added to a copy of the page records, once the page has loaded:

* JavaScript errors: uncaught exceptions, rejected promises and ``console.error`` calls;
* requests that leave the machine (a book read offline must not need the internet);
* figures shown smaller than 75 % of the size they were drawn at (their labels shrink with them);
* code and output blocks and tables wider than the page, which scroll sideways;
* Python warnings printed in outputs (``UserWarning: ...``), temporary file paths among them.

A page whose HTML is over ``MAX_PAGE_BYTES`` (2 MB) is reported too. Without a browser the check fails with a
message that says how to install one; it never passes silently.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_BROWSER = "ARDEMO_BROWSER"
WINDOW = (1366, 900)
MIN_FIGURE_SCALE = 0.75  # a 10-point label drawn at 100 dpi stays above 10 px high
MAX_PAGE_BYTES = 2_000_000
OVERFLOW_SLACK = 4  # px: borders and rounding
NOT_CHAPTERS = {"genindex.html", "search.html", "py-modindex.html"}

_PROBE = r"""
<script>
(function () {
  var errors = [];
  window.__ardemoErrors = errors;
  window.addEventListener('error', function (e) { errors.push('uncaught: ' + (e.message || e.type)); });
  window.addEventListener('unhandledrejection', function (e) { errors.push('unhandled rejection: ' + e.reason); });
  var original = console.error;
  console.error = function () {
    errors.push('console.error: ' + Array.prototype.map.call(arguments, String).join(' '));
    return original.apply(console, arguments);
  };
  window.addEventListener('load', function () {
    setTimeout(function () {
      var report = {errors: errors, external: [], figures: [], overflow: [], warnings: []};
      performance.getEntriesByType('resource').forEach(function (entry) {
        if (/^https?:/.test(entry.name)) { report.external.push(entry.name); }
      });
      document.querySelectorAll('link[href^="http"], script[src^="http"]').forEach(function (el) {
        report.external.push(el.href || el.src);
      });
      document.querySelectorAll('.cell_output img, .output img, figure img').forEach(function (img) {
        var shown = img.getBoundingClientRect().width;
        if (img.naturalWidth > 0 && shown > 0) {
          report.figures.push({src: img.getAttribute('src').slice(0, 80), natural: img.naturalWidth, shown: shown});
        }
      });
      document.querySelectorAll('article pre, article table').forEach(function (el) {
        var box = el.closest('.highlight, .output, .cell_output, table') || el;
        var wide = Math.max(el.scrollWidth, el.getBoundingClientRect().width);
        var room = el.tagName === 'TABLE' ? (el.parentElement.clientWidth || wide) : el.clientWidth;
        if (wide > room + OVERFLOW_SLACK) {
          report.overflow.push({text: el.textContent.trim().slice(0, 60), by: Math.round(wide - room)});
        }
      });
      document.querySelectorAll('.cell_output, .output').forEach(function (out) {
        var text = out.textContent;
        var match = text.match(/\b\w*Warning: [^\n]{0,80}/) || text.match(/\/tmp\/[^\s'"]{0,60}/);
        if (match) { report.warnings.push(match[0]); }
      });
      var el = document.createElement('pre');
      el.id = 'ardemo-page-report';
      el.textContent = JSON.stringify(report);
      document.body.appendChild(el);
    }, 500);
  });
})();
</script>
"""


@dataclass
class PageReport:
    """What one page showed: ``problems`` is empty for a page that passes."""

    page: str
    bytes: int
    problems: list[str] = field(default_factory=list)


def find_browser() -> str:
    """The headless browser: ``$ARDEMO_BROWSER`` or the first of ``BROWSERS`` (Chromium or Chrome) on the ``PATH``."""
    chosen = os.environ.get(ENV_BROWSER, "").strip()
    if chosen:
        if shutil.which(chosen) is None:
            raise FileNotFoundError(f"{ENV_BROWSER}={chosen!r}: no such program")
        return chosen
    for name in BROWSERS:
        if shutil.which(name):
            return name
    raise FileNotFoundError(
        "no headless browser found (looked for " + ", ".join(BROWSERS) + "): install Chromium "
        "(Debian/Ubuntu: apt-get install chromium) or set ARDEMO_BROWSER to a Chrome-compatible browser"
    )


def chapter_pages(html_dir: Path) -> list[Path]:
    """The built pages to check: every top-level ``.html`` page but the general index, the search page, the
    module index and pages that only redirect."""
    pages = sorted(
        p
        for p in Path(html_dir).glob("*.html")
        if p.name not in NOT_CHAPTERS and 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")[:2000].lower()
    )
    if not pages:
        raise FileNotFoundError(f"{html_dir}: no built pages (run `make book` first)")
    return pages


def _probe(page: Path, browser: str, timeout: float) -> dict:
    source = page.read_text(encoding="utf-8")
    probe = _PROBE.replace("OVERFLOW_SLACK", str(OVERFLOW_SLACK))
    instrumented = re.sub(r"<head[^>]*>", lambda m: m.group(0) + probe, source, count=1)
    handle, name = tempfile.mkstemp(prefix=".ardemo-check-", suffix=".html", dir=page.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(instrumented)
    try:
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [
                    browser,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--hide-scrollbars",
                    f"--user-data-dir={profile}",
                    f"--window-size={WINDOW[0]},{WINDOW[1]}",
                    "--virtual-time-budget=10000",
                    "--dump-dom",
                    Path(name).resolve().as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
    finally:
        os.unlink(name)
    match = re.search(r'<pre id="ardemo-page-report">(.*?)</pre>', result.stdout, re.S)
    if match is None:
        raise RuntimeError(f"{page.name}: the browser returned no report (exit {result.returncode})")
    return json.loads(html.unescape(match.group(1)))


def check_page(page: Path, browser: str, timeout: float = 120.0) -> PageReport:
    """Open ``page`` in ``browser`` and list what is wrong with it."""
    report = PageReport(page.name, page.stat().st_size)
    seen = _probe(page, browser, timeout)
    report.problems += [f"JavaScript error: {e}" for e in seen["errors"]]
    report.problems += [f"request to the internet: {url}" for url in sorted(set(seen["external"]))]
    for fig in seen["figures"]:
        scale = fig["shown"] / fig["natural"]
        if scale < MIN_FIGURE_SCALE:
            report.problems.append(
                f"figure drawn {fig['natural']} px wide, shown at {fig['shown']:.0f} px ({scale:.0%}): {fig['src']}"
            )
    report.problems += [f"scrolls sideways by {o['by']} px: {o['text']!r}" for o in seen["overflow"]]
    report.problems += [f"warning printed in an output: {w}" for w in seen["warnings"]]
    if report.bytes > MAX_PAGE_BYTES:
        report.problems.append(f"page weighs {report.bytes / 1e6:.1f} MB (at most {MAX_PAGE_BYTES / 1e6:.1f} MB)")
    return report


def main(argv: list[str] | None = None) -> int:
    """Check every chapter page of ``HTML_DIR`` (default ``book/_build/html``) and print what is wrong:
    exit 0 when every page passes, 1 when one does not, 2 without a browser or without built pages."""
    parser = argparse.ArgumentParser(prog="python -m ardemo.book.pages", description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", nargs="?", default="book/_build/html", type=Path)
    parser.add_argument("--page", action="append", help="check only this page (repeatable), e.g. rebar.html")
    args = parser.parse_args(argv)
    try:
        browser = find_browser()
        pages = chapter_pages(args.html_dir)
    except FileNotFoundError as error:
        print(f"check-pages: {error}", file=sys.stderr)
        return 2
    if args.page:
        pages = [p for p in pages if p.name in set(args.page)]
    failed = 0
    for page in pages:
        report = check_page(page, browser)
        status = "ok" if not report.problems else f"{len(report.problems)} problems"
        print(f"{report.page:28s} {report.bytes / 1e6:5.2f} MB  {status}")
        for problem in report.problems:
            print(f"    {problem}")
        failed += bool(report.problems)
    print(f"{len(pages) - failed} of {len(pages)} pages pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
