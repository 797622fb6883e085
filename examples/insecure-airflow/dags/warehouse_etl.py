"""Nightly load of yesterday's orders from the operational Postgres into the Snowflake warehouse."""
# Every credential in this folder is fabricated for airseal's demonstration; none works anywhere.
import os
from datetime import datetime

import pandas as pd
from airflow import DAG
from airflow.models import Connection
from airflow.operators.python import PythonOperator
from airflow.providers.snowflake.hooks.snowflake import SnowflakeHook
from sqlalchemy import create_engine

ORDERS_DB_URI = "postgresql://etl_user:adFTyHe09fsXGu2CIK@orders-db.internal:5432/orders"

# TODO(DATA-217): move to Vault once the platform team has set it up.
warehouse = Connection(
    conn_id="snowflake_warehouse",
    conn_type="snowflake",
    login="LOADER",
    password="ND75xcoFAn%QfbBX8*",
    schema="RAW",
    extra={"account": "acme-xy12345", "warehouse": "LOAD_WH", "database": "ANALYTICS", "role": "LOADER"},
)
os.environ["AIRFLOW_CONN_SNOWFLAKE_WAREHOUSE"] = warehouse.get_uri()


def load_orders(ds: str) -> None:
    query = "SELECT * FROM orders WHERE created_at::date = %(ds)s"
    orders = pd.read_sql(query, create_engine(ORDERS_DB_URI), params={"ds": ds})
    engine = SnowflakeHook(snowflake_conn_id=warehouse.conn_id).get_sqlalchemy_engine()
    with engine.begin() as target:
        orders.to_sql("orders", target, schema="RAW", if_exists="append", index=False)


with DAG("warehouse_etl", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False, tags=["warehouse"]):
    PythonOperator(task_id="load_orders", python_callable=load_orders)
