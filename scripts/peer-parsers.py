#!/usr/bin/env python3
"""Times the seed's own parsers on share-pack files, for the intake benchmark's side-by-side
figures: openpyxl as the seed reads workbooks (load_workbook(data_only=True), then every row of
every sheet) and PyYAML's safe_load.

Usage: python3 scripts/peer-parsers.py RUNS FILE...; prints one JSON line per file:
{"file": ..., "parser": ..., "median_ms": ..., "fastest_ms": ...}.
"""
import io
import json
import statistics
import sys
import time

import yaml
from openpyxl import load_workbook


def read_workbook(data):
    wb = load_workbook(io.BytesIO(data), data_only=True)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
    return cells


def read_yaml(data):
    return yaml.safe_load(data)


def main():
    runs = int(sys.argv[1])
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            data = f.read()
        excel = path.endswith(".xlsx")
        parse = read_workbook if excel else read_yaml
        parser = "openpyxl load_workbook(data_only=True) + iter_rows" if excel else "PyYAML safe_load"
        parse(data)  # warm up imports and caches, as the Rust side is warmed up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            parse(data)
            times.append((time.perf_counter() - started) * 1000)
        print(json.dumps({"file": path, "parser": parser, "median_ms": statistics.median(times), "fastest_ms": min(times)}))


if __name__ == "__main__":
    main()
