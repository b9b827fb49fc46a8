//! Visits (走访): only an in-person visit counts, so a visit must carry its evidence.
//!
//! A missing photo is an error: the photo is the evidence the county relies on against phone visits and visits by
//! proxy ("不允许搞电话访问, 也不允许代访"), the camera works without a network, and a contact that was really a phone
//! call belongs in the contact log, not among visits. A missing position is only a warning: a tablet can fail to get
//! a GPS fix indoors or in a deep valley while the worker really is there, and nothing done afterwards can add it;
//! a photo that carries its own position is accepted in its place.

use super::{Facts, Findings};
use crate::household::Gps;
use chrono::{DateTime, FixedOffset, Utc};

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    for (id, visit) in &facts.household.visits {
        let when = local_date(visit.visited_at);
        if visit.photos.is_empty() {
            out.add(
                "visit.no_photo",
                format!("visits/{id}/photos"),
                None,
                format!("{when}的走访没有照片，无法证明是入户走访（不允许电话访问或代访）"),
            );
        }
        let located = is_real_position(visit.gps.as_ref())
            || visit.photos.values().any(|photo| is_real_position(photo.gps.as_ref()));
        if !located {
            out.add("visit.no_gps", format!("visits/{id}/gps"), None, format!("{when}的走访没有设备定位"));
        }
        if visit.interviewee.trim().is_empty() {
            out.add(
                "visit.no_interviewee",
                format!("visits/{id}/interviewee"),
                None,
                format!("{when}的走访没有填写受访人（当面交谈的成年人）"),
            );
        }
    }
}

/// Whether a position is a real fix: finite, in range, and not the all-zero default a record gets when no fix was taken.
fn is_real_position(gps: Option<&Gps>) -> bool {
    gps.is_some_and(|gps| {
        gps.lat.is_finite()
            && gps.lon.is_finite()
            && gps.lat.abs() <= 90.0
            && gps.lon.abs() <= 180.0
            && !(gps.lat == 0.0 && gps.lon == 0.0)
    })
}

/// The day of a visit in China Standard Time (UTC+8), as the worker would write it.
fn local_date(at: DateTime<Utc>) -> String {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    at.with_timezone(&china).format("%Y-%m-%d").to_string()
}
