"""Exports the daily revenue report to the partner's S3 bucket."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

import boto3
from airflow.decorators import dag, task
from airflow.providers.postgres.hooks.postgres import PostgresHook


@dag(start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False, tags=["partner", "export"])
def s3_export():
    @task
    def build_report(ds=None) -> str:
        path = f"/tmp/revenue_{ds}.csv"
        PostgresHook(postgres_conn_id="warehouse").copy_expert(
            "COPY (SELECT * FROM analytics.daily_revenue) TO STDOUT WITH CSV HEADER", path
        )
        return path

    @task
    def upload(path: str) -> None:
        client = boto3.client(
            "s3",
            aws_access_key_id="AKIAUEAZSPMEV6HCHTJG",
            aws_secret_access_key="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",
            region_name="eu-west-1",
        )
        client.upload_file(path, "partner-drop-acme", f"daily/{path.rsplit('/', 1)[-1]}")

    upload(build_report())


s3_export()
