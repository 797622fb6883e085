//! The values file as an editable tree (`serde_yaml_ng::Value`, which keeps key order), with
//! Helm's merge of one values file over another and the inverse: the smallest overlay that turns
//! the original values into the externalized ones.
//!
//! Helm merges `-f` files key by key: mappings merge recursively, anything else (lists
//! included) replaces, and a `null` deletes the key it lands on. So an overlay holds changed
//! scalars, whole changed lists, and `null` for removed keys.

use std::fmt;

use serde_yaml_ng::{Mapping, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A key path in the values (`airflow.connections[0].password`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    pub fn root() -> KeyPath {
        KeyPath(Vec::new())
    }

    /// Parses the dotted form the HLM rules print: `a.b[2].c`. Keys holding `.`, `[` or `]`
    /// cannot be written this way; code building paths for them uses [`KeyPath::key`].
    pub fn parse(text: &str) -> KeyPath {
        let mut segments = Vec::new();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let (key, mut rest) = match part.find('[') {
                Some(at) => (&part[..at], &part[at..]),
                None => (part, ""),
            };
            if !key.is_empty() {
                segments.push(Segment::Key(key.to_owned()));
            }
            while let Some(inner) = rest.strip_prefix('[') {
                let Some(end) = inner.find(']') else { break };
                if let Ok(index) = inner[..end].parse() {
                    segments.push(Segment::Index(index));
                }
                rest = &inner[end + 1..];
            }
        }
        KeyPath(segments)
    }

    pub fn key(&self, key: &str) -> KeyPath {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    pub fn index(&self, index: usize) -> KeyPath {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    pub fn starts_with(&self, other: &KeyPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if key.contains(['.', '[', ']']) || key.is_empty() => {
                    write!(f, "[{key:?}]")?;
                }
                Segment::Key(key) if n == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The node at `path`.
pub fn get<'v>(root: &'v Value, path: &KeyPath) -> Option<&'v Value> {
    path.0.iter().try_fold(root, |node, segment| match segment {
        Segment::Key(key) => node.as_mapping()?.get(key.as_str()),
        Segment::Index(index) => node.as_sequence()?.get(*index),
    })
}

/// Sets `path` to `value`, creating mappings on the way (a scalar or list in the way is
/// replaced by a mapping: the caller only sets paths the chart defines as mappings).
pub fn set(root: &mut Value, path: &KeyPath, value: Value) {
    let Some((last, parents)) = path.0.split_last() else {
        *root = value;
        return;
    };
    let mut node = root;
    for segment in parents {
        node = match segment {
            Segment::Key(key) => {
                if !node.is_mapping() {
                    *node = Value::Mapping(Mapping::new());
                }
                let Value::Mapping(map) = node else {
                    unreachable!("made a mapping above")
                };
                map.entry(Value::String(key.clone()))
                    .or_insert_with(|| Value::Mapping(Mapping::new()))
            }
            Segment::Index(index) => match node.as_sequence_mut() {
                Some(items) if *index < items.len() => &mut items[*index],
                // Paths come from the values themselves; an index past the end is a bug in
                // the caller, and the edit is dropped rather than inventing list items.
                _ => return,
            },
        };
    }
    match last {
        Segment::Key(key) => {
            if !node.is_mapping() {
                *node = Value::Mapping(Mapping::new());
            }
            if let Value::Mapping(map) = node {
                map.insert(Value::String(key.clone()), value);
            }
        }
        Segment::Index(index) => {
            if let Some(slot) = node.as_sequence_mut().and_then(|s| s.get_mut(*index)) {
                *slot = value;
            }
        }
    }
}

/// Removes the key at `path` (a mapping entry; list items are never removed by path).
pub fn remove(root: &mut Value, path: &KeyPath) {
    let Some((Segment::Key(last), parents)) = path.0.split_last() else {
        return;
    };
    let parent = KeyPath(parents.to_vec());
    if let Some(Value::Mapping(map)) = get_mut(root, &parent) {
        map.remove(last.as_str());
    }
}

pub fn get_mut<'v>(root: &'v mut Value, path: &KeyPath) -> Option<&'v mut Value> {
    path.0.iter().try_fold(root, |node, segment| match segment {
        Segment::Key(key) => node.as_mapping_mut()?.get_mut(key.as_str()),
        Segment::Index(index) => node.as_sequence_mut()?.get_mut(*index),
    })
}

/// Helm's merge of `overlay` over `base` (`helm install -f base -f overlay`).
pub fn merge(base: &Value, overlay: &Value) -> Value {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            let mut out = base.clone();
            for (key, value) in overlay {
                if value.is_null() {
                    out.remove(key);
                    continue;
                }
                let merged = match out.get(key) {
                    Some(existing) => merge(existing, value),
                    None => strip_nulls(value),
                };
                out.insert(key.clone(), merged);
            }
            Value::Mapping(out)
        }
        (_, overlay) => strip_nulls(overlay),
    }
}

/// A new mapping from an overlay keeps no `null` deletions (there is nothing to delete).
fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The smallest overlay with `merge(original, overlay) == changed`, or `None` when they are
/// equal. A key whose value is `null` in `changed` cannot be told from a deleted one by Helm;
/// the overlay deletes it, which Helm treats the same.
pub fn overlay(original: &Value, changed: &Value) -> Option<Value> {
    if original == changed {
        return None;
    }
    match (original, changed) {
        (Value::Mapping(before), Value::Mapping(after)) => {
            let mut out = Mapping::new();
            for (key, value) in after {
                match before.get(key) {
                    Some(old) => {
                        if let Some(diff) = overlay(old, value) {
                            out.insert(key.clone(), diff);
                        }
                    }
                    None => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            for key in before.keys() {
                if !after.contains_key(key) {
                    out.insert(key.clone(), Value::Null);
                }
            }
            Some(Value::Mapping(out))
        }
        (_, changed) => Some(changed.clone()),
    }
}

/// Every leaf path where `a` and `b` differ (a key present in one only counts as its path).
pub fn differences(a: &Value, b: &Value) -> Vec<KeyPath> {
    let mut out = Vec::new();
    walk_differences(a, b, &KeyPath::root(), &mut out);
    out
}

fn walk_differences(a: &Value, b: &Value, at: &KeyPath, out: &mut Vec<KeyPath>) {
    match (a, b) {
        (Value::Mapping(x), Value::Mapping(y)) => {
            for (key, value) in x {
                let path = at.key(&key_text(key));
                match y.get(key) {
                    Some(other) => walk_differences(value, other, &path, out),
                    None => out.push(path),
                }
            }
            for key in y.keys() {
                if !x.contains_key(key) {
                    out.push(at.key(&key_text(key)));
                }
            }
        }
        (Value::Sequence(x), Value::Sequence(y)) if x.len() == y.len() => {
            for (index, (p, q)) in x.iter().zip(y).enumerate() {
                walk_differences(p, q, &at.index(index), out);
            }
        }
        _ if a == b => {}
        _ => out.push(at.clone()),
    }
}

/// A mapping key as text (values files have string keys; numbers and booleans print as YAML).
pub fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => serde_yaml_ng::to_string(other)
            .map(|s| s.trim_end().to_owned())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml_ng::from_str(text).expect("test YAML")
    }

    #[test]
    fn paths_parse_and_print() {
        let path = KeyPath::parse("airflow.connections[2].password");
        assert_eq!(path.to_string(), "airflow.connections[2].password");
        assert_eq!(
            KeyPath::root()
                .key("extraSecrets")
                .key("a.b")
                .key("data")
                .to_string(),
            "extraSecrets[\"a.b\"].data"
        );
    }

    #[test]
    fn overlay_then_merge_gives_the_change() {
        let original = yaml("a: 1\nb: {c: 2, d: [1, 2], e: x}\nf: keep\n");
        let changed = yaml("a: 1\nb: {c: 3, d: [1], g: new}\nf: keep\nh: {i: j}\n");
        let diff = overlay(&original, &changed).expect("they differ");
        assert_eq!(
            diff,
            yaml("b: {c: 3, d: [1], e: null, g: new}\nh: {i: j}\n")
        );
        assert_eq!(merge(&original, &diff), changed);
        assert_eq!(overlay(&original, &original), None);
    }

    #[test]
    fn set_and_remove() {
        let mut values = yaml("a: {b: [{c: 1}, {c: 2}]}\n");
        set(&mut values, &KeyPath::parse("a.b[1].c"), Value::from(5));
        set(&mut values, &KeyPath::parse("x.y"), Value::from("z"));
        set(&mut values, &KeyPath::parse("a.b[9].c"), Value::from(7));
        remove(&mut values, &KeyPath::parse("a.b[0].c"));
        assert_eq!(values, yaml("a: {b: [{}, {c: 5}]}\nx: {y: z}\n"));
        assert_eq!(
            differences(
                &yaml("a: {b: 1, c: [1, 2]}"),
                &yaml("a: {b: 2, c: [1, 3], d: 4}")
            ),
            [
                KeyPath::parse("a.b"),
                KeyPath::parse("a.c[1]"),
                KeyPath::parse("a.d")
            ]
        );
    }
}
