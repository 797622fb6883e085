"""Weekly revenue report. The way it should be done: no credentials in code; the "warehouse"
connection and the recipients Variable come from the secrets backend at run time."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

from airflow import DAG
from airflow.hooks.base import BaseHook
from airflow.operators.email import EmailOperator
from airflow.operators.python import PythonOperator
from airflow.providers.postgres.hooks.postgres import PostgresHook


def build_report(ds: str) -> str:
    conn = BaseHook.get_connection("warehouse")
    hook = PostgresHook(postgres_conn_id=conn.conn_id)
    rows = hook.get_records(
        "SELECT region, SUM(total) FROM analytics.orders WHERE order_date > %s::date - 7 GROUP BY 1",
        parameters=(ds,),
    )
    return "\n".join(f"{region}: {total:,.2f}" for region, total in rows)


with DAG("reporting", start_date=datetime(2024, 1, 1), schedule="@weekly", catchup=False, tags=["reporting"]):
    report = PythonOperator(task_id="build_report", python_callable=build_report)
    mail = EmailOperator(
        task_id="send_report",
        to="{{ var.value.report_recipients }}",
        subject="Weekly revenue {{ ds }}",
        html_content="<pre>{{ ti.xcom_pull(task_ids='build_report') }}</pre>",
    )
    report >> mail
