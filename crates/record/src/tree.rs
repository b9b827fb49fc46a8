//! The generic mapping between JSON trees and Automerge documents.
//!
//! JSON objects become maps; strings under note keys become text; arrays (always sets of strings in the domain)
//! become maps of `item → true/false` marked with [`SET_MARKER`], so two people adding different items both keep
//! theirs; every other value is a scalar. Writing touches only what differs and never deletes a key.

use crate::{RecordError, is_text_key};
use automerge::{
    AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
    hydrate::{self, Map as HMap},
    transaction::Transactable,
};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// The key that marks a map as a set of strings.
pub const SET_MARKER: &str = "$set";

fn scalar_of(json: &Json) -> ScalarValue {
    match json {
        Json::Null => ScalarValue::Null,
        Json::Bool(b) => ScalarValue::Boolean(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                ScalarValue::Int(i)
            } else if let Some(u) = n.as_u64() {
                ScalarValue::Uint(u)
            } else {
                ScalarValue::F64(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => ScalarValue::Str(s.as_str().into()),
        Json::Array(_) | Json::Object(_) => unreachable!("objects are not scalars"),
    }
}

fn json_of_scalar(s: &ScalarValue) -> Json {
    match s {
        ScalarValue::Null => Json::Null,
        ScalarValue::Boolean(b) => Json::Bool(*b),
        ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Json::from(*i),
        ScalarValue::Uint(u) => Json::from(*u),
        ScalarValue::F64(f) => serde_json::Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null),
        ScalarValue::Counter(c) => Json::from(i64::from(c)),
        ScalarValue::Str(s) => Json::String(s.to_string()),
        ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => Json::Null,
    }
}

fn set_items(items: &[Json]) -> Result<Vec<&str>, RecordError> {
    items
        .iter()
        .map(|item| item.as_str().ok_or_else(|| RecordError::Unsupported("列表中只能保存文字".into())))
        .collect()
}

fn hydrate_value(key: &str, json: &Json) -> Result<hydrate::Value, RecordError> {
    Ok(match json {
        Json::Object(fields) => hydrate::Value::Map(hydrate_map(fields)?),
        Json::Array(items) => {
            let mut set: HashMap<String, hydrate::Value> = HashMap::new();
            set.insert(SET_MARKER.into(), hydrate::Value::scalar(true));
            for item in set_items(items)? {
                set.insert(item.to_string(), hydrate::Value::scalar(true));
            }
            hydrate::Value::Map(HMap::from(set))
        }
        Json::String(s) if is_text_key(key) => hydrate::Value::text(automerge::TextEncoding::UnicodeCodePoint, s),
        other => hydrate::Value::Scalar(scalar_of(other)),
    })
}

/// A hydrated map for creating a document in one batch.
pub(crate) fn hydrate_map(fields: &Map<String, Json>) -> Result<HMap, RecordError> {
    let mut out: HashMap<String, hydrate::Value> = HashMap::with_capacity(fields.len());
    // A missing key reads as `null` (an empty optional), so nulls are not stored. `false`, zero and empty text are:
    // `Some(false)` and `None` are different answers to a question on the form.
    for (key, value) in fields.iter().filter(|(_, v)| !v.is_null()) {
        out.insert(key.clone(), hydrate_value(key, value)?);
    }
    Ok(HMap::from(out))
}

fn is_set(map: &HMap) -> bool {
    matches!(map.get(SET_MARKER), Some(hydrate::Value::Scalar(ScalarValue::Boolean(true))))
}

/// The JSON tree of a hydrated value.
pub(crate) fn json_of(value: &hydrate::Value) -> Json {
    match value {
        hydrate::Value::Scalar(s) => json_of_scalar(s),
        hydrate::Value::Text(t) => Json::String(String::from(t)),
        hydrate::Value::List(list) => Json::Array(list.iter().map(|v| json_of(&v.value)).collect()),
        hydrate::Value::Map(map) if is_set(map) => {
            let mut items: Vec<&String> = map
                .iter()
                .filter(|(k, v)| {
                    k.as_str() != SET_MARKER && matches!(v.value, hydrate::Value::Scalar(ScalarValue::Boolean(true)))
                })
                .map(|(k, _)| k)
                .collect();
            items.sort();
            Json::Array(items.into_iter().map(|k| Json::String(k.clone())).collect())
        }
        hydrate::Value::Map(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Json::Object(keys.into_iter().map(|k| (k.clone(), json_of(&map[k].value))).collect())
        }
    }
}

/// The JSON of one value returned by `get_all` (objects hydrated in full).
pub(crate) fn json_of_value(doc: &AutoCommit, value: Value<'_>, id: &ObjId) -> Result<Json, RecordError> {
    Ok(match value {
        Value::Scalar(s) => json_of_scalar(&s),
        Value::Object(_) => json_of(&doc.hydrate(id, None)?),
    })
}

/// Paths of every map key that holds concurrent values.
pub(crate) fn conflicted_paths(value: &hydrate::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let hydrate::Value::Map(map) = value {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        for key in keys {
            let entry = &map[key];
            path.push(key.clone());
            if entry.conflict {
                out.push(path.clone());
            }
            conflicted_paths(&entry.value, path, out);
            path.pop();
        }
    }
}

/// The object holding the last segment of a path, and that segment.
pub(crate) fn resolve_parent(doc: &AutoCommit, path: &[String]) -> Result<(ObjId, String), RecordError> {
    let Some((last, parents)) = path.split_last() else {
        return Err(RecordError::NoSuchField(String::new()));
    };
    let mut obj = ROOT;
    for segment in parents {
        match doc.get(&obj, segment.as_str())? {
            Some((Value::Object(ObjType::Map), id)) => obj = id,
            _ => return Err(RecordError::NoSuchField(path.join("/"))),
        }
    }
    Ok((obj, last.clone()))
}

/// Writes every field of `fields` into the map `obj`, touching only what differs.
pub(crate) fn write_map(doc: &mut AutoCommit, obj: &ObjId, fields: &Map<String, Json>) -> Result<(), RecordError> {
    for (key, value) in fields {
        put_value(doc, obj, key, value, false)?;
    }
    Ok(())
}

/// Puts one value. With `force`, a value equal to the shown one is still written, which settles a conflict.
pub(crate) fn put_value(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: &Json,
    force: bool,
) -> Result<(), RecordError> {
    let current = doc.get(obj, key)?.map(|(v, id)| (v.to_owned(), id));
    match value {
        Json::Object(fields) => match current {
            Some((Value::Object(ObjType::Map), id)) if !force && !is_true(doc, &id, SET_MARKER)? => {
                write_map(doc, &id, fields)
            }
            _ => {
                let id = doc.put_object(obj, key, ObjType::Map)?;
                write_map(doc, &id, fields)
            }
        },
        Json::Array(items) => {
            let items = set_items(items)?;
            let id = match current {
                Some((Value::Object(ObjType::Map), id)) if !force && is_true(doc, &id, SET_MARKER)? => id,
                _ => {
                    let id = doc.put_object(obj, key, ObjType::Map)?;
                    doc.put(&id, SET_MARKER, true)?;
                    id
                }
            };
            for item in &items {
                if !is_true(doc, &id, item)? {
                    doc.put(&id, *item, true)?;
                }
            }
            let stale: Vec<String> =
                doc.keys(&id).filter(|k| k != SET_MARKER && !items.contains(&k.as_str())).collect();
            for item in stale {
                if is_true(doc, &id, &item)? {
                    doc.put(&id, item.as_str(), false)?;
                }
            }
            Ok(())
        }
        Json::String(text) if is_text_key(key) => {
            match current {
                Some((Value::Object(ObjType::Text), id)) if !force => {
                    if doc.text(&id)? != *text {
                        doc.update_text(&id, text)?;
                    }
                }
                _ => {
                    let id = doc.put_object(obj, key, ObjType::Text)?;
                    doc.splice_text(&id, 0, 0, text)?;
                }
            }
            Ok(())
        }
        scalar => {
            let new = scalar_of(scalar);
            let unchanged = match &current {
                Some((Value::Scalar(s), _)) => **s == new,
                // A missing key already reads as null.
                None => scalar.is_null(),
                Some(_) => false,
            };
            if force || !unchanged {
                doc.put(obj, key, new)?;
            }
            Ok(())
        }
    }
}

/// Whether `key` of map `obj` holds the boolean `true` (a set's marker, or an item present in a set).
fn is_true(doc: &AutoCommit, obj: &ObjId, key: &str) -> Result<bool, RecordError> {
    Ok(matches!(doc.get(obj, key)?, Some((Value::Scalar(s), _)) if *s == ScalarValue::Boolean(true)))
}
