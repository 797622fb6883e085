"""Shared API clients for the DAGs (imported as `include.clients`)."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
import os
import subprocess

from databricks.sdk import WorkspaceClient

DATABRICKS_HOST = "https://adb-9262046161597999.16.azuredatabricks.net"
DATABRICKS_TOKEN = "dapi93f8a853a25a6bba1880decaffb9f87e"

# Used by the dbt task to clone the transformations repository.
GITHUB_TOKEN = "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"
DBT_REPO = f"https://x-access-token:{GITHUB_TOKEN}@github.com/acme-data/dbt-models.git"


def databricks() -> WorkspaceClient:
    return WorkspaceClient(host=DATABRICKS_HOST, token=DATABRICKS_TOKEN)


def clone_dbt_models(target: str) -> None:
    subprocess.run(["git", "clone", "--depth=1", DBT_REPO, target], check=True)


def ci_token() -> str:
    # Fine: read from the environment at run time.
    return os.environ["GITHUB_TOKEN"]
