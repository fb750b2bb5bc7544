"""After a full browser run: no secret the tests saw is in the portal's log or its database.

Reads end2end/results/secrets.json (password, tokens, session ids, invitation and setup links
the browser tests saw), extra tokens from the command line (the CLI's), the portal's log, and
the database: every table of the SQLite file (SHAREPACK_SQLITE) or a PostgreSQL dump
(SHAREPACK_PG_DUMP). The first administrator's setup link is the one secret the log holds, once,
by design; after use it is dead (the browser tests check that).
"""
import json
import os
import sqlite3
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
secrets = json.loads((here / "results" / "secrets.json").read_text())
log = Path(os.environ["SHAREPACK_LOG"]).read_text(errors="replace")

if os.environ.get("SHAREPACK_SQLITE"):
    connection = sqlite3.connect(os.environ["SHAREPACK_SQLITE"])
    parts = []
    for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in connection.execute(f'SELECT * FROM "{table}"'):
            for value in row:
                if isinstance(value, bytes):
                    value = value.decode("utf-8", errors="replace")
                parts.append(str(value))
    database = "\n".join(parts)
else:
    database = Path(os.environ["SHAREPACK_PG_DUMP"]).read_text(errors="replace")

named = [("password", secrets["password"])]
named += [("token", token) for token in secrets["tokens"] + sys.argv[1:]]
named += [("session id", session) for session in secrets["sessions"]]
named += [("invitation link", link.rsplit("/", 1)[-1]) for link in secrets["invitations"]]
problems = []
for what, secret in named:
    for place, text in (("log", log), ("database", database)):
        if secret in text:
            problems.append(f"a {what} ({secret[:6]}…) is in the {place}")
for link in secrets["setup"]:
    secret = link.rsplit("/", 1)[-1]
    if log.count(secret) != 1:
        problems.append(f"the setup link is in the log {log.count(secret)} times, not once")
    if secret in database:
        problems.append("the setup link is in the database")
checked = len(named) + len(secrets["setup"])
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"secrets: none of {checked} secrets is in the log ({len(log)} bytes) or the database ({len(database)} bytes) beyond the one setup-link line")
