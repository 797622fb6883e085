//! Environment entries of docker-compose files: `environment:` (map and list forms, in services
//! and in `x-*` extensions). Kubernetes container `env` is read by `kubernetes.rs`.

use airseal_yaml::Node;

use crate::settings::EnvEntry;

/// `docker-compose.yml`, `compose.override.yaml`, ...
pub fn is_compose_file(file_name: &str) -> bool {
    (file_name.starts_with("docker-compose") || file_name.starts_with("compose"))
        && (file_name.ends_with(".yml") || file_name.ends_with(".yaml"))
}

/// Whether a YAML file may hold Kubernetes manifests.
pub fn is_yaml(file_name: &str) -> bool {
    file_name.ends_with(".yml") || file_name.ends_with(".yaml")
}

/// Every Airflow environment entry of a compose file's documents: services, and the
/// `x-airflow-common` extension that Airflow's own compose file shares through an anchor
/// (aliases are not expanded, the anchor's definition is read once).
pub fn compose_entries<'a>(text: &'a str, documents: &[Node]) -> Vec<EnvEntry<'a>> {
    let mut out = Vec::new();
    for document in documents {
        compose_environments(text, document, &mut out, 0);
    }
    out
}

fn compose_environments<'a>(text: &'a str, node: &Node, out: &mut Vec<EnvEntry<'a>>, depth: usize) {
    if depth > 64 {
        return;
    }
    for (key, value) in node.entries() {
        if key.as_str() == Some("environment") {
            compose_environment(text, value, out);
        } else {
            compose_environments(text, value, out, depth + 1);
        }
    }
}

fn compose_environment<'a>(text: &'a str, environment: &Node, out: &mut Vec<EnvEntry<'a>>) {
    for (key, value) in environment.entries() {
        if let (Some(name), Node::Scalar { span, line, .. }) = (key.as_str(), value) {
            push(text, out, name, span.clone(), *line);
        }
    }
    for item in environment.items() {
        let Node::Scalar {
            value, span, line, ..
        } = item
        else {
            continue;
        };
        let Some(eq) = value.find('=') else {
            continue;
        };
        // The value's bytes: after `=` within the scalar (exact for plain and unescaped scalars).
        let start = (span.start + eq + 1).min(span.end);
        let name = &value[..eq];
        push(text, out, name.trim(), start..span.end, *line);
    }
}

fn push<'a>(
    text: &'a str,
    out: &mut Vec<EnvEntry<'a>>,
    name: &str,
    span: std::ops::Range<usize>,
    line: usize,
) {
    let wanted = name.starts_with("AIRFLOW__")
        || name.starts_with("AIRFLOW_CONN_")
        || name.starts_with("AIRFLOW_VAR_");
    let Some(value) = text.get(span.clone()).filter(|_| wanted) else {
        return;
    };
    out.push(EnvEntry {
        name: name.to_owned().into(),
        value,
        value_span: span,
        line,
    });
}
