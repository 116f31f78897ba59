"""The book's pages as a browser shows them: ``python -m ardemo.book.pages [HTML_DIR]`` (``make check-pages``).

Each chapter page of the built book is opened in headless Chromium at a laptop's window size (1366 px
wide). A script added to a copy of the page records, once the page has loaded:

* JavaScript errors: uncaught exceptions, rejected promises and ``console.error`` calls;
* requests that leave the machine (a book read offline must not need the internet);
* figures shown smaller than 75 % of the size they were drawn at (their labels shrink with them);
* code and output blocks and tables wider than the page, which scroll sideways;
* Python warnings and tracebacks printed in outputs (``UserWarning: ...``, ``ValueError: ...``),
  temporary file paths among them;
* math left untypeset once MathJax is done (a raw ``$...$``, ``\\(`` or ``\\[`` in the text);
* images that do not load, and animation players that do not start, or none on a page whose chapter
  makes an animation;
* internal links to a missing file or to an anchor the target page does not have;
* more than one search field on the first screen;
* display equations wider than their column (which scroll sideways);
* text tables printed in an output whose lines wrap, so that their columns fall apart (a table belongs in
  HTML: :func:`ardemo.html_table`).

A print pass opens the page at A4's width in print media (Chromium's DevTools protocol emulates it, so
the stylesheets' ``@media print`` rules apply) and fires ``beforeprint`` as a browser does before
printing. Every display equation must then fit the printed column (``PRINT_COLUMN`` px, less its
indent), as ``_static/fit-math.js`` makes it, and every cell shorter than a printed page must be kept
whole (``break-inside: avoid`` in print), so that no page break cuts it in two or leaves an empty box.

A second pass at a phone's width (390 px) asks that every figure shown below 75 % of its width
opens at full size when tapped (``_static/figure-zoom.js`` makes each output figure a link to itself).

One screenshot of each page's first screen is saved (``--screenshots``, default ``build/page-screenshots``).

A page whose HTML is over ``MAX_PAGE_BYTES`` (2 MB) is reported too. Without a browser the check fails with a
message that says how to install one; it never passes silently.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV_BROWSER = "ARDEMO_BROWSER"
WINDOW = (1366, 900)
PHONE = (390, 844)  # a phone held upright: figures there must be legible or open at full size
PAPER = (794, 1123)  # A4 portrait at 96 px per inch: the window of the print pass
PRINT_COLUMN = 680  # px: the printed column (A4 or Letter, default margins), as book/_static/fit-math.js assumes
PRINT_PAGE_HEIGHT = 1000  # px: the printed page's height, A4 (1123 px) less the browser's default margins
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
  function untypeset(root) {
    var found = [], skip = /^(PRE|CODE|SCRIPT|STYLE|TEXTAREA|MJX-CONTAINER)$/;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, null);
    while (walker.nextNode()) {
      var node = walker.currentNode, up = node.parentElement, skipped = false;
      while (up && up !== root) {
        if (skip.test(up.tagName) || up.classList.contains('highlight')) { skipped = true; break; }
        up = up.parentElement;
      }
      var m = skipped ? null : node.textContent.match(/\$[^$\s][^$]{0,80}\$|\\\(|\\\[/g);
      (m || []).forEach(function (text) { found.push(text.slice(0, 60)); });
    }
    return found;
  }
  function finish() {
      var report = {errors: errors, external: [], figures: [], overflow: [], warnings: [], math: [], broken: [],
                    players: 0, ready: 0, links: []};
      var article = document.querySelector('article') || document.body;
      report.math = untypeset(article);
      document.querySelectorAll('img').forEach(function (img) {
        if (img.complete && img.naturalWidth === 0) { report.broken.push(img.getAttribute('src').slice(0, 80)); }
      });
      document.querySelectorAll('.ardemo-player, div.animation').forEach(function (el) {
        report.players += 1;
        var ready = el.classList.contains('animation') ? !!el.querySelector('img[src]') : el.getAttribute('data-ready') === '1';
        if (ready) { report.ready += 1; }
      });
      document.querySelectorAll('a[href]').forEach(function (a) {
        var href = a.getAttribute('href');
        if (!/^(https?:|mailto:|javascript:|data:)/.test(href)) { report.links.push(href); }
      });
      performance.getEntriesByType('resource').forEach(function (entry) {
        if (/^https?:/.test(entry.name)) { report.external.push(entry.name); }
      });
      document.querySelectorAll('link[href^="http"], script[src^="http"]').forEach(function (el) {
        report.external.push(el.href || el.src);
      });
      document.querySelectorAll('.cell_output img, .output img, figure img').forEach(function (img) {
        var shown = img.getBoundingClientRect().width;
        if (img.naturalWidth > 0 && shown > 0) {
          report.figures.push({src: img.getAttribute('src').slice(0, 80), natural: img.naturalWidth, shown: shown,
                               zoomable: !!img.closest('a[href]')});
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
        var match = text.match(/\b\w*Warning: [^\n]{0,80}/) || text.match(/\/tmp\/[^\s'"]{0,60}/) ||
                    text.match(/Traceback \(most recent call last\)|\b[A-Z]\w*Error: [^\n]{0,80}/);
        if (match) { report.warnings.push(match[0]); }
      });
      var printWidth = (location.hash.match(/ardemo-print=(\d+)/) || [])[1];
      if (printWidth) { window.dispatchEvent(new Event('beforeprint')); }  // as the browser does before printing
      report.wide_math = [];  // display equations wider than their column (on paper: than the printed column)
      var columnWidth = article.getBoundingClientRect().width;
      document.querySelectorAll('mjx-container[display="true"]').forEach(function (box) {
        var math = box.querySelector('mjx-math');
        if (!math) { return; }
        var room = box.getBoundingClientRect().width;
        if (printWidth) { room = Number(printWidth) - Math.max(0, columnWidth - room); }
        var wide = math.getBoundingClientRect().width;
        if (wide > room + OVERFLOW_SLACK) {
          report.wide_math.push({text: (box.textContent || '').trim().slice(0, 60), by: Math.round(wide - room)});
        }
      });
      report.print_media = window.matchMedia('print').matches;
      report.split_cells = [];  // in print: a cell shorter than a page that a page break may cut in two
      if (printWidth) {
        document.querySelectorAll('div.cell_input, div.cell_output').forEach(function (cell) {
          var height = cell.getBoundingClientRect().height;
          if (height > 0 && height < PRINT_PAGE_HEIGHT && getComputedStyle(cell).breakInside !== 'avoid') {
            report.split_cells.push({text: cell.textContent.trim().slice(0, 60), height: Math.round(height)});
          }
        });
      }
      report.wrapped_tables = [];  // a text table printed in an output whose lines wrap: its columns fall apart
      document.querySelectorAll('div.cell_output pre, div.output pre').forEach(function (pre) {
        var lines = pre.textContent.replace(/\n$/, '').split('\n');
        var tabular = lines.filter(function (l) { return (l.match(/\S {2,}(?=\S)/g) || []).length >= 2; }).length;
        if (tabular < 3) { return; }
        var style = getComputedStyle(pre);
        var lineHeight = parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
        var inner = pre.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
        var shown = Math.round(inner / lineHeight);
        if (shown > lines.length) {
          report.wrapped_tables.push({text: lines[0].trim().slice(0, 60), lines: lines.length, shown: shown});
        }
      });
      report.search = 0;  // search fields a reader sees on the first screen
      document.querySelectorAll('.search-button-field, input[type=search]').forEach(function (el) {
        var box = el.getBoundingClientRect();
        if (box.width > 0 && box.height > 0 && box.top < window.innerHeight && getComputedStyle(el).visibility !== 'hidden') {
          report.search += 1;
        }
      });
      var el = document.createElement('pre');
      el.id = 'ardemo-page-report';
      el.textContent = JSON.stringify(report);
      document.body.appendChild(el);
  }
  window.addEventListener('load', function () {
    setTimeout(function () {  // then wait for MathJax to typeset, when the page has it
      var typeset = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
      if (typeset) { typeset.then(finish, finish); } else { finish(); }
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


_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


VIRTUAL_TIME_BUDGETS = (10_000, 30_000, 60_000)  # ms; a busy machine can dump the page before it loaded


def _probe(
    page: Path,
    browser: str,
    timeout: float,
    window: tuple[int, int] = WINDOW,
    fragment: str = "",
    media: str = "screen",
) -> dict:
    """Open an instrumented copy of ``page`` and return the report its script wrote into the DOM;
    ``media="print"`` opens it in print media (:func:`_print_media_report`).

    Chromium's ``--dump-dom`` can print the page before its ``load`` event has run when the machine is
    busy (CI saw this once, on a page that passes when quiet), so a page that gives no report is opened
    again with a longer virtual-time budget; after the last try the missing report is an error.
    """
    source = page.read_text(encoding="utf-8")
    probe = _PROBE.replace("OVERFLOW_SLACK", str(OVERFLOW_SLACK)).replace("PRINT_PAGE_HEIGHT", str(PRINT_PAGE_HEIGHT))
    instrumented = re.sub(r"<head[^>]*>", lambda m: m.group(0) + probe, source, count=1)
    handle, name = tempfile.mkstemp(prefix=".ardemo-check-", suffix=".html", dir=page.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(instrumented)
    try:
        if media == "print":
            return _print_media_report(page, Path(name).resolve().as_uri() + fragment, browser, timeout, window)
        for budget in VIRTUAL_TIME_BUDGETS:
            with browser_profile() as profile:
                result = subprocess.run(
                    [
                        browser,
                        *_FLAGS,
                        f"--user-data-dir={profile}",
                        f"--window-size={window[0]},{window[1]}",
                        f"--virtual-time-budget={budget}",
                        "--dump-dom",
                        Path(name).resolve().as_uri() + fragment,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
            match = re.search(r'<pre id="ardemo-page-report">(.*?)</pre>', result.stdout, re.S)
            if match is not None:
                return json.loads(html.unescape(match.group(1)))
    finally:
        os.unlink(name)
    tail = " | ".join(result.stderr.strip().splitlines()[-3:])
    raise RuntimeError(
        f"{page.name}: the browser returned no report in {len(VIRTUAL_TIME_BUDGETS)} tries "
        f"(last exit {result.returncode}; stderr: {tail or 'empty'})"
    )


_REPORT_JS = "(document.getElementById('ardemo-page-report') || {}).textContent || null"


def _print_media_report(page: Path, url: str, browser: str, timeout: float, window: tuple[int, int]) -> dict:
    """The probe's report for ``url`` opened in print media: Chromium started with a DevTools port,
    ``Emulation.setEmulatedMedia`` set to print before the page loads, the report polled until the
    page's script has written it (at most ``timeout`` seconds)."""
    import urllib.request

    import websocket  # websocket-client (the book's extra): Chromium's DevTools protocol

    deadline = time.monotonic() + timeout
    with browser_profile() as profile:
        chromium = subprocess.Popen(
            [
                browser,
                *_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={window[0]},{window[1]}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # never read: a pipe could fill and stall the browser
        )
        try:
            port_file = profile / "DevToolsActivePort"
            while not (port_file.exists() and len(port_file.read_text().split()) >= 2):
                if chromium.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{page.name}: the browser opened no DevTools port for the print pass")
                time.sleep(0.05)
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as answer:
                target = next(t for t in json.load(answer) if t.get("type") == "page")
            socket = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=timeout, suppress_origin=True)
            try:
                calls = iter(range(1, 1_000_000))

                def call(method: str, **params: object) -> dict:
                    number = next(calls)
                    socket.send(json.dumps({"id": number, "method": method, "params": params}))
                    while True:  # events arrive in between; the answer carries the call's id
                        message = json.loads(socket.recv())
                        if message.get("id") == number:
                            if "error" in message:
                                raise RuntimeError(f"{page.name}: DevTools {method}: {message['error']}")
                            return message.get("result", {})

                call("Emulation.setEmulatedMedia", media="print")
                call("Page.navigate", url=url)
                while time.monotonic() < deadline:
                    found = call("Runtime.evaluate", expression=_REPORT_JS, returnByValue=True)
                    value = found.get("result", {}).get("value")
                    if value:
                        return json.loads(value)
                    time.sleep(0.1)
            finally:
                socket.close()
        finally:
            chromium.terminate()
            try:
                chromium.wait(timeout=10)
            except subprocess.TimeoutExpired:
                chromium.kill()
                chromium.wait()
    raise RuntimeError(f"{page.name}: the print pass wrote no report within {timeout:.0f} s")


@contextlib.contextmanager
def browser_profile(seconds: float = 5.0) -> Iterator[Path]:
    """A fresh profile folder for one browser launch, removed afterwards. The browser's helper
    processes can still be writing to it for a moment after the browser has exited, so removal is
    retried for ``seconds``; what is left after that is left to the system's temporary-file cleanup."""
    folder = Path(tempfile.mkdtemp(prefix="ardemo-chromium-"))
    try:
        yield folder
    finally:
        deadline = time.monotonic() + seconds
        while folder.exists():
            try:
                shutil.rmtree(folder)
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)


ANIMATION_CALLS = ("scatter_player(", "animation_html(", "to_jshtml(")


def _has_animation(page: Path) -> bool:
    """Whether the page's source (``_sources/NAME.md`` beside it) makes an animation."""
    source = page.parent / "_sources" / f"{page.stem}.md"
    return source.exists() and any(call in source.read_text(encoding="utf-8") for call in ANIMATION_CALLS)


def dead_links(page: Path, hrefs: list[str]) -> list[str]:
    """The links among ``hrefs`` (as written in ``page``) to a file that is not there or to an anchor
    (``#id``) that the target page does not have."""
    dead, texts = [], {}
    for href in sorted(set(hrefs)):
        target, _, anchor = href.partition("#")
        path = (page.parent / target.split("?")[0]).resolve() if target else page.resolve()
        if not path.exists():
            dead.append(href)
            continue
        if anchor and path.suffix == ".html":
            if path not in texts:
                texts[path] = path.read_text(encoding="utf-8", errors="replace")
            if f'id="{anchor}"' not in texts[path] and f"id='{anchor}'" not in texts[path]:
                dead.append(href)
    return dead


def screenshot(page: Path, browser: str, out: Path, timeout: float = 120.0) -> Path:
    """A screenshot of the first screen of ``page`` (``WINDOW``) as ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with browser_profile() as profile:
        subprocess.run(
            [
                browser,
                *_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                f"--screenshot={out.resolve()}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    return out


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
    report.problems += [f"equation wider than its column by {m['by']} px: {m['text']!r}" for m in seen["wide_math"]]
    report.problems += [
        f"a text table wraps ({t['lines']} lines shown on {t['shown']}): {t['text']!r}" for t in seen["wrapped_tables"]
    ]
    paper = _probe(page, browser, timeout, PAPER, f"#ardemo-print={PRINT_COLUMN}", media="print")
    if not paper.get("print_media"):
        report.problems.append("the print pass did not run in print media (the browser ignored the emulation)")
    report.problems += [
        f"printed (A4, {PRINT_COLUMN} px column): equation cut by {m['by']} px: {m['text']!r}"
        for m in paper["wide_math"]
    ]
    report.problems += [
        f"printed (A4): a cell of {c['height']} px, shorter than a page, may be cut by a page break "
        f"(no break-inside: avoid in print): {c['text']!r}"
        for c in paper["split_cells"]
    ]
    phone = _probe(page, browser, timeout, PHONE)
    for fig in phone["figures"]:
        scale = fig["shown"] / fig["natural"]
        if scale < MIN_FIGURE_SCALE and not fig.get("zoomable"):
            report.problems.append(
                f"at {PHONE[0]} px: figure shown at {scale:.0%} of its width and does not open at full size: {fig['src']}"
            )
    report.problems += [f"scrolls sideways by {o['by']} px: {o['text']!r}" for o in seen["overflow"]]
    report.problems += [f"warning or error printed in an output: {w}" for w in seen["warnings"]]
    report.problems += [f"math left untypeset: {m!r}" for m in seen["math"]]
    report.problems += [f"image does not load: {src}" for src in seen["broken"]]
    if seen["ready"] < seen["players"]:
        report.problems.append(f"{seen['players'] - seen['ready']} of {seen['players']} animation players do not start")
    if seen["players"] == 0 and _has_animation(page):
        report.problems.append("the chapter makes an animation but the page shows no player")
    report.problems += [f"dead link: {href}" for href in dead_links(page, seen["links"])]
    if seen.get("search", 0) > 1:
        report.problems.append(f"{seen['search']} search fields on the first screen (one is enough)")
    if report.bytes > MAX_PAGE_BYTES:
        report.problems.append(f"page weighs {report.bytes / 1e6:.1f} MB (at most {MAX_PAGE_BYTES / 1e6:.1f} MB)")
    return report


def main(argv: list[str] | None = None) -> int:
    """Check every chapter page of ``HTML_DIR`` (default ``book/_build/html``) and print what is wrong:
    exit 0 when every page passes, 1 when one does not, 2 without a browser or without built pages."""
    parser = argparse.ArgumentParser(prog="python -m ardemo.book.pages", description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", nargs="?", default="book/_build/html", type=Path)
    parser.add_argument("--page", action="append", help="check only this page (repeatable), e.g. rebar.html")
    parser.add_argument(
        "--screenshots",
        type=Path,
        default=Path("build/page-screenshots"),
        help="folder for one screenshot per page (default: build/page-screenshots)",
    )
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
        shot = screenshot(page, browser, args.screenshots / f"{page.stem}.png")
        status = "ok" if not report.problems else f"{len(report.problems)} problems"
        print(
            f"{report.page:28s} {report.bytes / 1e6:5.2f} MB  {status}" + ("" if shot.exists() else "  (no screenshot)")
        )
        for problem in report.problems:
            print(f"    {problem}")
        failed += bool(report.problems)
    print(f"{len(pages) - failed} of {len(pages)} pages pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
