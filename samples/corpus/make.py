"""Writes the sample corpus's PDF and DOCX (the Markdown and HTML files are written by hand).

Run from the repository root: `.venv/bin/python samples/corpus/make.py`. Output is deterministic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
from fpdf import FPDF

HERE = Path(__file__).parent
FIXED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
HANDBOOK = [
    (
        "Leave and vacation",
        "Employees accrue 25 vacation days per year. Unused days expire at the end of March.",
    ),
    ("Remote work", "Staff may work remotely up to three days per week with their manager's approval."),
    ("Expenses", "Travel expenses are reimbursed within 30 days when submitted with receipts."),
]


def handbook_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.set_creation_date(FIXED)
    pdf.set_title("Employee Handbook")
    for i, (heading, body) in enumerate(HANDBOOK):
        pdf.add_page()
        if i == 0:
            pdf.set_font("Helvetica", "B", 24)
            pdf.cell(0, 14, "Employee Handbook", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body)
    pdf.output(str(path))


def benefits_docx(path: Path) -> None:
    document = docx.Document()
    document.core_properties.created = FIXED.replace(tzinfo=None)
    document.add_heading("Benefits Guide", level=0)
    document.add_heading("Health", level=1)
    document.add_paragraph("The dental plan covers two cleanings per year.")
    document.add_heading("Retirement", level=1)
    document.add_paragraph("The company matches pension contributions up to five percent of salary.")
    document.save(str(path))


if __name__ == "__main__":
    handbook_pdf(HERE / "handbook.pdf")
    benefits_docx(HERE / "benefits.docx")
