"""Pushes the daily shipment file to the logistics partner over SFTP (key-based login)."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

from airflow import DAG
from airflow.providers.sftp.operators.sftp import SFTPOperator

# Password of the throwaway SFTP container the integration test starts; reviewed and accepted
# in DATA-412, it is valid nowhere else.
LOCAL_SFTP_TEST_PASSWORD = "HDn42SkAV50q"  # airseal: ignore[DAG002]

with DAG("legacy_sync", start_date=datetime(2024, 1, 1), schedule="0 6 * * *", catchup=False, tags=["partner"]):
    SFTPOperator(
        task_id="push_shipments",
        ssh_conn_id="partner_sftp",
        local_filepath="/opt/airflow/data/shipments_{{ ds_nodash }}.csv",
        remote_filepath="/inbound/shipments_{{ ds_nodash }}.csv",
        operation="put",
    )
