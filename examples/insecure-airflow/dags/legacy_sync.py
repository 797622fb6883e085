"""Legacy FTP sync; its integration test talks to a throwaway local server."""
# Every credential in this project is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator

# The local test server's password; reviewed and accepted (ticket DATA-412).
test_password = "qpoRsdLed6XR"  # airseal: ignore[KEY900]

with DAG("legacy_sync", start_date=datetime(2024, 1, 1), schedule=None):
    EmptyOperator(task_id="noop")
