"""Nightly load from the operational Postgres into the warehouse."""
# Every credential in this project is fabricated for airseal's demonstration; none works anywhere.
from datetime import datetime

from airflow import DAG
from airflow.models import Connection
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from sqlalchemy import create_engine

SOURCE_URI = "postgresql://etl_user:WELK2lbX3LvAzaudFM@orders-db.internal:5432/orders"

warehouse = Connection(
    conn_id="warehouse",
    conn_type="postgres",
    host="warehouse.internal",
    login="loader",
    password="hYQ12pzXqO2tCR!",
    schema="analytics",
)

with DAG("warehouse_etl", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False):
    engine = create_engine(SOURCE_URI)
    SQLExecuteQueryOperator(
        task_id="load_orders",
        conn_id="warehouse",
        sql="INSERT INTO analytics.orders SELECT * FROM staging.orders",
    )
