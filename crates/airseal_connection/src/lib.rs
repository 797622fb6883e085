//! Airflow connections as Airflow encodes them: the model ([`Connection`]), the URI form of
//! `AIRFLOW_CONN_*` and the secrets backends, and the JSON form Airflow ≥ 2.3 prefers — each
//! byte for byte as `airflow.models.Connection` writes and reads it (proved against the real
//! Airflow 2.10 and 3.x by scripts/connection-roundtrip.py).

mod connection;
pub mod python;

pub use connection::{CodecError, Connection, Dialect, normalize_conn_type, with_credentials};
