//! Which Airflow chart a values file is for, from its shape: the User-Community chart
//! (airflow-helm/charts) nests Airflow under `airflow:` and has `web:` / `externalDatabase:`;
//! the official chart (apache/airflow) has `defaultAirflowRepository`, `data.metadataConnection`,
//! top-level `fernetKey`. Keys unique to one chart weigh 2, shared-looking ones 1; a file needs 2
//! to count, so one stray `airflow:` key in some other YAML is not a values file.

use airseal_yaml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    /// airflow-helm/charts `charts/airflow`.
    UserCommunity,
    /// apache/airflow `chart/`.
    Official,
}

impl Chart {
    pub fn name(self) -> &'static str {
        match self {
            Chart::UserCommunity => "User-Community chart",
            Chart::Official => "official chart",
        }
    }

    /// `--chart user-community|official`.
    pub fn parse(text: &str) -> Option<Chart> {
        match text {
            "user-community" | "community" | "airflow-helm" => Some(Chart::UserCommunity),
            "official" | "apache" | "apache-airflow" => Some(Chart::Official),
            _ => None,
        }
    }
}

/// (key path, weight).
const USER_COMMUNITY: &[(&str, u32)] = &[
    ("airflow.legacyCommands", 2),
    ("airflow.usersTemplates", 2),
    ("airflow.connectionsTemplates", 2),
    ("airflow.variablesTemplates", 2),
    ("airflow.fernetKey", 2),
    ("airflow.webserverSecretKey", 2),
    ("airflow.users", 1),
    ("airflow.connections", 1),
    ("airflow.config", 1),
    ("airflow.image", 1),
    ("airflow.executor", 1),
    ("externalDatabase", 1),
    ("externalRedis", 1),
    ("web", 1),
];

const OFFICIAL: &[(&str, u32)] = &[
    ("defaultAirflowRepository", 2),
    ("defaultAirflowTag", 2),
    ("airflowVersion", 1),
    ("data.metadataConnection", 2),
    ("data.metadataSecretName", 2),
    ("fernetKeySecretName", 2),
    ("webserverSecretKeySecretName", 2),
    ("enableBuiltInSecretEnvVars", 2),
    ("createUserJob", 2),
    ("migrateDatabaseJob", 2),
    ("fernetKey", 1),
    ("webserverSecretKey", 1),
    ("executor", 1),
    ("images.airflow", 1),
    ("apiServer", 1),
    ("webserver.defaultUser", 1),
    ("dagProcessor", 1),
];

/// The chart whose values `root` looks like, if either.
pub fn detect(root: &Node) -> Option<Chart> {
    let score = |signals: &[(&str, u32)]| -> u32 {
        signals
            .iter()
            .filter(|(path, _)| lookup(root, path).is_some())
            .map(|(_, weight)| weight)
            .sum()
    };
    let (community, official) = (score(USER_COMMUNITY), score(OFFICIAL));
    if community.max(official) < 2 || community == official {
        return None;
    }
    Some(if community > official {
        Chart::UserCommunity
    } else {
        Chart::Official
    })
}

/// The node at a plain dotted path (`data.metadataConnection.pass`).
pub fn lookup<'n>(root: &'n Node, path: &str) -> Option<&'n Node> {
    path.split('.').try_fold(root, |node, key| node.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart_of(text: &str) -> Option<Chart> {
        let docs = airseal_yaml::parse_documents(text).unwrap_or_default();
        docs.first().and_then(detect)
    }

    #[test]
    fn shapes() {
        assert_eq!(
            chart_of("airflow:\n  legacyCommands: true\n  image: {}\n"),
            Some(Chart::UserCommunity)
        );
        assert_eq!(
            chart_of("defaultAirflowRepository: apache/airflow\nfernetKey: ~\n"),
            Some(Chart::Official)
        );
        assert_eq!(chart_of("airflow:\n  image: {}\n"), None);
        assert_eq!(chart_of("web:\n  port: 8080\nexecutor: x\n"), None);
    }
}
