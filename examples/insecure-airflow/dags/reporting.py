"""Weekly reporting: the way it should be done. The connection lives in the secrets backend."""
from datetime import datetime

from airflow import DAG
from airflow.hooks.base import BaseHook
from airflow.operators.python import PythonOperator


def build_report():
    conn = BaseHook.get_connection("warehouse")
    return f"{conn.host}/{conn.schema}"


with DAG("reporting", start_date=datetime(2024, 1, 1), schedule="@weekly", catchup=False):
    PythonOperator(task_id="build_report", python_callable=build_report)
