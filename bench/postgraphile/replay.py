#!/usr/bin/env python3
"""Turns the statements the gateway sent, as PostgreSQL logged them
(log_min_duration_statement = 0), into pgbench scripts: one script per page, holding that
page's statements in order with their parameters written in.

    replay.py LOG OFFSET DATABASE MARKER OUTDIR

LOG is the server's log file and OFFSET the byte where the capture began; only statements on
DATABASE are read. A statement containing MARKER begins one page's statements. Only reads of
the legacy tables are kept (`SELECT ... tbl_...`): the gateway's background jobs (the outbox
relay, deliveries, the dashboards' refresh) share its pool and their statements interleave
with the page's in the log. Prints how many scripts were written and how many statements each
holds on average.
"""

import os
import re
import sys

ENTRY = re.compile(
    r"^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] (?P<who>\S*)@(?P<db>\S*) "
    r"(?P<level>LOG|DETAIL):  (?P<text>.*)$"
)
EXECUTE = re.compile(r"^duration: [\d.]+ ms  (?:execute [^:]*|statement): (?P<sql>.*)$", re.S)
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")


def entries(text):
    """(database, level, text) of each log entry, continuation lines joined."""
    current = None
    for line in text.splitlines():
        match = ENTRY.match(line)
        if match:
            if current:
                yield current
            current = [match["db"], match["level"], match["text"]]
        elif current is not None and (line.startswith("\t") or not line[:4].isdigit()):
            current[2] += "\n" + line.lstrip("\t")
    if current:
        yield current


def page_statement(sql):
    return sql.lstrip().upper().startswith("SELECT") and " tbl_" in sql


def with_parameters(sql, detail):
    values = {int(n): v for n, v in PARAM.findall(detail or "")}
    for n in sorted(values, reverse=True):
        sql = re.sub(r"\$%d(?!\d)" % n, values[n].replace("\\", "\\\\"), sql)
    return sql


def main():
    log, offset, database, marker, outdir = sys.argv[1:6]
    with open(log, "rb") as f:
        f.seek(int(offset))
        text = f.read().decode("utf-8", "replace")
    pages, page, pending = [], None, None
    for db, level, body in entries(text):
        if db != database:
            continue
        if level == "LOG":
            if pending is not None:
                page.append(with_parameters(pending, None))
                pending = None
            found = EXECUTE.match(body)
            if not found:
                continue
            sql = found["sql"].strip()
            if marker in sql:
                if page:
                    pages.append(page)
                page = []
            elif page is not None and page_statement(sql):
                pending = sql
        elif level == "DETAIL" and pending is not None and body.startswith("parameters:"):
            page.append(with_parameters(pending, body))
            pending = None
    if pending is not None:
        page.append(with_parameters(pending, None))
    if page:
        pages.append(page)
    os.makedirs(outdir, exist_ok=True)
    for i, statements in enumerate(pages):
        with open(os.path.join(outdir, "page%03d.sql" % i), "w") as out:
            for sql in statements:
                # pgbench reads one statement per line unless it ends with ';'.
                out.write(" ".join(sql.split()) + ";\n")
    count = sum(len(p) for p in pages)
    print("%d scripts, %.1f statements each" % (len(pages), count / max(len(pages), 1)))


if __name__ == "__main__":
    main()
