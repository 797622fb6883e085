"""Pulls orders from the partner's REST API."""
# Every credential in this project is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

from airflow import DAG
from airflow.providers.http.operators.http import HttpOperator

with DAG("partner_api", start_date=datetime(2024, 1, 1), schedule="@hourly", catchup=False):
    HttpOperator(
        task_id="fetch_orders",
        http_conn_id="partner_api",
        endpoint="v2/orders",
        method="GET",
        headers={"Authorization": "Bearer fsv558qYp1cy07Xk2vxtEuDfO2gFhZ94BYg2YOCa"},
    )
