"""Shared API clients for the DAGs."""
# Every credential in this project is fabricated for airseal's demonstration; none works anywhere.
import os

from databricks.sdk import WorkspaceClient

DATABRICKS_HOST = "https://adb-4471203518836215.15.azuredatabricks.net"
DATABRICKS_TOKEN = "dapif7d3cd047f1fabde8d50701f7f814520"

# Used by the dbt sync task to clone the transformations repository.
GITHUB_TOKEN = "ghp_xoZsiW3kEueQqNufA3wTkvpAaWTTqu2glVhq"
DBT_REPO = f"https://x-access-token:{GITHUB_TOKEN}@github.com/acme-data/dbt-models.git"


def databricks() -> WorkspaceClient:
    return WorkspaceClient(host=DATABRICKS_HOST, token=DATABRICKS_TOKEN)


def github_token() -> str:
    # Fine: read from the environment at run time.
    return os.environ["GITHUB_TOKEN"]
