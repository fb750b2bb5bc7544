# The seed's "Example 3: Python Client" (seed 001), verbatim. seed_client.py runs it against a
# portal, replacing only the two addresses the seed leaves to the reader.
import requests
import time

# Upload share pack
url = "http://localhost:8000/workflow/sharepack/upload"
headers = {"X-Workspace-URL": "https://adb-xxx.azuredatabricks.net"}
files = {"file": open("sharepack.yaml", "rb")}

response = requests.post(url, headers=headers, files=files)
result = response.json()

share_pack_id = result["SharePackId"]
print(f"Share pack uploaded: {share_pack_id}")
print(f"Status: {result['Status']}")

# Poll for completion
status_url = f"http://localhost:8000/workflow/sharepack/{share_pack_id}"

while True:
    response = requests.get(status_url, headers=headers)
    status = response.json()

    print(f"Current status: {status['Status']}")
    print(f"Provisioning: {status['ProvisioningStatus']}")

    if status["Status"] in ["COMPLETED", "FAILED", "VALIDATION_FAILED"]:
        break

    time.sleep(5)  # Poll every 5 seconds

if status["Status"] == "COMPLETED":
    print("✅ Share pack provisioned successfully!")
else:
    print(f"❌ Failed: {status['ErrorMessage']}")
