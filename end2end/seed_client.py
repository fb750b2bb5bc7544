"""Runs the seed's polling client (seed_example_3.py, verbatim) against a running portal.

The client's addresses are placeholders the seed leaves to the reader: `http://localhost:8000`
becomes SHAREPACK_URL and `https://adb-xxx.azuredatabricks.net` the portal's default workspace.
The pack is samples/valid/minimal.yaml with names of its own. The only change to the client is
an `Authorization: Bearer` header with SHAREPACK_TOKEN. Exits 0 when the client reports success.
"""
import io
import json
import os
import random
import string
import sys
import tempfile
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

os.chdir(tempfile.mkdtemp())
Path("sharepack.yaml").write_text(pack)
output = io.StringIO()
with redirect_stdout(output):
    exec(compile(code, "seed_example_3.py", "exec"), {"TOKEN": token})
print(output.getvalue(), end="")
sys.exit(0 if "provisioned successfully" in output.getvalue() else 1)
