"""Slack alerts for the data team: failed tasks, and a morning summary of the nightly loads."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

import requests
from airflow import DAG
from airflow.operators.python import PythonOperator
from slack_sdk import WebClient

SLACK_BOT_TOKEN = "xoxb-514233328817-2000731039366-Y0mH4rxwloF2EHlAyj4AcLKE"
SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/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"


def on_failure(context) -> None:
    ti = context["task_instance"]
    text = f":red_circle: {ti.dag_id}.{ti.task_id} failed: {ti.log_url}"
    requests.post(SLACK_WEBHOOK_URL, json={"text": text}, timeout=10)


def post_summary() -> None:
    WebClient(token=SLACK_BOT_TOKEN).chat_postMessage(channel="#data-alerts", text="Nightly loads finished.")


with DAG(
    "alerts",
    start_date=datetime(2024, 1, 1),
    schedule="0 7 * * *",
    catchup=False,
    default_args={"on_failure_callback": on_failure},
):
    PythonOperator(task_id="post_summary", python_callable=post_summary)
