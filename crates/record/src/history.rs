//! A household's history: who changed which field, when, read from the changes themselves.

use crate::{Provenance, RecordError, tree};
use automerge::{AutoCommit, PatchAction, Prop, ReadDoc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One field touched by a change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Document path.
    pub path: String,
    /// The field as people name it.
    pub label: String,
    /// The value written, for scalars; text edits and new objects carry none.
    pub value: Option<Json>,
}

/// One change in a household's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The change hash (hex).
    pub change: String,
    /// Who, where, when, what action.
    pub provenance: Provenance,
    /// The fields it touched.
    pub fields: Vec<FieldChange>,
}

fn prop_text(prop: &Prop) -> String {
    match prop {
        Prop::Map(key) => key.clone(),
        Prop::Seq(index) => index.to_string(),
    }
}

pub(crate) fn history(doc: &mut AutoCommit) -> Result<Vec<HistoryEntry>, RecordError> {
    let household = serde_json::from_value(tree::json_of(&doc.hydrate(automerge::ROOT, None)?)).ok();
    let metas: Vec<_> = doc
        .get_changes_meta(&[])
        .into_iter()
        .map(|m| (m.hash, m.deps.clone(), Provenance::from_change(m.message.as_deref(), m.timestamp)))
        .collect();
    let mut out = Vec::with_capacity(metas.len());
    for (hash, deps, provenance) in metas {
        let mut fields: Vec<FieldChange> = Vec::new();
        for patch in doc.diff(&deps, &[hash]) {
            let mut path: Vec<String> = patch.path.iter().map(|(_, prop)| prop_text(prop)).collect();
            let value = match patch.action {
                PatchAction::PutMap { key, value, .. } => {
                    path.push(key);
                    match value.0 {
                        automerge::Value::Scalar(s) => {
                            Some(tree::json_of(&automerge::hydrate::Value::Scalar(s.into_owned())))
                        }
                        automerge::Value::Object(_) => continue,
                    }
                }
                PatchAction::DeleteMap { key } => {
                    path.push(key);
                    None
                }
                // A text edit or a sequence change: name the field, not each character.
                _ => None,
            };
            let joined = path.join("/");
            if fields.last().is_some_and(|f| f.path == joined) {
                continue;
            }
            if path.first().is_some_and(|k| k == "schema" || k == "kind") {
                continue;
            }
            let label = hudang_domain::labels::field_label(&joined, household.as_ref());
            fields.push(FieldChange { path: joined, label, value });
        }
        out.push(HistoryEntry { change: hash.to_string(), provenance, fields });
    }
    Ok(out)
}
