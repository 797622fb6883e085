"""Pulls new orders from the logistics partner's REST API every hour."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

from airflow import DAG
from airflow.providers.http.operators.http import HttpOperator

with DAG("partner_api", start_date=datetime(2024, 1, 1), schedule="@hourly", catchup=False, tags=["partner"]):
    HttpOperator(
        task_id="fetch_orders",
        http_conn_id="partner_api",
        endpoint="v2/orders?since={{ data_interval_start | ts }}",
        method="GET",
        headers={"Authorization": "Bearer avw8byY0IVt0qvOXsgPsWWhwKAkOrp0yX6OvSlah", "Accept": "application/json"},
        response_filter=lambda response: response.json()["orders"],
        log_response=False,
    )
