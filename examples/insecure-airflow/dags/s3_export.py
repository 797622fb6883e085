"""Exports the daily report to the partner's S3 bucket."""
# Every credential in this project is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

import boto3
from airflow.decorators import dag, task


@dag(start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False)
def s3_export():
    @task
    def upload(path: str = "/tmp/report.csv") -> None:
        client = boto3.client(
            "s3",
            aws_access_key_id="AKIATRWS4PN6KI2H7ABS",
            aws_secret_access_key="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",
            region_name="eu-west-1",
        )
        client.upload_file(path, "partner-drop", "daily/report.csv")

    upload()


s3_export()
