#!/usr/bin/env python3
"""Writes the Excel fixtures that other tools made, so tests prove Sharepack reads them.

- samples/compat/finance.openpyxl.xlsx: the finance pack in the seed's four-sheet layout, written by
  openpyxl, with headers in another case, spacing and order than our template's.
- samples/compat/finance.libreoffice.xlsx: the same workbook opened and saved again by LibreOffice
  (`soffice --headless --convert-to xlsx`).
- samples/invalid/excel-problems.xlsx: merged cells, a formula, a date where a name belongs, an
  unknown column, an Excel error value, and no Shares sheet.

Run from the repository root: pip install openpyxl; apt-get install libreoffice-calc-nogui;
python3 scripts/make-excel-fixtures.py. The outputs are committed; tests do not run this.
"""
import datetime, os, shutil, subprocess, tempfile
from openpyxl import Workbook

def finance(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Metadata"
    ws.append(["Field", "Value"])
    for row in [
        ("requestor", "john.doe@jll.com"),
        ("project_name", "Corporate Finance Q1 Data Share"),
        ("business_line", "Corporate Finance"),
        ("strategy", "NEW"),
        ("description", "Q1 financial data sharing with external auditors"),
    ]:
        ws.append(row)
    ws = wb.create_sheet("recipients")
    ws.append(["Name", "Type", "E-mail", "Allowed IPs", "Metastore ID", "Comment"])
    ws.append(["external-auditor", "D2O", "auditor@external.com", "203.0.113.0/24,198.51.100.50", None, "External auditing firm"])
    ws.append(["internal-analyst", "D2D", None, None, "aws:us-west-2:0b7e1c52-3f4a-4d2e-9a1b-7c8d9e0f1a2b", "Internal data analyst team"])
    ws = wb.create_sheet("SHARES")
    ws.append(["Data Objects", "name", "Recipients", "comment"])
    ws.append(["catalog.schema.revenue_table,catalog.schema.expense_table", "finance_q1_share", "external-auditor,internal-analyst", "Q1 financial data"])
    ws.append(["catalog.audit_schema.activity_log", "audit_log_share", "external-auditor", "Audit logs for compliance"])
    ws = wb.create_sheet("Pipelines")
    ws.append(["name", "type", "schedule", "source", "destination", "comment"])
    wb.save(path)

def problems(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Metadata"
    ws.append(["Field", "Value"])
    ws.append(["requestor", "ann@example.com"])
    ws.append(["project_name", "=CONCATENATE(\"Broken\", \" workbook\")"])
    ws.append(["business_line", "Examples"])
    ws = wb.create_sheet("Recipients")
    ws.append(["name", "type", "email", "favourite colour"])
    ws.append(["partner-a", "D2O", "a@example.org", "blue"])
    ws.append(["partner-b", "D2O", "b@example.org", "red"])
    ws.append([datetime.date(2024, 3, 1), "D2O", "c@example.org", None])
    ws.append(["partner-d", "D2O", "#N/A", None])
    ws["C5"] = "=NA()"
    ws.merge_cells("B2:B3")
    wb.save(path)

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
compat = os.path.join(root, "samples", "compat")
finance(os.path.join(compat, "finance.openpyxl.xlsx"))
problems(os.path.join(root, "samples", "invalid", "excel-problems.xlsx"))
with tempfile.TemporaryDirectory() as tmp:
    source = os.path.join(tmp, "finance.libreoffice.xlsx")
    shutil.copy(os.path.join(compat, "finance.openpyxl.xlsx"), source)
    out = os.path.join(tmp, "out")
    subprocess.run(["soffice", "--headless", "--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out, source], check=True)
    shutil.copy(os.path.join(out, "finance.libreoffice.xlsx"), os.path.join(compat, "finance.libreoffice.xlsx"))
