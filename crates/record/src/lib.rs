//! A household as an Automerge document: the mapping between the domain's [`Household`] and the document,
//! attributed changes, conflict extraction and resolution, and readable history.
//!
//! The document is the source of truth for a household. This crate must never do IO, read a clock or pick random
//! ids: the actor id and each change's [`Provenance`] (user, device, time) are passed in. It must never create a
//! list in a document, never delete a key (fields an older app does not know are kept untouched), and never
//! present the winner of a conflict as the newest value.

mod history;
mod tree;

use automerge::{
    ActorId, AutoCommit, Change, ChangeHash, ObjType, ROOT, ReadDoc,
    transaction::{CommitOptions, Transactable},
};
use chrono::{DateTime, Utc};
use hudang_domain::Household;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use uuid::Uuid;

pub use history::HistoryEntry;
pub use tree::SET_MARKER;

/// The schema version this build writes. Versions only add keys; a reader of any version keeps what it does not know.
pub const SCHEMA_VERSION: i64 = 1;

/// What can go wrong with a household document.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not an Automerge document (damaged or truncated).
    #[error("户档数据已损坏，无法读取：{0}")]
    Corrupt(String),
    /// The document is valid Automerge but not a household file this app can read.
    #[error("文档不是有效的户档：{0}")]
    NotAHousehold(String),
    /// Changes build on earlier changes this replica does not hold; the whole history must be fetched.
    #[error("缺少之前的 {0} 个更改，需要获取该户的完整记录")]
    MissingHistory(usize),
    /// A field path does not exist in the document.
    #[error("找不到字段：{0}")]
    NoSuchField(String),
    /// A value cannot be stored in a household document (for example a list of objects).
    #[error("无法保存该值：{0}")]
    Unsupported(String),
    /// Automerge refused an operation.
    #[error("文档操作失败：{0}")]
    Automerge(#[from] automerge::AutomergeError),
}

impl RecordError {
    /// A stable code for the UI and the wire; callers match on this, never on the message.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::Corrupt(_) => "record.corrupt",
            RecordError::NotAHousehold(_) => "record.not_a_household",
            RecordError::MissingHistory(_) => "record.missing_history",
            RecordError::NoSuchField(_) => "record.no_such_field",
            RecordError::Unsupported(_) => "record.unsupported",
            RecordError::Automerge(_) => "record.automerge",
        }
    }
}

/// Who made a change, on which device, when, and as what action. Travels inside every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The user (worker) who made the change.
    pub user: String,
    /// The device install that made it.
    pub device: Uuid,
    /// When, as the device's clock said.
    pub at: DateTime<Utc>,
    /// What the user did (`create`, `edit`, `resolve`, `import`, ...).
    pub action: String,
}

impl Provenance {
    fn commit_options(&self) -> CommitOptions {
        let message = serde_json::json!({ "user": self.user, "device": self.device, "action": self.action });
        CommitOptions::default().with_message(message.to_string()).with_time(self.at.timestamp_millis())
    }

    /// Reads provenance back from a change's message and time; changes made by other tools get an empty user.
    pub fn from_change(message: Option<&str>, time_ms: i64) -> Provenance {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Message {
            user: String,
            device: Uuid,
            action: String,
        }
        let parsed: Message = message.and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default();
        Provenance {
            user: parsed.user,
            device: parsed.device,
            at: DateTime::from_timestamp_millis(time_ms).unwrap_or_default(),
            action: parsed.action,
        }
    }
}

/// The actor id for a device install: the install's UUID bytes.
pub fn actor_for_device(device: Uuid) -> ActorId {
    ActorId::from(*device.as_bytes())
}

/// One value of a field in conflict, with who wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The value, as JSON (objects in full).
    pub value: Json,
    /// Who wrote it, where and when.
    pub provenance: Provenance,
    /// The change that wrote it (hex).
    pub change: String,
}

/// A field that holds more than one value after a merge, until a person chooses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// Document path, `/`-separated, e.g. `members/<uuid>/name`.
    pub path: String,
    /// The field as people name it, e.g. `成员“张三” · 姓名`.
    pub label: String,
    /// Every value, ordered by time written (the order says nothing about which one Automerge shows).
    pub candidates: Vec<Candidate>,
}

/// A household document.
pub struct HouseholdDoc {
    doc: AutoCommit,
}

impl std::fmt::Debug for HouseholdDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HouseholdDoc").finish_non_exhaustive()
    }
}

impl HouseholdDoc {
    /// Creates the document for a new household, with every fixed container, in one attributed change.
    pub fn create(household: &Household, actor: ActorId, provenance: &Provenance) -> Result<Self, RecordError> {
        let json = household_json(household)?;
        Self::create_from_json(&json, actor, provenance)
    }

    /// Creates a document from a household's JSON tree (which may carry fields this build does not know).
    pub fn create_from_json(json: &Json, actor: ActorId, provenance: &Provenance) -> Result<Self, RecordError> {
        let Json::Object(fields) = json else {
            return Err(RecordError::NotAHousehold("顶层不是对象".into()));
        };
        let mut fields = fields.clone();
        fields.insert("schema".into(), Json::from(SCHEMA_VERSION));
        fields.insert("kind".into(), Json::from("household"));
        let mut doc = AutoCommit::new().with_actor(actor);
        doc.init_root_from_hydrate(&tree::hydrate_map(&fields)?)?;
        doc.commit_with(provenance.commit_options());
        Ok(HouseholdDoc { doc })
    }

    /// Loads a saved document (snapshot, optionally followed by incremental chunks), for the given actor.
    pub fn load(bytes: &[u8], actor: ActorId) -> Result<Self, RecordError> {
        let doc =
            AutoCommit::load_with_options(bytes, strict_load()).map_err(|e| RecordError::Corrupt(e.to_string()))?;
        let doc = doc.with_actor(actor);
        match doc.get(ROOT, "kind") {
            Ok(Some((automerge::Value::Scalar(s), _))) if s.as_str() == Some("household") => {}
            _ => return Err(RecordError::NotAHousehold("缺少户档标记".into())),
        }
        Ok(HouseholdDoc { doc })
    }

    /// Merges bytes that came from elsewhere (a snapshot, incremental chunks or changes): they are parsed and
    /// verified whole first, so a damaged or truncated file is refused and nothing of it is applied.
    pub fn merge_bytes(&mut self, bytes: &[u8]) -> Result<(), RecordError> {
        let mut incoming =
            AutoCommit::load_with_options(bytes, strict_load()).map_err(|e| RecordError::Corrupt(e.to_string()))?;
        // Changes that build on history we already have cannot be judged alone; a complete document must be this
        // household's (a foreign document has no id, another household's has another).
        let complete = !incoming.get_heads().is_empty() && incoming.get_missing_deps(&[]).is_empty();
        if complete && incoming_id(&incoming) != self.id().ok() {
            return Err(RecordError::NotAHousehold("文档不是本户的户档".into()));
        }
        self.doc.merge(&mut incoming)?;
        Ok(())
    }

    /// Appends incremental chunks this device saved itself with [`HouseholdDoc::save_after`].
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<(), RecordError> {
        self.doc.load_incremental(bytes).map_err(|e| RecordError::Corrupt(e.to_string()))?;
        Ok(())
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Only what was added after `heads` (which must be heads this document has).
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// The current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Changes after `heads` (pass only heads the other side acknowledged).
    pub fn changes_after(&mut self, heads: &[ChangeHash]) -> Vec<Change> {
        self.doc.get_changes(heads)
    }

    /// Applies changes from elsewhere (idempotent).
    pub fn apply_changes(&mut self, changes: Vec<Change>) -> Result<(), RecordError> {
        self.doc.apply_changes(changes)?;
        Ok(())
    }

    /// Starts a document from raw changes received for household `id` (sync, bundles). The changes must form this
    /// household's complete history.
    pub fn from_changes(id: Uuid, changes: Vec<Change>, actor: ActorId) -> Result<Self, RecordError> {
        let mut doc = HouseholdDoc::without_history(actor);
        doc.apply_remote(id, changes)?;
        Ok(doc)
    }

    /// A document with no history yet, to receive a household's whole history with [`HouseholdDoc::apply_remote`].
    pub fn without_history(actor: ActorId) -> Self {
        HouseholdDoc { doc: AutoCommit::new().with_actor(actor) }
    }

    /// Applies raw changes received for this household (sync, bundles, a device's push) and returns those that
    /// were new here, each once. Refused: changes that lack their history ([`RecordError::MissingHistory`]), and
    /// changes that would make the document another household's: a second creation change (one without
    /// dependencies), or a result whose `id` is not `id` or is in conflict. After an error the document must be
    /// discarded (Automerge may hold changes waiting for their dependencies); callers load it again.
    pub fn apply_remote(&mut self, id: Uuid, changes: Vec<Change>) -> Result<Vec<Change>, RecordError> {
        let mut seen = std::collections::BTreeSet::new();
        let fresh: Vec<Change> = changes
            .into_iter()
            .filter(|c| seen.insert(c.hash()) && self.doc.get_change_by_hash(&c.hash()).is_none())
            .collect();
        if fresh.is_empty() {
            return Ok(fresh);
        }
        // A household's history has exactly one change without dependencies, its creation; another one starts
        // some other document.
        let roots = fresh.iter().filter(|c| c.deps().is_empty()).count();
        let has_history = !self.doc.get_heads().is_empty();
        if roots > usize::from(!has_history) {
            return Err(RecordError::NotAHousehold(format!("更改中含有另一份文档的起始修改，不属于户 {id}")));
        }
        self.doc.apply_changes(fresh.clone())?;
        let missing = self.doc.get_missing_deps(&[]);
        if !missing.is_empty() {
            return Err(RecordError::MissingHistory(missing.len()));
        }
        let wanted = id.to_string();
        let ids = self.doc.get_all(ROOT, "id")?;
        let id_ok = !ids.is_empty()
            && ids.iter().all(|(v, _)| matches!(v, automerge::Value::Scalar(s) if s.as_str() == Some(wanted.as_str())));
        let kind_ok = matches!(self.doc.get(ROOT, "kind")?, Some((automerge::Value::Scalar(s), _)) if s.as_str() == Some("household"));
        if !id_ok || !kind_ok {
            return Err(RecordError::NotAHousehold(format!("更改不属于户 {id}")));
        }
        Ok(fresh)
    }

    /// Merges another replica of the same household into this one.
    pub fn merge(&mut self, other: &mut HouseholdDoc) -> Result<(), RecordError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// A copy with another actor (as another device would hold it).
    pub fn fork_for(&mut self, actor: ActorId) -> HouseholdDoc {
        HouseholdDoc { doc: self.doc.fork().with_actor(actor) }
    }

    /// The household id stored in the document.
    pub fn id(&self) -> Result<Uuid, RecordError> {
        match self.doc.get(ROOT, "id")? {
            Some((automerge::Value::Scalar(s), _)) => s
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(|| RecordError::NotAHousehold("户编号无效".into())),
            _ => Err(RecordError::NotAHousehold("缺少户编号".into())),
        }
    }

    /// The whole document as a JSON tree, including fields this build does not know (conflicts show their shown value).
    pub fn to_json(&self) -> Result<Json, RecordError> {
        let hydrated = self.doc.hydrate(ROOT, None)?;
        Ok(tree::json_of(&hydrated))
    }

    /// The household as the domain sees it.
    pub fn read(&self) -> Result<Household, RecordError> {
        let json = self.to_json()?;
        serde_json::from_value(json).map_err(|e| RecordError::NotAHousehold(e.to_string()))
    }

    /// Writes a household's current state as one attributed change: only fields that differ are touched,
    /// fields this build does not know are left alone. Returns the change hash, or none if nothing differed.
    pub fn write(&mut self, household: &Household, provenance: &Provenance) -> Result<Option<ChangeHash>, RecordError> {
        let json = household_json(household)?;
        self.write_json(&json, provenance)
    }

    /// Like [`HouseholdDoc::write`], from a JSON tree.
    pub fn write_json(&mut self, json: &Json, provenance: &Provenance) -> Result<Option<ChangeHash>, RecordError> {
        let Json::Object(fields) = json else {
            return Err(RecordError::NotAHousehold("顶层不是对象".into()));
        };
        if let Some(id) = fields.get("id") {
            let current = self.id()?;
            if id.as_str() != Some(current.to_string().as_str()) {
                return Err(RecordError::Unsupported("户编号不能修改".into()));
            }
        }
        tree::write_map(&mut self.doc, &ROOT, fields)?;
        Ok(self.doc.commit_with(provenance.commit_options()))
    }

    /// Every field that holds more than one distinct value.
    pub fn conflicts(&mut self) -> Result<Vec<FieldConflict>, RecordError> {
        Ok(self.read_with_conflicts_lenient()?.1)
    }

    /// The household and its conflicts from one walk of the document (what projections need after every save).
    pub fn read_with_conflicts(&mut self) -> Result<(Household, Vec<FieldConflict>), RecordError> {
        let (household, conflicts) = self.read_with_conflicts_lenient()?;
        let household = household.map_err(|e| RecordError::NotAHousehold(e.to_string()))?;
        Ok((household, conflicts))
    }

    fn read_with_conflicts_lenient(
        &mut self,
    ) -> Result<(Result<Household, serde_json::Error>, Vec<FieldConflict>), RecordError> {
        let hydrated = self.doc.hydrate(ROOT, None)?;
        let household: Result<Household, _> = serde_json::from_value(tree::json_of(&hydrated));
        let mut paths = Vec::new();
        tree::conflicted_paths(&hydrated, &mut Vec::new(), &mut paths);
        let mut out = Vec::new();
        for path in paths {
            let (obj, key) = tree::resolve_parent(&self.doc, &path)?;
            let mut candidates = Vec::new();
            let values: Vec<(automerge::Value<'static>, automerge::ObjId)> =
                self.doc.get_all(&obj, key.as_str())?.into_iter().map(|(v, id)| (v.to_owned(), id)).collect();
            for (value, opid) in values {
                let json = tree::json_of_value(&self.doc, value, &opid)?;
                let (provenance, change) = match self.doc.hash_for_opid(&opid) {
                    Some(hash) => {
                        let meta = self.doc.get_change_meta_by_hash(&hash);
                        let prov = meta
                            .map(|m| Provenance::from_change(m.message.as_deref(), m.timestamp))
                            .unwrap_or_else(|| Provenance::from_change(None, 0));
                        (prov, hash.to_string())
                    }
                    None => (Provenance::from_change(None, 0), String::new()),
                };
                candidates.push(Candidate { value: json, provenance, change });
            }
            // Two people who typed the same value do not disagree.
            let first = candidates.first().map(|c| c.value.clone());
            if candidates.iter().all(|c| Some(&c.value) == first.as_ref()) {
                continue;
            }
            candidates.sort_by(|a, b| a.provenance.at.cmp(&b.provenance.at).then(a.change.cmp(&b.change)));
            let joined = path.join("/");
            let label = hudang_domain::labels::field_label(&joined, household.as_ref().ok());
            out.push(FieldConflict { path: joined, label, candidates });
        }
        Ok((household, out))
    }

    /// Settles a conflict (or sets any field) by writing the chosen value as an ordinary attributed change.
    pub fn resolve(&mut self, path: &str, value: &Json, provenance: &Provenance) -> Result<ChangeHash, RecordError> {
        Ok(self.set_paths(&[(path, value)], provenance)?.0)
    }

    /// Writes values at several paths as one attributed change; a value equal to the shown one is still written,
    /// which settles a conflict there. If the result no longer reads as a household, nothing is kept.
    /// Returns the change and the household as it now reads.
    pub fn set_paths(
        &mut self,
        values: &[(&str, &Json)],
        provenance: &Provenance,
    ) -> Result<(ChangeHash, Household), RecordError> {
        for (path, value) in values {
            let segments: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(String::from).collect();
            let fixed = segments.first().is_some_and(|s| s == "id" || s == "kind" || s == "schema");
            if segments.is_empty() || fixed {
                self.doc.rollback();
                return Err(RecordError::NoSuchField(path.to_string()));
            }
            let placed = tree::resolve_parent(&self.doc, &segments)
                .and_then(|(obj, key)| tree::put_value(&mut self.doc, &obj, &key, value, true));
            if let Err(e) = placed {
                self.doc.rollback();
                return Err(e);
            }
        }
        // The result must still read as a household; otherwise a value had the wrong type.
        let household = match self.read() {
            Ok(household) => household,
            Err(e) => {
                self.doc.rollback();
                return Err(RecordError::Unsupported(format!("所填值类型不符：{e}")));
            }
        };
        let hash = self
            .doc
            .commit_with(provenance.commit_options())
            .ok_or_else(|| RecordError::Unsupported("没有要保存的内容".into()))?;
        Ok((hash, household))
    }

    /// Who changed which field, when: one entry per change, oldest first.
    pub fn history(&mut self) -> Result<Vec<HistoryEntry>, RecordError> {
        history::history(&mut self.doc)
    }

    /// The underlying document, for callers that exchange raw changes.
    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

fn strict_load() -> automerge::LoadOptions<'static> {
    automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error)
}

fn incoming_id(doc: &AutoCommit) -> Option<Uuid> {
    match doc.get(ROOT, "id").ok().flatten() {
        Some((automerge::Value::Scalar(s), _)) => s.as_str().and_then(|s| Uuid::parse_str(s).ok()),
        _ => None,
    }
}

/// The JSON tree of a household, as stored.
pub fn household_json(household: &Household) -> Result<Json, RecordError> {
    serde_json::to_value(household).map_err(|e| RecordError::Unsupported(e.to_string()))
}

/// Whether a key names a free-text field stored as Automerge text (merged by character).
pub fn is_text_key(key: &str) -> bool {
    key == "note" || key.ends_with("_note")
}

/// The object type a JSON value is stored as under a key.
pub fn stored_type(key: &str, value: &Json) -> Option<ObjType> {
    match value {
        Json::Object(_) | Json::Array(_) => Some(ObjType::Map),
        Json::String(_) if is_text_key(key) => Some(ObjType::Text),
        _ => None,
    }
}
