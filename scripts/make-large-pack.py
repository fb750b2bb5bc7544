#!/usr/bin/env python3
"""Writes the large share pack of the intake benchmarks as the seed's own tools would.

500 recipients (half D2O with two IP entries, half D2D), 200 shares of 100 tables each (20,000
objects over 7 schemas per catalog), each share granted to three recipients:

- large.openpyxl.xlsx: openpyxl, the seed's four-sheet layout (Metadata, Recipients, Shares,
  Pipelines), each share's data objects comma-joined in one Shares cell.
- large.pyyaml.yaml: the same pack from yaml.safe_dump.

Usage: python3 scripts/make-large-pack.py OUT_DIR (needs openpyxl and PyYAML from PyPI).
The intake bench (scripts/bench-intake.sh) calls it; nothing here is committed output.
"""
import os
import sys

import yaml
from openpyxl import Workbook

RECIPIENTS = 500
SHARES = 200
OBJECTS_PER_SHARE = 100


def recipient_name(index):
    return f"partner-{index}" if index % 2 == 0 else f"workspace-{index}"


def pack():
    recipients = []
    for index in range(RECIPIENTS):
        if index % 2 == 0:
            recipients.append({
                "name": recipient_name(index),
                "type": "D2O",
                "email": f"partner{index}@example.org",
                "allowed_ips": [f"203.0.{index % 256}.0/24", f"198.51.100.{index % 256}"],
                "comment": f"Partner {index}",
            })
        else:
            recipients.append({
                "name": recipient_name(index),
                "type": "D2D",
                "metastore_id": f"azure:westeurope:{index:08x}-4b5a-4c6d-8e7f-0a1b2c3d4e5f",
                "comment": f"Workspace {index}",
            })
    shares = []
    for share in range(SHARES):
        shares.append({
            "name": f"share_{share}",
            "comment": f"Share {share}",
            "recipients": [recipient_name((share * 3 + k) % RECIPIENTS) for k in range(3)],
            "data_objects": [f"catalog_{share}.schema_{obj % 7}.table_{obj}" for obj in range(OBJECTS_PER_SHARE)],
        })
    return {
        "metadata": {
            "requestor": "bench@example.com",
            "project_name": "Benchmark",
            "business_line": "Performance",
            "strategy": "NEW",
            "description": "The intake benchmark's large pack",
        },
        "recipient": recipients,
        "share": shares,
    }


def workbook(data, path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Metadata"
    ws.append(["Field", "Value"])
    for field, value in data["metadata"].items():
        ws.append([field, value])
    ws = wb.create_sheet("Recipients")
    ws.append(["name", "type", "email", "metastore_id", "allowed_ips", "comment"])
    for r in data["recipient"]:
        ws.append([r["name"], r["type"], r.get("email"), r.get("metastore_id"), ",".join(r.get("allowed_ips", [])) or None, r["comment"]])
    ws = wb.create_sheet("Shares")
    ws.append(["name", "comment", "recipients", "data_objects"])
    for s in data["share"]:
        ws.append([s["name"], s["comment"], ",".join(s["recipients"]), ",".join(s["data_objects"])])
    ws = wb.create_sheet("Pipelines")
    ws.append(["name", "type", "schedule", "source", "destination", "comment"])
    wb.save(path)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    data = pack()
    workbook(data, os.path.join(out, "large.openpyxl.xlsx"))
    with open(os.path.join(out, "large.pyyaml.yaml"), "w") as f:
        yaml.safe_dump(data, f, sort_keys=False)
    for name in ("large.openpyxl.xlsx", "large.pyyaml.yaml"):
        print(f"{name}: {os.path.getsize(os.path.join(out, name)):,} bytes")


if __name__ == "__main__":
    main()
