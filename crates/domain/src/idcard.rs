//! Resident ID numbers (居民身份证号码, GB 11643): check digit, birth date, sex.

use crate::codes::Sex;
use chrono::NaiveDate;

/// Weights of the first 17 digits in the GB 11643 check.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each remainder 0..=10.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why an ID number is invalid. Each variant maps to one data check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    /// Not 18 characters of digits with a final digit or X.
    #[error("身份证号码应为18位（前17位为数字，最后一位为数字或X）")]
    Format,
    /// Positions 7-14 are not a real date.
    #[error("身份证号码中的出生日期无效")]
    BirthDate,
    /// The 18th character does not match GB 11643.
    #[error("身份证号码校验位错误")]
    CheckDigit,
}

/// A syntactically valid resident ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    /// The normalised number (upper-case X).
    pub number: String,
    /// Birth date encoded in it.
    pub birth_date: NaiveDate,
    /// Sex encoded by the parity of the 17th digit (odd = male).
    pub sex: Sex,
}

/// The GB 11643 check character for the first 17 digits.
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.bytes().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    Some(CHECK_CHARS[(sum % 11) as usize])
}

/// Parses and validates an 18-character resident ID number.
pub fn parse_id_number(raw: &str) -> Result<IdNumber, IdNumberError> {
    let number = raw.trim().to_ascii_uppercase();
    let bytes = number.as_bytes();
    if bytes.len() != 18
        || !bytes[..17].iter().all(u8::is_ascii_digit)
        || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
    {
        return Err(IdNumberError::Format);
    }
    let birth_date = NaiveDate::parse_from_str(&number[6..14], "%Y%m%d").map_err(|_| IdNumberError::BirthDate)?;
    if birth_date.format("%Y").to_string().as_str() < "1900" {
        return Err(IdNumberError::BirthDate);
    }
    if check_char(&number[..17]) != Some(bytes[17] as char) {
        return Err(IdNumberError::CheckDigit);
    }
    let sex = if (bytes[16] - b'0') % 2 == 1 { Sex::Male } else { Sex::Female };
    Ok(IdNumber { number, birth_date, sex })
}

/// A disability card number (残疾人证): the 18-character ID number plus a category digit and a grade digit, optionally with a 2-digit reissue suffix.
pub fn parse_disability_card(raw: &str) -> Result<IdNumber, IdNumberError> {
    let trimmed = raw.trim();
    let len = trimmed.chars().count();
    if !(len == 20 || len == 22) || !trimmed.is_ascii() || !trimmed[18..].bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdNumberError::Format);
    }
    parse_id_number(&trimmed[..18])
}

/// The key an ID number is indexed by for the duplicate check: trimmed, upper-case X, and for a disability card
/// (the ID number plus category and grade digits) its first 18 characters. None for an empty number.
pub fn index_key(raw: &str) -> Option<String> {
    let number = raw.trim().to_ascii_uppercase();
    if number.is_empty() {
        return None;
    }
    Some(if number.len() > 18 && number.is_ascii() { number[..18].to_string() } else { number })
}

/// Completed years of age on a day.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// Builds a valid ID number from a 6-digit area code, birth date and 3-digit sequence (odd = male); used by generators and tests.
pub fn make_id_number(area: &str, birth: NaiveDate, sequence: u16) -> String {
    let first17 = format!("{area}{}{:03}", birth.format("%Y%m%d"), sequence % 1000);
    let check = check_char(&first17).expect("area must be six digits");
    format!("{first17}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_example_passes() {
        // The example number printed in GB 11643-1999 itself.
        let id = parse_id_number("11010519491231002X").unwrap();
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.sex, Sex::Female);
        assert_eq!(parse_id_number("11010519491231002x").unwrap().number, "11010519491231002X");
    }

    #[test]
    fn each_defect_is_named() {
        assert_eq!(parse_id_number("1101051949123100"), Err(IdNumberError::Format));
        assert_eq!(parse_id_number("11010519491231002Y"), Err(IdNumberError::Format));
        assert_eq!(parse_id_number("110105194913310021"), Err(IdNumberError::BirthDate));
        assert_eq!(parse_id_number("110105194912310021"), Err(IdNumberError::CheckDigit));
        assert_eq!(parse_id_number("１１０１０５１９４９１２３１００２Ｘ"), Err(IdNumberError::Format));
    }

    #[test]
    fn generated_numbers_are_valid_and_carry_sex() {
        let birth = NaiveDate::from_ymd_opt(1980, 2, 29).unwrap();
        let male = make_id_number("532503", birth, 13);
        let parsed = parse_id_number(&male).unwrap();
        assert_eq!(parsed.sex, Sex::Male);
        assert_eq!(parsed.birth_date, birth);
        assert_eq!(parse_id_number(&make_id_number("532503", birth, 14)).unwrap().sex, Sex::Female);
    }

    #[test]
    fn disability_card_wraps_an_id_number() {
        let id = make_id_number("532503", NaiveDate::from_ymd_opt(1970, 5, 1).unwrap(), 21);
        assert!(parse_disability_card(&format!("{id}42")).is_ok());
        assert!(parse_disability_card(&format!("{id}4201")).is_ok());
        assert_eq!(parse_disability_card(&format!("{id}4")), Err(IdNumberError::Format));
    }

    #[test]
    fn age_counts_completed_years() {
        let birth = NaiveDate::from_ymd_opt(2010, 6, 15).unwrap();
        assert_eq!(age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 14).unwrap()), 15);
        assert_eq!(age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 15).unwrap()), 16);
    }
}
