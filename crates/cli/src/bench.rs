//! `hudang bench`: the device store measured at scale, figures printed (never asserted).

use crate::demo;
use anyhow::Result;
use chrono::{DateTime, TimeZone, Utc};
use hudang_domain::{Household, InspectionItem};
use hudang_media::sample::{CameraExif, camera_jpeg};
use hudang_store::{DeviceIdentity, ListFilter, PhotoTarget, Store};
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Makes a search query from a household.
type QueryOf = Box<dyn Fn(&Household) -> String>;

fn head_of(household: &Household) -> hudang_domain::Member {
    household.head().cloned().unwrap_or_default()
}

/// Options of `hudang bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchOptions {
    /// Households in the store.
    #[arg(long, default_value_t = 10_000)]
    pub households: usize,
    /// Samples per timed operation.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Where to build the store (default: a temporary folder, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Percentiles of one timed operation, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// What was timed.
    pub name: String,
    /// Samples taken.
    pub samples: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// What `hudang bench` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Households in the store.
    pub households: usize,
    /// Time to create the store (generation plus batched inserts), seconds.
    pub build_s: f64,
    /// Timed operations.
    pub timings: Vec<Timing>,
    /// Document bytes (snapshots plus chunks) per household, after the benchmark's edits.
    pub document_bytes_per_household: f64,
    /// The database file (plus WAL) per household, including projections.
    pub database_bytes_per_household: f64,
    /// Document bytes of the same households' core file only (members, conditions, income; no visits,
    /// inspections, assessments, workflow or monitoring), saved fresh.
    pub core_document_bytes_per_household: f64,
    /// The demo households as JSON, bytes per household (what the documents encode).
    pub json_bytes_per_household: f64,
}

impl BenchReport {
    /// A plain-text table.
    pub fn to_table(&self) -> String {
        let mut lines = vec![
            format!("households: {}   build: {:.1} s", self.households, self.build_s),
            format!("{:<44} {:>8} {:>10} {:>10} {:>10}", "operation", "samples", "p50 ms", "p95 ms", "max ms"),
        ];
        for t in &self.timings {
            lines.push(format!(
                "{:<44} {:>8} {:>10.2} {:>10.2} {:>10.2}",
                t.name, t.samples, t.p50_ms, t.p95_ms, t.max_ms
            ));
        }
        lines.push(format!("document bytes per household: {:.0}", self.document_bytes_per_household));
        lines
            .push(format!("database bytes per household (with projections): {:.0}", self.database_bytes_per_household));
        lines.push(format!("core-file document bytes per household: {:.0}", self.core_document_bytes_per_household));
        lines.push(format!("household JSON bytes per household: {:.0}", self.json_bytes_per_household));
        lines.join("\n")
    }
}

fn timing(name: &str, mut samples: Vec<Duration>) -> Timing {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    Timing { name: name.into(), samples: samples.len(), p50_ms: pick(0.5), p95_ms: pick(0.95), max_ms: pick(1.0) }
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let value = f();
    (start.elapsed(), value)
}

/// Builds a store of `options.households` demo households and measures it.
pub fn run(options: &BenchOptions) -> Result<BenchReport> {
    let temp;
    let dir = match &options.dir {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let at: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let fingerprint = "bench";
    let identity = DeviceIdentity { device_id: Uuid::from_u128(0xBE7C4), user: "基准测试".into() };

    let (build, village) = time(|| -> Result<Vec<Household>> {
        let village = demo::generate(&demo::DemoOptions {
            seed: 7,
            households: options.households,
            today: at.date_naive(),
            photos: false,
            ..demo::DemoOptions::default()
        });
        let mut store = Store::init(&dir, identity.clone(), fingerprint, at)?;
        let provenance = store.provenance(at, "bench");
        for chunk in village.households.chunks(1000) {
            store.create_many_as_found(chunk, &provenance)?;
        }
        Ok(village.households)
    });
    let households = village?;
    let mut timings = Vec::new();

    let mut opens = Vec::new();
    for _ in 0..5 {
        let (d, store) = time(|| Store::open(&dir, fingerprint));
        store?;
        opens.push(d);
    }
    timings.push(timing("cold open (includes quick_check)", opens));
    let mut store = Store::open(&dir, fingerprint)?;

    let n = options.samples.max(1);
    let pick = |i: usize| &households[(i * 7919) % households.len()];

    let village_name = households[0].area.village.clone();
    let group_name = households[0].area.group.clone();
    let mut lists = Vec::new();
    for _ in 0..n.min(50) {
        let filter = ListFilter { village: Some(village_name.clone()), limit: 500, ..Default::default() };
        let (d, rows) = time(|| store.list(&filter));
        rows?;
        lists.push(d);
    }
    timings.push(timing("list one village (first 500 rows)", lists));
    let mut groups = Vec::new();
    for _ in 0..n.min(50) {
        let filter = ListFilter {
            village: Some(village_name.clone()),
            group: Some(group_name.clone()),
            limit: 500,
            ..Default::default()
        };
        let (d, rows) = time(|| store.list(&filter));
        rows?;
        groups.push(d);
    }
    timings.push(timing("list one group (first 500 rows)", groups));

    let searches: [(&str, QueryOf); 3] = [
        ("search 汉字 name", Box::new(|h| head_of(h).name)),
        ("search pinyin initials", Box::new(|h| hudang_store::pinyin_initials(&head_of(h).name))),
        ("search ID number", Box::new(|h| head_of(h).id_number)),
    ];
    for (name, query_of) in &searches {
        let mut samples = Vec::new();
        for i in 0..n {
            let query = query_of(pick(i));
            let (d, rows) = time(|| store.search(&query, 50));
            rows?;
            samples.push(d);
        }
        timings.push(timing(name, samples));
    }

    let mut opens = Vec::new();
    for i in 0..n {
        let id = pick(i).id;
        let (d, h) = time(|| store.household(id));
        h?;
        opens.push(d);
    }
    timings.push(timing("open one household (load + read)", opens));

    let mut edits = Vec::new();
    for i in 0..n {
        let id = pick(i).id;
        let provenance = store.provenance(at + chrono::Duration::seconds(i as i64), "edit");
        let (d, r) = time(|| {
            store.edit_household(id, &provenance, |h| {
                h.phone = format!("139{:08}", i);
                Ok(())
            })
        });
        r?;
        edits.push(d);
    }
    timings.push(timing("durable field edit (fsync'd)", edits));

    let mut photos = Vec::new();
    let target_household =
        households.iter().find(|h| !h.inspections.is_empty()).expect("demo households have inspections");
    let inspection = *target_household.inspections.keys().next().unwrap();
    for i in 0..5u64 {
        let jpeg = camera_jpeg(4000, 3000, 100 + i, &CameraExif { orientation: 6, ..Default::default() });
        let provenance = store.provenance(at, "photo.add");
        let (d, r) = time(|| {
            store.add_photo(
                target_household.id,
                PhotoTarget::Inspection(inspection, InspectionItem::Housing),
                Uuid::from_u128(0x9000 + i as u128),
                &jpeg,
                "",
                &provenance,
            )
        });
        r?;
        photos.push(d);
    }
    timings.push(timing("add 12-megapixel photo (orient, resize, thumb, hash, save)", photos));

    let (d, report) = time(|| store.rebuild(at.date_naive(), at));
    report?;
    timings.push(timing("rebuild all projections", vec![d]));

    let (doc_bytes, count) = store.document_bytes()?;
    let db_path = dir.join(hudang_store::DB_FILE);
    drop(store);
    let file_bytes = std::fs::metadata(&db_path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(db_path.with_extension("sqlite3-wal")).map(|m| m.len()).unwrap_or(0);
    let sample: Vec<&Household> = households.iter().take(1000).collect();
    let json_bytes: usize = sample.iter().map(|h| serde_json::to_vec(h).map(|v| v.len()).unwrap_or(0)).sum();
    let mut core_bytes = 0usize;
    for h in &sample {
        let core = Household {
            visits: Default::default(),
            contacts: Default::default(),
            inspections: Default::default(),
            assessments: Default::default(),
            workflow: Default::default(),
            monitoring: Default::default(),
            signatures: Default::default(),
            ..(*h).clone()
        };
        let actor = hudang_record::actor_for_device(identity.device_id);
        let mut doc = hudang_record::HouseholdDoc::create(
            &core,
            actor,
            &hudang_record::Provenance {
                user: identity.user.clone(),
                device: identity.device_id,
                at,
                action: "bench".into(),
            },
        )?;
        core_bytes += doc.save().len();
    }
    Ok(BenchReport {
        core_document_bytes_per_household: core_bytes as f64 / sample.len().max(1) as f64,
        json_bytes_per_household: json_bytes as f64 / sample.len().max(1) as f64,
        households: households.len(),
        build_s: build.as_secs_f64(),
        timings,
        document_bytes_per_household: doc_bytes as f64 / count.max(1) as f64,
        database_bytes_per_household: file_bytes as f64 / count.max(1) as f64,
    })
}
