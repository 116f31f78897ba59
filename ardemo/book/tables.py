"""Tables for the book's pages: a list of rows as an HTML table, which the rendered book, Jupyter and
print lay out as a table (a printed text table breaks its columns apart when lines wrap)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


class HtmlTable:
    """An HTML table that Jupyter and Jupyter Book display (``_repr_html_``), with ``str`` the text.

    >>> t = html_table(["model", "ELBO"], [["linear", "-118.24"]], caption="Final ELBOs")
    >>> "<th>model</th>" in t._repr_html_() and "<caption>Final ELBOs</caption>" in t._repr_html_()
    True
    """

    def __init__(self, html: str, text: str) -> None:
        self.html, self.text = html, text

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.text


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]], caption: str | None = None) -> HtmlTable:
    """``rows`` (each as long as ``header``) as a table; cells are escaped text, numbers right-aligned.

    >>> print(html_table(["model", "ELBO"], [["linear", -118.24], ["two-layer", -107.58]]))
        model     ELBO
       linear  -118.24
    two-layer  -107.58
    """
    header = [str(h) for h in header]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"rows[{i}]: expected {len(header)} cells (one per header), got {len(row)}")

    def cell(tag: str, value: object) -> str:
        text = str(value)
        numeric = text.replace("−", "-").replace("±", "").replace(" ", "").lstrip("+-").replace(".", "", 1)
        align = ' style="text-align:right"' if numeric[:1].isdigit() else ""
        return f"<{tag}{align}>{escape(text)}</{tag}>"

    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell("td", v) for v in row) + "</tr>" for row in rows)
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    html = f'<table class="ardemo-table">{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = [("  ".join(str(v).rjust(w) for v, w in zip(r, widths))) for r in [header, *rows]]
    return HtmlTable(html, ((caption + "\n") if caption else "") + "\n".join(lines))
