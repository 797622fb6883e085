"""Posts failed-task alerts to the data team's Slack channel."""
# Every credential in this project is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

import requests
from airflow import DAG
from airflow.operators.python import PythonOperator

SLACK_BOT_TOKEN = "xoxb-998142494947-3685261935735-MscdSg2el2jI7igHILUO0TDX"
WEBHOOK_URL = "https://hooks.slack.com/services/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"


def notify(context):
    requests.post(WEBHOOK_URL, json={"text": f"Task failed: {context['task_instance'].task_id}"})


with DAG("alerts", start_date=datetime(2024, 1, 1), schedule=None, on_failure_callback=notify):
    PythonOperator(task_id="heartbeat", python_callable=lambda: None)
