//! `plan`, `apply` and `verify`: what the store holds for each source secret, writing what is
//! missing or different, and reading everything back. Reports carry names, ids, locations and
//! fingerprints ([`SecretValue::fingerprint`]), never values.
//!
//! `apply` is idempotent and resumable without a journal: nothing is written over a stored
//! value without comparing it first (a secret the plan saw absent is created with a call the
//! store refuses when the name is taken, and only then read), and an equal value is left
//! alone, so a re-run after a failure or a kill part-way writes exactly what is still missing,
//! and never a second copy (stores write one name per secret; Secrets Manager's request tokens
//! make a retried write the same version).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use airseal_stores::{
    SecretKind, SecretStore, SecretValue, StoreError, WriteContext, WriteOutcome,
};
use serde::Serialize;

use crate::sources::{Origin, SourceSecret, Sources};

/// Airflow's `sanitize_conn_id` (`^[\w#!()\-.:/\\]{1,}$`, at most 250 characters).
const CONN_ID_MAX_LEN: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    /// A different value is stored and `--overwrite` was not given.
    Conflict,
    /// Not migrated: the backend never looks it up, or the store cannot hold it here.
    Skip,
    /// Not migrated: the sources disagree, or Airflow would reject the id.
    Invalid,
    /// The store could not be read for it.
    Error,
}

/// One secret's line in a plan or a result.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub kind: &'static str,
    pub id: String,
    /// The name in the store (`airflow/connections/warehouse`).
    pub name: Option<String>,
    pub action: Action,
    /// Fingerprint of the source value.
    pub fingerprint: String,
    /// Fingerprint of what the store holds now, when it holds something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_fingerprint: Option<String>,
    /// Every place the value was read from (`path:line (written as)`).
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A source secret with the places it came from, after merging duplicates.
#[derive(Debug, Clone)]
pub struct Planned {
    pub item: Item,
    pub kind: SecretKind,
    pub value: Option<SecretValue>,
    pub origins: Vec<SourceSecret>,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub planned: Vec<Planned>,
}

impl Plan {
    pub fn items(&self) -> Vec<Item> {
        self.planned.iter().map(|p| p.item.clone()).collect()
    }
}

/// Why Airflow would refuse `id` for `kind`, if it would.
pub fn id_problem(kind: SecretKind, id: &str) -> Option<String> {
    if id.chars().count() > CONN_ID_MAX_LEN {
        return Some(format!(
            "ids longer than {CONN_ID_MAX_LEN} characters are refused by Airflow"
        ));
    }
    match kind {
        SecretKind::Connection => {
            let allowed = |c: char| c.is_alphanumeric() || "_#!()-.:/\\".contains(c);
            (id.is_empty() || !id.chars().all(allowed)).then(|| {
                "Airflow refuses this connection id (`sanitize_conn_id`: letters, digits and _#!()-.:/\\ only)".to_owned()
            })
        }
        SecretKind::Variable | SecretKind::Config => (id.trim().is_empty() || id.trim() != id)
            .then(|| "empty or space-padded key".to_owned()),
    }
}

/// Runs `work` over `0..count` on `concurrency` threads (at least one), in no fixed order.
pub fn run_parallel(count: usize, concurrency: usize, work: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    let threads = concurrency.clamp(1, count.max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        break;
                    }
                    work(index);
                }
            });
        }
    });
}

/// `indices` grouped by kind (a batch read is of one kind) and cut into batches of `size`.
fn batches_by_kind<T>(
    items: &[T],
    indices: &[usize],
    size: usize,
    kind_of: impl Fn(&T) -> SecretKind,
) -> Vec<Vec<usize>> {
    let mut by_kind: Vec<(SecretKind, Vec<usize>)> = Vec::new();
    for &index in indices {
        let kind = kind_of(&items[index]);
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, group)) => group.push(index),
            None => by_kind.push((kind, vec![index])),
        }
    }
    by_kind
        .into_iter()
        .flat_map(|(_, group)| {
            group
                .chunks(size.max(1))
                .map(<[usize]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The kind and ids of one batch of planned secrets.
fn batch_ids(cells: &[Mutex<Planned>], indices: &[usize]) -> Option<(SecretKind, Vec<String>)> {
    let mut kind = None;
    let mut ids = Vec::with_capacity(indices.len());
    for &index in indices {
        let planned = cells[index].lock().ok()?;
        kind = Some(planned.kind);
        ids.push(planned.item.id.clone());
    }
    Some((kind?, ids))
}

fn describe_origin(secret: &SourceSecret) -> String {
    format!("{} ({})", secret.location(), secret.written_as)
}

/// Groups the sources by secret and asks the store what it holds for each.
pub fn plan(
    sources: &Sources,
    store: &dyn SecretStore,
    overwrite: bool,
    concurrency: usize,
) -> Plan {
    let mut planned: Vec<Planned> = Vec::new();
    for secret in &sources.secrets {
        let fingerprint = secret.value.fingerprint(secret.kind, &secret.id);
        if let Some(existing) = planned
            .iter_mut()
            .find(|p| p.kind == secret.kind && p.item.id == secret.id)
        {
            existing.item.sources.push(describe_origin(secret));
            existing.origins.push(secret.clone());
            if existing.item.fingerprint == fingerprint || existing.item.action == Action::Invalid {
                continue;
            }
            // An option set both in airflow.cfg and in the environment: Airflow uses the
            // environment's value, and the airflow.cfg line is dead (and deleted all the same).
            let from_cfg = |s: &SourceSecret| s.written_as.starts_with('[');
            let all_cfg_before = existing.origins[..existing.origins.len() - 1]
                .iter()
                .all(from_cfg);
            if secret.kind == SecretKind::Config && all_cfg_before && !from_cfg(secret) {
                existing.item.fingerprint = fingerprint;
                existing.value = Some(secret.value.clone());
                existing.item.reason = Some(
                    "the environment's value, which Airflow uses over airflow.cfg's".to_owned(),
                );
                continue;
            }
            if secret.kind == SecretKind::Config
                && from_cfg(secret)
                && !existing.origins.iter().all(from_cfg)
            {
                continue;
            }
            existing.item.action = Action::Invalid;
            existing.item.reason = Some(format!(
                "defined with different values in {}: keep one, then re-run",
                existing.item.sources.join(", ")
            ));
            continue;
        }
        let (action, reason) = match id_problem(secret.kind, &secret.id) {
            Some(reason) => (Action::Invalid, Some(reason)),
            None => (Action::Create, None),
        };
        planned.push(Planned {
            item: Item {
                kind: secret.kind.name(),
                id: secret.id.clone(),
                name: None,
                action,
                fingerprint,
                stored_fingerprint: None,
                sources: vec![describe_origin(secret)],
                reason,
            },
            kind: secret.kind,
            value: Some(secret.value.clone()),
            origins: vec![secret.clone()],
        });
    }
    // Names first (no request), then what the store holds, read in batches where the store
    // has a batch read (Secrets Manager 20 ids a request, SSM 10) and the batches in parallel.
    let mut to_read: Vec<usize> = Vec::new();
    for (index, planned) in planned.iter_mut().enumerate() {
        if planned.item.action == Action::Invalid {
            continue;
        }
        let kind = planned.kind;
        planned.item.name = store.name_of(kind, &planned.item.id);
        if planned.item.name.is_none() {
            planned.item.action = Action::Skip;
            planned.item.reason = Some(match kind {
                SecretKind::Config => format!("{} does not serve config options, or its config prefix is off", store.describe()),
                _ => "the backend never looks this id up: its prefix for this kind is off, or the id does not match its lookup pattern".to_owned(),
            });
            continue;
        }
        to_read.push(index);
    }
    let batches = batches_by_kind(&planned, &to_read, store.read_batch_size(), |p| p.kind);
    let cells: Vec<Mutex<Planned>> = planned.into_iter().map(Mutex::new).collect();
    run_parallel(batches.len(), concurrency, |batch| {
        let indices = &batches[batch];
        let Some((kind, ids)) = batch_ids(&cells, indices) else {
            return;
        };
        let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let results = store.read_many(kind, &id_refs);
        for (&index, result) in indices.iter().zip(results) {
            let Ok(mut planned) = cells[index].lock() else {
                continue;
            };
            let id = planned.item.id.clone();
            match result {
                Ok(None) => planned.item.action = Action::Create,
                Ok(Some(stored)) => {
                    planned.item.stored_fingerprint = Some(stored.fingerprint(kind, &id));
                    let same = planned
                        .value
                        .as_ref()
                        .is_some_and(|v| store.read_back(kind, v).same_as(&stored));
                    planned.item.action = if same {
                        Action::Unchanged
                    } else if overwrite {
                        Action::Update
                    } else {
                        planned.item.reason = Some(
                            "a different value is stored: pass --overwrite to replace it"
                                .to_owned(),
                        );
                        Action::Conflict
                    };
                }
                Err(error) => {
                    planned.item.action = Action::Error;
                    planned.item.reason = Some(error.to_string());
                }
            }
        }
    });
    Plan {
        planned: cells
            .into_iter()
            .filter_map(|c| c.into_inner().ok())
            .collect(),
    }
}

/// Writes every `Create` / `Update` of the plan (re-checking the store: it may have changed
/// since the plan), `concurrency` at a time; `progress` is called after each secret.
pub fn apply(
    plan: &Plan,
    store: &dyn SecretStore,
    overwrite: bool,
    concurrency: usize,
    progress: &(dyn Fn(&Item) + Sync),
) -> Vec<Item> {
    let results: Vec<Mutex<Item>> = plan
        .planned
        .iter()
        .map(|p| Mutex::new(p.item.clone()))
        .collect();
    let todo: Vec<usize> = plan
        .planned
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.item.action, Action::Create | Action::Update))
        .map(|(index, _)| index)
        .collect();
    run_parallel(todo.len(), concurrency, |slot| {
        let index = todo[slot];
        let planned = &plan.planned[index];
        let Some(value) = &planned.value else { return };
        let context = WriteContext {
            source: planned.origins.first().map(SourceSecret::location),
            // The plan read found nothing: the store may create without reading again.
            absent_at_plan: planned.item.action == Action::Create,
        };
        let outcome = store.write(planned.kind, &planned.item.id, value, overwrite, &context);
        let Ok(mut item) = results[index].lock() else {
            return;
        };
        match outcome {
            Ok(WriteOutcome::Created) => item.action = Action::Create,
            Ok(WriteOutcome::Updated) => item.action = Action::Update,
            Ok(WriteOutcome::Unchanged) => item.action = Action::Unchanged,
            Err(error @ StoreError::Conflict { .. }) => {
                item.action = Action::Conflict;
                item.reason = Some(error.to_string());
            }
            Err(
                error @ (StoreError::Unrepresentable { .. } | StoreError::NotConfigured { .. }),
            ) => {
                item.action = Action::Skip;
                item.reason = Some(error.to_string());
            }
            Err(error) => {
                item.action = Action::Error;
                item.reason = Some(error.to_string());
            }
        }
        progress(&item);
    });
    results
        .into_iter()
        .filter_map(|r| r.into_inner().ok())
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Read back under Airflow's name, equal to the source.
    Verified,
    Missing,
    Different,
    /// Not migrated by design (skipped / invalid in the plan).
    NotMigrated,
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    pub kind: &'static str,
    pub id: String,
    pub name: Option<String>,
    pub verdict: Verdict,
    pub fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored_fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Reads every planned secret back through the store, under the name Airflow's backend looks
/// it up with, and compares fingerprints of the values as Airflow reads them.
pub fn verify(plan: &Plan, store: &dyn SecretStore, concurrency: usize) -> Vec<Verified> {
    let results: Vec<Mutex<Verified>> = plan
        .planned
        .iter()
        .map(|planned| {
            Mutex::new(Verified {
                kind: planned.item.kind,
                id: planned.item.id.clone(),
                name: planned.item.name.clone(),
                verdict: Verdict::NotMigrated,
                fingerprint: planned.item.fingerprint.clone(),
                stored_fingerprint: None,
                reason: planned.item.reason.clone(),
            })
        })
        .collect();
    let to_read: Vec<usize> = (0..plan.planned.len())
        .filter(|&i| !matches!(plan.planned[i].item.action, Action::Skip | Action::Invalid))
        .collect();
    let batches = batches_by_kind(&plan.planned, &to_read, store.read_batch_size(), |p| p.kind);
    run_parallel(batches.len(), concurrency, |batch| {
        let indices = &batches[batch];
        let Some(kind) = indices.first().map(|&i| plan.planned[i].kind) else {
            return;
        };
        let ids: Vec<&str> = indices
            .iter()
            .map(|&i| plan.planned[i].item.id.as_str())
            .collect();
        for (&index, result) in indices.iter().zip(store.read_many(kind, &ids)) {
            let planned = &plan.planned[index];
            let Ok(mut verified) = results[index].lock() else {
                continue;
            };
            match result {
                Ok(None) => verified.verdict = Verdict::Missing,
                Ok(Some(stored)) => {
                    let fingerprint = stored.fingerprint(planned.kind, &planned.item.id);
                    // Compared as the store gives the source back (AWS drops what its
                    // backend does not read), so a kept-as-is secret verifies.
                    let expected = planned.value.as_ref().map_or_else(
                        || planned.item.fingerprint.clone(),
                        |v| {
                            store
                                .read_back(planned.kind, v)
                                .fingerprint(planned.kind, &planned.item.id)
                        },
                    );
                    verified.verdict = if fingerprint == expected {
                        Verdict::Verified
                    } else {
                        Verdict::Different
                    };
                    verified.stored_fingerprint = Some(fingerprint);
                    verified.reason = None;
                }
                Err(error) => {
                    verified.verdict = Verdict::Error;
                    verified.reason = Some(error.to_string());
                }
            }
        }
    });
    results
        .into_iter()
        .filter_map(|r| r.into_inner().ok())
        .collect()
}

/// Whether a planned secret came from a sensitive option (moved as a config secret).
pub fn option_of(planned: &Planned) -> Option<(&str, &str)> {
    planned.origins.iter().find_map(|o| match &o.origin {
        Origin::Option { section, key } => Some((section.as_str(), key.as_str())),
        _ => None,
    })
}
