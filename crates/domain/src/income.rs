//! Income arithmetic in integer fen: 年人均纯收入 = (工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出) ÷ 家庭人口数.

use crate::household::{Fen, Household, Income};

impl Income {
    /// 生产经营性收入, all sources.
    pub fn business_total_fen(&self) -> Fen {
        let b = &self.business;
        b.planting_fen + b.breeding_fen + b.forestry_fen + b.other_fen
    }

    /// 财产性收入, all sources.
    pub fn property_total_fen(&self) -> Fen {
        let p = &self.property;
        p.dividend_fen + p.land_transfer_fen + p.other_fen
    }

    /// 转移性收入, all sources.
    pub fn transfer_total_fen(&self) -> Fen {
        let t = &self.transfer;
        t.family_planning_fen + t.dibao_fen + t.tekun_fen + t.pension_fen + t.eco_compensation_fen + t.other_fen
    }

    /// 家庭纯收入: all income less 生产经营性支出.
    pub fn net_fen(&self) -> Fen {
        self.wage_fen + self.business_total_fen() + self.property_total_fen() + self.transfer_total_fen()
            - self.business_expense_fen
    }

    /// 年人均纯收入 for a household of `size` people, rounded towards zero to the fen; none for an empty household.
    pub fn per_capita_fen(&self, size: usize) -> Option<Fen> {
        if size == 0 {
            return None;
        }
        Some(self.net_fen() / size as Fen)
    }
}

impl Household {
    /// 年人均纯收入 for a year, using the members now registered.
    pub fn per_capita_fen(&self, year: i32) -> Option<Fen> {
        self.income_for(year)?.per_capita_fen(self.size())
    }
}

/// Formats fen as yuan with two decimals, e.g. `285500` → `"2855.00"`.
pub fn yuan(fen: Fen) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Parses a yuan amount typed by a person ("2855", "2855.5", "2,855.50") into fen, without floating point.
pub fn parse_yuan(text: &str) -> Option<Fen> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    let (negative, digits) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 {
        return None;
    }
    if !whole.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: Fen = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let frac: Fen = format!("{frac:0<2}").parse().ok()?;
    let fen = whole.checked_mul(100)?.checked_add(frac)?;
    Some(if negative { -fen } else { fen })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_capita_is_net_over_size() {
        let mut income =
            Income { year: 2016, wage_fen: 1_000_000, business_expense_fen: 100_000, ..Default::default() };
        income.business.breeding_fen = 300_000;
        income.transfer.dibao_fen = 80_000;
        assert_eq!(income.net_fen(), 1_280_000);
        assert_eq!(income.per_capita_fen(4), Some(320_000));
        assert_eq!(income.per_capita_fen(3), Some(426_666));
        assert_eq!(income.per_capita_fen(0), None);
    }

    #[test]
    fn yuan_text_round_trips() {
        assert_eq!(parse_yuan("2855"), Some(285_500));
        assert_eq!(parse_yuan("2,855.5"), Some(285_550));
        assert_eq!(parse_yuan("-0.05"), Some(-5));
        assert_eq!(parse_yuan("1.234"), None);
        assert_eq!(parse_yuan("abc"), None);
        assert_eq!(parse_yuan(""), None);
        assert_eq!(yuan(285_550), "2855.50");
        assert_eq!(yuan(-5), "-0.05");
    }
}
