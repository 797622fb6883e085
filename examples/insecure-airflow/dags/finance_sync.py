"""Copies the finance team's ledger into the warehouse every morning and exports a CSV for them."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

import psycopg2
from airflow import DAG
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

FINANCE_DB_PASSWORD = Variable.get("db_password")


def copy_ledger() -> None:
    with psycopg2.connect(
        host="finance-db.internal", dbname="ledger", user="reporting", password=FINANCE_DB_PASSWORD
    ) as conn, conn.cursor() as cur:
        cur.execute("CALL finance.publish_ledger()")


with DAG("finance_sync", start_date=datetime(2024, 1, 1), schedule="0 5 * * *", catchup=False, tags=["finance"]):
    copy = PythonOperator(task_id="copy_ledger", python_callable=copy_ledger)
    export = BashOperator(
        task_id="export_ledger_csv",
        bash_command=(
            "PGPASSWORD='{{ conn.warehouse.password }}' psql -h {{ conn.warehouse.host }} "
            "-U {{ conn.warehouse.login }} -d analytics "
            "-c \"\\copy finance.ledger TO '/shared/finance/ledger_{{ ds_nodash }}.csv' CSV HEADER\""
        ),
    )
    copy >> export
