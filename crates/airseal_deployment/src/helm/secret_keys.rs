//! The plain-text secret keys of both charts' values and the secure alternative of each, from
//! the charts' own values.yaml and docs (../shared/docs/airflow-secrets.md §8–9, checked against
//! airflow-helm/charts 8.x and apache/airflow chart 1.11–1.18). `HLM001` reports a real value at
//! any of these keys, `HLM002` a value that is the chart's own public default.

use super::chart::Chart;

/// How the secret sits at the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The whole scalar is the secret.
    Whole,
    /// A URI: only a password inside is secret (`data.brokerUrl`).
    UriPassword,
    /// A connection's `extra` (JSON string or mapping): credential keys inside are secret.
    ConnectionExtra,
    /// `{key, value}` list items: the value is secret when the key's name says so.
    VariableValue,
    /// A chart-managed Secret's `data` / `stringData` (a YAML string or a mapping): every
    /// entry is secret; `data` entries are base64 and decoded before judging.
    SecretData,
}

/// When a key is not used by the chart, so its default value is dead (but a real secret
/// written there is still exposed).
#[derive(Debug, Clone, Copy)]
pub enum Unused {
    /// The secure alternative at this path is set.
    Set(&'static str),
    /// This path is `false` (`postgresql.enabled: false`).
    False(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct SecretKey {
    pub chart: Chart,
    /// Pattern for [`super::resolve`].
    pub path: &'static str,
    /// What the secret is, for the message.
    pub what: &'static str,
    /// The secure alternative, for the fix.
    pub instead: &'static str,
    /// The chart's own default for this key, public to everyone.
    pub public_defaults: &'static [&'static str],
    pub unused_when: &'static [Unused],
    pub kind: Kind,
}

const UC: Chart = Chart::UserCommunity;
const OFFICIAL: Chart = Chart::Official;

const fn key(
    chart: Chart,
    path: &'static str,
    what: &'static str,
    instead: &'static str,
) -> SecretKey {
    SecretKey {
        chart,
        path,
        what,
        instead,
        public_defaults: &[],
        unused_when: &[],
        kind: Kind::Whole,
    }
}

/// The User-Community chart's fixed default fernet key (charts/airflow/values.yaml).
pub const USER_COMMUNITY_DEFAULT_FERNET_KEY: &str = "7T512UXSSmBOkpWimFHIVb8jK6lfmSAvx4mO6Arehnc=";

pub const SECRET_KEYS: &[SecretKey] = &[
    // User-Community chart (airflow-helm/charts).
    SecretKey {
        public_defaults: &[USER_COMMUNITY_DEFAULT_FERNET_KEY],
        ..key(
            UC,
            "airflow.fernetKey",
            "the fernet key (decrypts every connection password in the metadata database)",
            "set `airflow.fernetKey: \"\"` and give `AIRFLOW__CORE__FERNET_KEY` from a Kubernetes Secret in `airflow.extraEnv` (`valueFrom.secretKeyRef`), or `airflow.config.AIRFLOW__CORE__FERNET_KEY_CMD` / `_SECRET`",
        )
    },
    SecretKey {
        public_defaults: &["THIS IS UNSAFE!"],
        ..key(
            UC,
            "airflow.webserverSecretKey",
            "the webserver secret key (signs session cookies)",
            "set `airflow.webserverSecretKey: \"\"` and give `AIRFLOW__WEBSERVER__SECRET_KEY` from a Kubernetes Secret in `airflow.extraEnv` (`valueFrom.secretKeyRef`), or `AIRFLOW__WEBSERVER__SECRET_KEY_CMD` / `_SECRET`",
        )
    },
    SecretKey {
        public_defaults: &["admin"],
        ..key(
            UC,
            "airflow.users[].password",
            "a web UI user's password",
            "`airflow.usersTemplates` (`{ADMIN_PASSWORD: {kind: secret, name: <secret>, key: <key>}}`) and `password: ${ADMIN_PASSWORD}`",
        )
    },
    key(
        UC,
        "airflow.connections[].password",
        "a connection's password",
        "`airflow.connectionsTemplates` (`{DB_PASSWORD: {kind: secret, name: <secret>, key: <key>}}`) and `password: ${DB_PASSWORD}`, or keep the connection in the secrets backend only",
    ),
    SecretKey {
        kind: Kind::ConnectionExtra,
        ..key(
            UC,
            "airflow.connections[].extra",
            "credentials in a connection's extra",
            "`airflow.connectionsTemplates` and `${NAME}` references inside `extra`, or keep the connection in the secrets backend only",
        )
    },
    SecretKey {
        kind: Kind::VariableValue,
        ..key(
            UC,
            "airflow.variables[]",
            "the value of a secret-named Variable",
            "`airflow.variablesTemplates` (`{NAME: {kind: secret, name: <secret>, key: <key>}}`) and `value: ${NAME}`, or keep the Variable in the secrets backend only",
        )
    },
    key(
        UC,
        "externalDatabase.password",
        "the metadata database password",
        "`externalDatabase.passwordSecret` / `passwordSecretKey`",
    ),
    key(
        UC,
        "externalRedis.password",
        "the Redis password",
        "`externalRedis.passwordSecret` / `passwordSecretKey`",
    ),
    SecretKey {
        public_defaults: &["airflow"],
        unused_when: &[
            Unused::False("postgresql.enabled"),
            Unused::Set("postgresql.existingSecret"),
        ],
        ..key(
            UC,
            "postgresql.postgresqlPassword",
            "the bundled PostgreSQL's password",
            "`postgresql.existingSecret` / `existingSecretKey`",
        )
    },
    SecretKey {
        public_defaults: &["airflow"],
        unused_when: &[
            Unused::False("redis.enabled"),
            Unused::Set("redis.existingSecret"),
        ],
        ..key(
            UC,
            "redis.password",
            "the bundled Redis's password",
            "`redis.existingSecret` / `existingSecretPasswordKey`",
        )
    },
    // Official chart (apache/airflow).
    key(
        OFFICIAL,
        "fernetKey",
        "the fernet key (decrypts every connection password in the metadata database)",
        "`fernetKeySecretName` (a Secret with key `fernet-key`)",
    ),
    key(
        OFFICIAL,
        "webserverSecretKey",
        "the webserver secret key (signs session cookies)",
        "`webserverSecretKeySecretName` (a Secret with key `webserver-secret-key`)",
    ),
    key(
        OFFICIAL,
        "apiSecretKey",
        "the API server secret key",
        "`apiSecretKeySecretName` (an existing Secret)",
    ),
    key(
        OFFICIAL,
        "jwtSecret",
        "the JWT signing secret (Airflow 3 task and API tokens)",
        "`jwtSecretName` (an existing Secret)",
    ),
    SecretKey {
        public_defaults: &["postgres"],
        unused_when: &[Unused::Set("data.metadataSecretName")],
        ..key(
            OFFICIAL,
            "data.metadataConnection.pass",
            "the metadata database password",
            "`data.metadataSecretName` (a Secret whose key `connection` holds the whole URI)",
        )
    },
    SecretKey {
        unused_when: &[Unused::Set("data.resultBackendSecretName")],
        ..key(
            OFFICIAL,
            "data.resultBackendConnection.pass",
            "the Celery result backend's database password",
            "`data.resultBackendSecretName` (a Secret whose key `connection` holds the URI)",
        )
    },
    SecretKey {
        kind: Kind::UriPassword,
        unused_when: &[Unused::Set("data.brokerUrlSecretName")],
        ..key(
            OFFICIAL,
            "data.brokerUrl",
            "the Celery broker's password",
            "`data.brokerUrlSecretName` (a Secret whose key `connection` holds the URL)",
        )
    },
    key(
        OFFICIAL,
        "redis.password",
        "the Redis password",
        "`redis.passwordSecretName`",
    ),
    SecretKey {
        public_defaults: &["postgres"],
        unused_when: &[
            Unused::False("postgresql.enabled"),
            Unused::Set("postgresql.auth.existingSecret"),
        ],
        ..key(
            OFFICIAL,
            "postgresql.auth.postgresPassword",
            "the bundled PostgreSQL's superuser password",
            "`postgresql.auth.existingSecret`",
        )
    },
    SecretKey {
        unused_when: &[
            Unused::False("postgresql.enabled"),
            Unused::Set("postgresql.auth.existingSecret"),
        ],
        ..key(
            OFFICIAL,
            "postgresql.auth.password",
            "the bundled PostgreSQL's user password",
            "`postgresql.auth.existingSecret`",
        )
    },
    SecretKey {
        public_defaults: &["admin"],
        unused_when: &[
            Unused::False("webserver.defaultUser.enabled"),
            Unused::False("createUserJob.enabled"),
        ],
        ..key(
            OFFICIAL,
            "webserver.defaultUser.password",
            "the default admin user's password (passed as `-p` in the create-user Job's arguments)",
            "`webserver.defaultUser.enabled: false` and users created out of band with a password from a Secret, or an SSO auth manager",
        )
    },
    key(
        OFFICIAL,
        "flower.password",
        "Flower's basic-auth password",
        "`flower.secretName` (an existing Secret)",
    ),
    key(
        OFFICIAL,
        "elasticsearch.connection.pass",
        "the Elasticsearch password",
        "`elasticsearch.secretName` (a Secret whose key `connection` holds the URI)",
    ),
    key(
        OFFICIAL,
        "opensearch.connection.pass",
        "the OpenSearch password",
        "`opensearch.secretName` (a Secret whose key `connection` holds the URI)",
    ),
    key(
        OFFICIAL,
        "registry.connection.pass",
        "the image registry password",
        "`registry.secretName` or `imagePullSecrets`",
    ),
    key(
        OFFICIAL,
        "dags.gitSync.sshKey",
        "git-sync's SSH private key",
        "`dags.gitSync.sshKeySecret` (a Secret with key `gitSshKey`)",
    ),
    key(
        OFFICIAL,
        "kerberos.keytabBase64Content",
        "the Kerberos keytab",
        "a Secret named `<release>-kerberos-keytab` created out of band (key `kerberos.keytab`)",
    ),
    SecretKey {
        kind: Kind::SecretData,
        ..key(
            OFFICIAL,
            "extraSecrets.*.data",
            "data of a chart-managed Secret",
            "a Secret created out of band (External Secrets Operator, Sealed Secrets, the secrets backend) and referenced with `secret:` / `extraEnvFrom`",
        )
    },
    SecretKey {
        kind: Kind::SecretData,
        ..key(
            OFFICIAL,
            "extraSecrets.*.stringData",
            "data of a chart-managed Secret",
            "a Secret created out of band (External Secrets Operator, Sealed Secrets, the secrets backend) and referenced with `secret:` / `extraEnvFrom`",
        )
    },
];

/// The keys of one chart.
pub fn of(chart: Chart) -> impl Iterator<Item = &'static SecretKey> {
    SECRET_KEYS.iter().filter(move |k| k.chart == chart)
}
