"""The page check (``make check-pages``): it finds what a reader's browser would show wrong, and fails
loudly without a browser."""

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

from ardemo.book import pages, scatter_player

HAVE_BROWSER = any(shutil.which(b) for b in pages.BROWSERS)
needs_browser = pytest.mark.skipif(not HAVE_BROWSER, reason="no headless Chromium on this machine")

CLEAN = """<!DOCTYPE html><html><head><title>clean</title>
<style>@media print {{ div.cell_output {{ break-inside: avoid; }} }}</style></head><body><article>
<button class="search-button-field">Search</button><button class="search-button-field" style="display:none">Search</button>
<mjx-container display="true" style="display:block"><mjx-math style="display:inline-block; width:200px">narrow</mjx-math></mjx-container>
<p id="top">Prose with a dollar sign in code: <code>$x$</code>, and a <a href="clean.html#top">link</a>.</p>
<div class="cell_output"><pre>short output</pre></div>{player}
<div class="cell_output"><pre>a    1.0    2.0\nb    3.0    4.0\nc    5.0    6.0</pre></div>
<div class="cell_output"><a href="wide.png"><img src="wide.png"></a></div></article></body></html>"""

BROKEN = """<!DOCTYPE html><html><head><title>broken</title>
<link rel="stylesheet" href="https://cdn.example.invalid/font.css"></head><body>
<button class="search-button-field">Search</button><button class="search-button-field">Search</button>
<button class="search-button-field" style="display:none">Search</button><article style="width:600px">
<div class="cell_output"><img src="wide.png" style="width:300px"></div>
<mjx-container display="true" style="display:block"><mjx-math style="display:inline-block; width:900px">wide equation</mjx-math></mjx-container>
<div class="highlight"><pre style="overflow:auto; white-space:pre">{long}</pre></div>
<div class="cell_output"><pre>/x.py:3: UserWarning: something with /tmp/tmpab12/file</pre></div>
<div class="output"><pre>Traceback (most recent call last):\n  ValueError: bad n</pre></div>
<div class="cell_output"><pre style="white-space:pre-wrap; width:300px">{table}</pre></div>
<p>Raw math: $x^2 + y$ and \\(z\\).</p><img src="missing.png">
<div class="ardemo-player"></div>
<a href="nowhere.html">a</a> <a href="clean.html#no-such-anchor">b</a> <a href="clean.html#top">c</a>
<script>console.error("boom")</script></article></body></html>"""


def _site(tmp_path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(10, 2), dpi=100)  # 1000 px wide, shown at 300
    fig.savefig(tmp_path / "wide.png")
    plt.close(fig)
    (tmp_path / "clean.html").write_text(CLEAN.format(player=scatter_player(torch.zeros(2, 1, 2))))
    table = "\n".join(
        f"row {k}    {k * 1.5:10.4f}    {k * 2.5:10.4f}    {k * 3.5:10.4f}    {k * 4.5:10.4f}" for k in range(4)
    )
    (tmp_path / "broken.html").write_text(BROKEN.format(long="x = " + "1 + " * 300, table=table))
    (tmp_path / "index.html").write_text(
        '<html><head><meta http-equiv="Refresh" content="0; url=clean.html" /></head></html>'
    )
    (tmp_path / "search.html").write_text(CLEAN.format(player=""))
    return tmp_path


def test_without_a_browser_the_check_fails_and_says_how_to_install_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on this PATH
    monkeypatch.delenv(pages.ENV_BROWSER, raising=False)
    (tmp_path / "a.html").write_text(CLEAN.format(player=""))
    assert pages.main([str(tmp_path)]) == 2
    assert "apt-get install chromium" in capsys.readouterr().err


def test_a_named_browser_that_does_not_exist_is_an_error(monkeypatch):
    monkeypatch.setenv(pages.ENV_BROWSER, "no-such-browser-here")
    with pytest.raises(FileNotFoundError, match="no-such-browser-here"):
        pages.find_browser()


def test_only_chapter_pages_are_checked(tmp_path):
    names = [p.name for p in pages.chapter_pages(_site(tmp_path))]
    assert names == ["broken.html", "clean.html"]  # not the redirect, not the search page
    with pytest.raises(FileNotFoundError, match="make book"):
        pages.chapter_pages(tmp_path / "empty")


@needs_browser
def test_every_kind_of_problem_is_found_and_a_clean_page_passes(tmp_path):
    site = _site(tmp_path)
    browser = pages.find_browser()
    assert pages.check_page(site / "clean.html", browser).problems == []
    problems = "\n".join(pages.check_page(site / "broken.html", browser).problems)
    assert "JavaScript error: console.error: boom" in problems
    assert "request to the internet: https://cdn.example.invalid/font.css" in problems
    assert "figure drawn 1000 px wide, shown at 300 px (30%)" in problems
    assert "scrolls sideways" in problems and "x = 1 + 1" in problems
    assert "UserWarning: something" in problems and "printed in an output: Traceback" in problems
    assert "math left untypeset: '$x^2 + y$'" in problems and "math left untypeset: '\\\\('" in problems
    assert "image does not load: missing.png" in problems
    assert "1 of 1 animation players do not start" in problems
    assert "dead link: nowhere.html" in problems and "dead link: clean.html#no-such-anchor" in problems
    assert "clean.html#top" not in problems
    assert "2 search fields on the first screen" in problems  # the hidden third is not counted
    assert "at 390 px: figure shown at 30% of its width and does not open at full size: wide.png" in problems
    assert "equation wider than its column by 300 px: 'wide equation'" in problems
    assert "a text table wraps (4 lines shown on 8): 'row 0" in problems
    assert "printed (A4, 680 px column): equation cut by 220 px: 'wide equation'" in problems
    assert "printed (A4): a cell of" in problems and "may be cut by a page break" in problems
    assert not list(site.glob(".ardemo-check-*"))  # the instrumented copies are removed


@needs_browser
def test_a_chapter_that_makes_an_animation_must_show_a_player(tmp_path):
    (tmp_path / "_sources").mkdir()
    (tmp_path / "_sources" / "anim.md").write_text("HTML(scatter_player(path))\n")
    (tmp_path / "anim.html").write_text(
        CLEAN.format(player="")
        .replace("clean.html#top", "anim.html#top")
        .replace('<a href="wide.png"><img src="wide.png"></a>', "")
    )
    problems = pages.check_page(tmp_path / "anim.html", pages.find_browser()).problems
    assert problems == ["the chapter makes an animation but the page shows no player"]


@needs_browser
def test_the_command_reports_and_fails_on_a_broken_page(tmp_path, capsys):
    site = _site(tmp_path)
    assert pages.main([str(site), "--page", "clean.html"]) == 0
    assert pages.main([str(site)]) == 1
    out = capsys.readouterr().out
    assert "broken.html" in out and "1 of 2 pages pass" in out
    assert pages.main([str(site), "--page", "clean.html", "--screenshots", str(tmp_path / "shots")]) == 0
    assert (tmp_path / "shots" / "clean.png").stat().st_size > 1000  # one screenshot per page


def test_the_player_shows_points_outside_its_box_as_counted_not_clamped():
    """A chain that leaves the box was drawn on its edge, silently; now it is skipped and counted."""
    import json
    import re

    frames = torch.tensor([[[0.0, 0.0], [5.0, 0.0]], [[0.5, -0.5], [0.0, -9.0]], [[0.1, 0.1], [0.2, 0.2]]])
    html = scatter_player(frames, extent=(-1.0, 1.0, -1.0, 1.0))
    spec = json.loads(re.search(r"var spec = (\{.*?\});", html).group(1))
    assert spec["outside"] == [1, 1, 0]
    assert spec["xy"][2:4] == [-1, -1] and spec["xy"][6:8] == [-1, -1]  # not moved to the edge
    assert spec["xy"][:2] == [500, 500] and spec["xy"][4:6] == [750, 250]
    assert [label for _, label in spec["xticks"]] == ["-1", "-0.5", "0", "0.5", "1"]
    assert spec["xlabel"] == "x₁" and "outside the box" in html


def test_a_page_dumped_before_it_loaded_is_opened_again_then_fails_saying_so(tmp_path, monkeypatch):
    page = tmp_path / "chapter.html"
    page.write_text("<html><head></head><body><p>text</p></body></html>", encoding="utf-8")
    calls = []
    report = '<pre id="ardemo-page-report">{"errors": []}</pre>'

    def fake_run(argv, **kwargs):
        calls.append(next(a for a in argv if a.startswith("--virtual-time-budget=")))
        out = report if len(calls) == succeed_on else "<html><body>not loaded yet</body></html>"
        return subprocess.CompletedProcess(argv, 0, stdout=out, stderr="a line\nlast line")

    monkeypatch.setattr(pages.subprocess, "run", fake_run)
    succeed_on = 2
    assert pages._probe(page, "chromium", 10) == {"errors": []}
    assert calls == [f"--virtual-time-budget={b}" for b in pages.VIRTUAL_TIME_BUDGETS[:2]]
    calls.clear()
    succeed_on = 0
    with pytest.raises(RuntimeError, match=r"chapter.html: the browser returned no report in 3 tries .*last line"):
        pages._probe(page, "chromium", 10)
    assert len(calls) == len(pages.VIRTUAL_TIME_BUDGETS)
    assert not list(tmp_path.glob(".ardemo-check-*")), "the instrumented copy is left behind"


@needs_browser
def test_wrapped_code_hangs_under_its_own_indentation_and_keeps_its_text(tmp_path):
    script = Path(__file__).resolve().parents[1] / "book" / "_static" / "hanging-indent.js"
    code = (
        '<span class="k">def</span> <span class="nf">f</span>():\n'
        '    <span class="n">x</span> = <span class="s2">"""two\nlines"""</span>\n\n'
        '        <span class="k">return</span> x\n'
    )
    page = tmp_path / "code.html"
    page.write_text(
        f'<html><head><script src="{script.as_uri()}"></script></head><body><article>'
        f'<div class="highlight"><pre>{code}</pre></div></article></body></html>',
        encoding="utf-8",
    )
    with pages.browser_profile() as profile:
        dom = subprocess.run(
            [pages.find_browser(), *pages._FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    lines = re.findall(
        r'<span class="ardemo-line" style="padding-left: (\d+)ch; text-indent: -(\d+)ch;">(.*?)</span>(?=<span class="ardemo-line"|</pre>)',
        dom,
        re.S,
    )
    assert [int(p) for p, _, _ in lines] == [4, 8, 4, 4, 12], dom[-2000:]
    assert all(p == t for p, t, _ in lines)  # the first line of each starts at the left edge
    pre = re.search(r"<pre[^>]*>(.*)</pre>", dom, re.S).group(1)
    text = html.unescape(re.sub(r"<[^>]+>", "", pre))
    assert text == html.unescape(re.sub(r"<[^>]+>", "", code)), "the code's text, newlines included, must not change"
    assert 'class="s2">"""two</span>\n</span>' in dom.replace("&quot;", '"')  # a token across a line break is split


def _without_and_with(page: Path, head: str, asset: str, body: str) -> tuple[list[str], list[str]]:
    """The page check's problems on ``page`` without, then with, one of the book's assets in its head."""
    browser = pages.find_browser()
    found = []
    for extra in ("", asset):
        page.write_text(f"<html><head>{head}{extra}</head><body>{body}</body></html>", encoding="utf-8")
        found.append(pages.check_page(page, browser).problems)
    return found[0], found[1]


@needs_browser
def test_on_a_phone_a_figure_made_zoomable_by_the_books_script_passes(tmp_path):
    _site(tmp_path)
    script = Path(__file__).resolve().parents[1] / "book" / "_static" / "figure-zoom.js"
    body = '<article><div class="cell_output"><img src="wide.png" style="max-width: 100%"></div></article>'
    whole = "<style>@media print { div.cell_output { break-inside: avoid; } }</style>"  # not this test's subject
    before, after = _without_and_with(
        tmp_path / "phone.html", whole, f'<script src="{script.as_uri()}"></script>', body
    )
    assert any("at 390 px: figure shown at" in p for p in before)
    assert after == []


@needs_browser
def test_the_books_script_fits_a_wide_equation_on_screen_and_in_print(tmp_path):
    script = Path(__file__).resolve().parents[1] / "book" / "_static" / "fit-math.js"
    body = (
        '<article style="width:750px"><mjx-container display="true" style="display:block">'
        '<mjx-math style="display:inline-block; width:900px">wide</mjx-math></mjx-container></article>'
    )
    before, after = _without_and_with(tmp_path / "math.html", "", f'<script src="{script.as_uri()}"></script>', body)
    assert any("equation wider than its column" in p for p in before)
    assert any("printed (A4, 680 px column): equation cut" in p for p in before)
    assert after == []


@needs_browser
def test_in_print_the_books_stylesheet_keeps_every_cell_shorter_than_a_page_whole(tmp_path):
    """The print pass runs in print media (the stylesheet's @media print rules apply): cells are reported
    without the book's stylesheet and pass with it; a cell taller than a page cannot be kept whole and
    is not reported."""
    css = Path(__file__).resolve().parents[1] / "book" / "_static" / "ardemo.css"
    cells = (
        '<article><div class="cell_input"><pre>x = 1</pre></div><div class="cell_output"><pre>1</pre></div>'
        '<div class="cell_output"><pre style="height:1500px">a long output</pre></div></article>'
    )
    page = tmp_path / "cells.html"
    before, after = _without_and_with(page, "", f'<link rel="stylesheet" href="{css.as_uri()}">', cells)
    before = [p for p in before if p.startswith("printed (A4): a cell")]
    assert len(before) == 2 and "'x = 1'" in before[0] and "'1'" in before[1], before
    assert after == []
    # on screen the same stylesheet's print rule does not apply: the pass really ran in print media
    report = pages._probe(page, pages.find_browser(), 60.0, pages.PAPER, f"#ardemo-print={pages.PRINT_COLUMN}")
    assert report["print_media"] is False


def test_a_browser_profile_is_removed_even_while_a_helper_still_writes_to_it(monkeypatch):
    """Chromium's helpers can write to the profile folder just after the browser exits ('Directory not
    empty'): removal is retried; it gives up quietly after its time is up."""
    real_rmtree, failures = shutil.rmtree, [OSError("Directory not empty")] * 2

    def rmtree(path, *args, **kwargs):
        if failures:
            raise failures.pop()
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(pages.shutil, "rmtree", rmtree)
    with pages.browser_profile() as folder:
        (folder / "DevToolsActivePort").write_text("0\n")
        assert folder.is_dir()
    assert not folder.exists() and not failures
    failures.extend([OSError("Directory not empty")] * 1000)
    with pages.browser_profile(seconds=0.3) as stubborn:
        pass
    assert stubborn.exists()  # left to the system's cleanup, without an error
    real_rmtree(stubborn)
