"""Monthly tables and oversight figures as CSV, standalone HTML and PDF (reportlab).

Rendering only: every number is already in the ``MonthlyTable`` / ``Figure``
(suppressed cells are None there and print as ``<10`` or ``(s)``).
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, legal
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .monthly import (
    COLUMNS,
    LEVEL_TITLES,
    MEASURE_TITLES,
    MEASURES,
    PERIODS,
    MonthlyRow,
    MonthlyTable,
    levels_of,
)
from .oversight import Figure
from .suppression import RULE

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(),
                   trim_blocks=True, lstrip_blocks=True)
ID_COLUMNS = ("row_type", "state", "county", "fips", "activation_date")


def header_lines(table: MonthlyTable) -> list[str]:
    scope = "public (small counts suppressed)" if table.public else "internal (no suppression)"
    lines = [f"IDENT/IAFIS Interoperability Statistics (scomm), month {table.month}",
             f"Source database: {table.source or '(not given)'}",
             f"Generated: {table.generated_at.isoformat(timespec='seconds')}",
             table.note, f"Output: {scope}",
             "Counts by booking month; cumulative = all bookings through the end of the month."]
    if table.public:
        lines.append(table.rule)
    return lines


def _id_cells(r: MonthlyRow) -> list[str]:
    return [r.kind, r.state if r.kind != "national" else "US", r.label, r.fips or "",
            r.activation_date.isoformat() if r.activation_date else ""]


def monthly_csv(table: MonthlyTable) -> str:
    """One CSV row per county, state subtotal and the national total; leading ``#`` lines
    carry the header (read with ``pandas.read_csv(..., comment="#")``)."""
    out = io.StringIO()
    for line in header_lines(table):
        out.write(f"# {line}\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow([*ID_COLUMNS, *COLUMNS])
    for r in table.all_rows():
        w.writerow([*_id_cells(r), *(_csv_cell(r, k) for k in COLUMNS)])
    return out.getvalue()


def _csv_cell(r: MonthlyRow, key: str) -> str:
    if key in r.suppressed:
        return r.shown(key)
    return str(r.cells[key])


def _groups() -> list[tuple[str, str, list[str]]]:
    """(period, measure, [levels]) in printed order, for the two-row table heading."""
    return [(p, m, list(levels_of(m))) for p in PERIODS for m in MEASURES]


def monthly_html(table: MonthlyTable) -> str:
    return _env.get_template("report_monthly.html").render(
        t=table, header=header_lines(table), groups=_groups(), measure_titles=MEASURE_TITLES,
        level_titles=LEVEL_TITLES, period_titles={"month": f"Month of {table.month}",
                                                  "cumulative": f"Cumulative through {table.month}"})


def monthly_pdf(table: MonthlyTable) -> bytes:
    """Landscape PDF: a section for the month and one for the cumulative figures."""

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(legal), leftMargin=0.4 * inch,
                            rightMargin=0.4 * inch, topMargin=0.4 * inch, bottomMargin=0.4 * inch,
                            title=f"IDENT/IAFIS Interoperability Statistics {table.month}",
                            author="scomm (synthetic data)")
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=7, leading=9)
    story: list = [Paragraph(f"IDENT/IAFIS Interoperability Statistics &mdash; {table.month}",
                             styles["Title"])]
    story += [Paragraph(_xml(line), small) for line in header_lines(table)[1:]]
    for n, period in enumerate(PERIODS):
        if n:
            story.append(PageBreak())
        title = f"Month of {table.month}" if period == "month" else f"Cumulative through {table.month}"
        story += [Spacer(1, 6), Paragraph(title, styles["Heading2"])]
        keys = [f"{period}.{m}.{lv}" for m in MEASURES for lv in levels_of(m)]
        head1 = ["State", "County", "FIPS", "Activated"]
        head2 = ["", "", "", ""]
        spans = []
        for m in MEASURES:
            lvls = levels_of(m)
            spans.append((len(head1), len(head1) + len(lvls) - 1))
            head1 += [MEASURE_TITLES[m]] + [""] * (len(lvls) - 1)
            head2 += [LEVEL_TITLES[lv] for lv in lvls]
        data = [head1, head2]
        kinds = []
        for r in table.all_rows():
            ids = _id_cells(r)
            data.append([ids[1], ids[2][:34], ids[3], ids[4], *(r.shown(k) for k in keys)])
            kinds.append(r.kind)
        widths = [0.35 * inch, 1.9 * inch, 0.45 * inch, 0.65 * inch] + \
                 [(doc.width - 3.35 * inch) / len(keys)] * len(keys)
        t = Table(data, colWidths=widths, repeatRows=2)
        style = [("FONT", (0, 0), (-1, -1), "Helvetica", 6),
                 ("FONT", (0, 0), (-1, 1), "Helvetica-Bold", 6),
                 ("ALIGN", (4, 0), (-1, -1), "RIGHT"), ("ALIGN", (4, 0), (-1, 0), "CENTER"),
                 ("BACKGROUND", (0, 0), (-1, 1), colors.HexColor("#dfe4ea")),
                 ("LINEBELOW", (0, 1), (-1, 1), 0.5, colors.black),
                 ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
        style += [("SPAN", (a, 0), (b, 0)) for a, b in spans]
        for i, kind in enumerate(kinds, start=2):
            if kind != "county":
                style += [("FONT", (0, i), (-1, i), "Helvetica-Bold", 6),
                          ("BACKGROUND", (0, i), (-1, i), colors.HexColor("#eef1f4"))]
        t.setStyle(TableStyle(style))
        story.append(t)
    doc.build(story)
    return buf.getvalue()


def _xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- oversight ----------------------------------------------------------------------------
def oversight_json(figs: list[Figure], *, public: bool, source: str = "") -> str:
    return json.dumps({"public": public, "source": source, "synthetic": True,
                       "suppression_rule": RULE if public else None,
                       "figures": [f.to_dict() for f in figs]}, indent=2)


def oversight_csv(figs: list[Figure]) -> str:
    """Long format: one line per breakdown cell, with the figure's headline value."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["figure", "title", "unit", "value", "row", "column", "cell"])
    for f in figs:
        w.writerow([f.id, f.title, f.unit, f.value_shown, "", "", ""])
        for i, _r in enumerate(f.rows):
            for col in f.columns:
                w.writerow([f.id, "", "", "", i, col, f.shown(i, col)])
    return out.getvalue()


def oversight_html(figs: list[Figure], *, public: bool, source: str = "",
                   generated_at: str = "") -> str:
    return _env.get_template("report_oversight.html").render(
        figs=figs, public=public, source=source, generated_at=generated_at, rule=RULE,
        note=("Synthetic data: every person and booking in this database is generated by scomm."))
