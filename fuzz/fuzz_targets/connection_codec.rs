//! Reads arbitrary text as a connection URI, as a connection JSON and as an AWS Secrets Manager
//! JSON secret, in both Airflow dialects: never a panic, and whatever parses encodes again and
//! parses again.
#![no_main]

use airseal_connection::{Connection, Dialect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for dialect in [Dialect::Airflow2, Dialect::Airflow3] {
        if let Ok(connection) = Connection::from_uri(text, dialect) {
            let _ = Connection::from_uri(&connection.to_uri(dialect), dialect);
            let _ = Connection::from_json(&connection.to_json(), dialect);
        }
        if let Ok(connection) = Connection::from_json(text, dialect) {
            let _ = Connection::from_uri(&connection.to_uri(dialect), dialect);
        }
        let _ = Connection::from_aws_secret_json(text, &[], dialect);
    }
});
