//! 防返贫动态监测: a risk is only removed by support when a measure was carried out and income is above that year's
//! threshold; a household with nobody able to work is never closed.

use super::exit::line_name;
use super::{Facts, Findings};
use crate::codes::MonitoringState;
use crate::income::yuan;

pub(super) fn check(facts: &Facts<'_>, out: &mut Findings<'_>) {
    let household = facts.household;
    let anyone_can_work = facts.anyone_can_work();
    for (id, case) in &household.monitoring {
        let Some(state) = case.state else { continue };
        let year = case.year;

        if state == MonitoringState::RemovedBySupport {
            if !case.measures.values().any(|measure| measure.carried_out.is_some()) {
                out.add(
                    "monitoring.closed_without_measure",
                    format!("monitoring/{id}/measures"),
                    None,
                    format!("{year}年监测对象状态为“{state}”，但没有已落实的帮扶措施"),
                );
            }
            // A year before any line in the policy cannot be judged; every monitoring year (2021 on) has one.
            if let Some((kind, line)) = facts.policy().line_for(year) {
                let problem = match household.per_capita_fen(year) {
                    None => Some(format!("没有{year}年的收入记录，无法证明收入高于{}", line_name(kind))),
                    Some(per_capita) if per_capita <= line => Some(format!(
                        "{year}年人均纯收入{}元，未高于当年{}{}元",
                        yuan(per_capita),
                        line_name(kind),
                        yuan(line)
                    )),
                    Some(_) => None,
                };
                if let Some(problem) = problem {
                    out.add(
                        "monitoring.closed_below_threshold",
                        format!("monitoring/{id}/state"),
                        None,
                        format!("{year}年监测对象状态为“{state}”，但{problem}"),
                    );
                }
            }
        }

        if state.is_closed() && !anyone_can_work {
            out.add(
                "monitoring.closed_no_labour",
                format!("monitoring/{id}/state"),
                None,
                format!("{year}年监测对象状态为“{state}”，但家中没有在册成员有劳动能力，不得消除风险"),
            );
        }
    }
}
