"""Runs the seed's polling client (seed_example_3.py, verbatim) against a running portal.

The client's addresses are placeholders the seed leaves to the reader: `http://localhost:8000`
becomes SHAREPACK_URL and `https://adb-xxx.azuredatabricks.net` the portal's default workspace.
The pack is samples/valid/minimal.yaml with names of its own. The only change to the client is
an `Authorization: Bearer` header with SHAREPACK_TOKEN. Exits 0 when the client reports success.

With SHAREPACK_APPROVER_TOKEN (someone else's, with the read and approve scopes), the pack's plan waits for
approval: a second person, in a thread, finds it in `GET /workflow/approvals` while the seed's
client keeps polling (its Status reads IN_PROGRESS throughout) and approves it over REST. The
client must then have polled through the wait to success.
"""
import io
import json
import os
import random
import string
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import redirect_stdout
from pathlib import Path

here = Path(__file__).resolve().parent
base = os.environ.get("SHAREPACK_URL", "http://127.0.0.1:3000").rstrip("/")
token = os.environ["SHAREPACK_TOKEN"]
with urllib.request.urlopen(f"{base}/workflow/health") as response:
    workspace = json.load(response)["Workspace"]["Url"]
tag = "".join(random.choices(string.ascii_lowercase, k=6))
pack = (here.parent / "samples/valid/minimal.yaml").read_text()
pack = pack.replace("partner", f"seed-partner-{tag}").replace("minimal_share", f"seed_share_{tag}").replace("Minimal", f"Seed client {tag}")
code = (here / "seed_example_3.py").read_text()
code = code.replace("http://localhost:8000", base).replace("https://adb-xxx.azuredatabricks.net", workspace)
# The one change to the seed's code: it sends an API token.
sent = code.replace('headers = {"X-Workspace-URL"', 'headers = {"Authorization": "Bearer " + TOKEN, "X-Workspace-URL"')
assert sent != code, "the seed's headers line moved"
code = sent

approver = os.environ.get("SHAREPACK_APPROVER_TOKEN")
approved = []


def call(method, path, token, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def approve_when_waiting():
    """The second person: waits for the client's plan in their queue, checks what the seed's
    status endpoint says of it meanwhile, and approves it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not approved:
        for row in call("GET", "/workflow/approvals", approver)["Approvals"]:
            # The client's pack: Ann's, on the sample's business line (no other test makes one).
            if (row["RequestedBy"], row["BusinessLine"]) != ("ann@example.com", "Examples"):
                continue
            status = call("GET", f"/workflow/sharepack/{row['SharePackId']}", approver)
            assert status["Status"] == "IN_PROGRESS" and status["RunStatus"] == "AWAITING_APPROVAL", status
            answer = call("POST", f"/workflow/runs/{row['RunId']}/approve", approver, {"Comment": "approved by the seed client test"})
            assert answer["RunStatus"] == "QUEUED", answer
            approved.append(row["RunId"])
        time.sleep(0.5)


if approver:
    threading.Thread(target=approve_when_waiting, daemon=True).start()

os.chdir(tempfile.mkdtemp())
Path("sharepack.yaml").write_text(pack)
output = io.StringIO()
with redirect_stdout(output):
    exec(compile(code, "seed_example_3.py", "exec"), {"TOKEN": token})
print(output.getvalue(), end="")
ok = "provisioned successfully" in output.getvalue()
if approver:
    # The plan waited, the client kept polling through the wait, and one approval released it.
    ok = ok and len(approved) == 1 and "Provisioning: Waiting for approval" in output.getvalue()
    print(f"approved by a second person over REST: {approved}")
sys.exit(0 if ok else 1)
