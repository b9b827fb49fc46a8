//! The household file as the people who collect it understand it: households, members, yearly conditions and income,
//! visits, 六看一问 inspections, 两不愁三保障 assessments, workflow and monitoring records; code lists, policy tables
//! (loaded from data), income arithmetic and every data check.
//!
//! This crate must never do IO, read a clock or make random ids: time, ids and policy are passed in, so every rule
//! is deterministic and testable. It depends on no other crate of this workspace. Every rule about households lives here, once.

pub mod checks;
pub mod codes;
pub mod household;
pub mod idcard;
pub mod income;
pub mod labels;
pub mod policy;

pub use checks::{CheckContext, Finding, check_household, signing_blockers};
pub use codes::*;
pub use household::*;
pub use policy::Policy;
