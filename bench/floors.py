"""The two floors every budget is a multiple of, measured in the same run as the figures they judge.

Floor A: a bare Django view rendering a 200-row, 5-column table from one query, through the same
middleware (session, authentication) as every page. Floor B: WeasyPrint rendering a plain one-page
document. On a noisy machine the ratio to a floor is steadier than a time.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careplans.models import Goal

FLOOR_B_HTML = (
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 2cm; font-family: sans-serif; }
body { font-family: sans-serif; font-size: 11pt; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #999; padding: 4px; text-align: left; }
</style></head><body>
<h1>Floor B</h1>
<p>A plain one-page document: a heading, two paragraphs and a small table.</p>
<p>It gives the cost of starting a WeasyPrint render, laying out text and writing a PDF.</p>
<table><thead><tr><th>Item</th><th>Status</th><th>Date</th></tr></thead><tbody>
"""
    + "".join(f"<tr><td>Row {n}</td><td>Active</td><td>2026-01-{n:02d}</td></tr>" for n in range(1, 11))
    + """
</tbody></table></body></html>"""
)


def floor_table(request: HttpRequest) -> HttpResponse:
    """Floor A: one query, 200 rows, 5 columns, a few filters. Nothing else."""
    goals = Goal.objects.only("description", "status", "measure", "target_date", "priority").order_by("id")[
        :200
    ]
    return render(request, "bench/floor_table.html", {"goals": goals})


def render_floor_pdf(repeat: int = 1) -> bytes:
    """Floor B: a plain one-page PDF. With `repeat`, its body that many times over, same stylesheet.

    Floor B's own content repeated shows how WeasyPrint's cost grows with content alone, which is what
    the patient PDF's budget (a multiple of floor B for a document of several pages) is up against.
    """
    from weasyprint import HTML

    html = FLOOR_B_HTML
    if repeat > 1:
        head, body = html.split("<body>")
        body, tail = body.split("</body>")
        html = f"{head}<body>{body * repeat}</body>{tail}"
    return HTML(string=html).write_pdf()
