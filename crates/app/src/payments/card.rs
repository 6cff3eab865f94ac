//! A card as typed into our own form or sent to the API (sandbox only),
//! parsed before it goes to the processor: the number's digits (with the
//! Luhn check, so a typo is caught by the field, not by the bank), the
//! expiry in any of the ways people write it ("12/34", "12 / 2034",
//! "1234"), and the security code. The number is never kept, logged or
//! echoed: [`CardInput`]'s `Debug` hides it, and a refused form is shown
//! again without it.
use chrono::{DateTime, Datelike, Utc};
use switchboard_providers::payments::CardInput;

/// Why a typed card cannot be sent, by the field it concerns.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CardErrors {
    pub number: Option<String>,
    pub expiry: Option<String>,
    pub cvc: Option<String>,
}

impl CardErrors {
    fn is_empty(&self) -> bool {
        self.number.is_none() && self.expiry.is_none() && self.cvc.is_none()
    }

    /// Each problem by the name its field has in our forms (`card_number`,
    /// `card_expiry`, `card_cvc`).
    pub fn by_form_field(self) -> Vec<(&'static str, String)> {
        [("card_number", self.number), ("card_expiry", self.expiry), ("card_cvc", self.cvc)]
            .into_iter()
            .filter_map(|(field, message)| Some((field, message?)))
            .collect()
    }

    /// The problems as a 422 naming the form's fields.
    pub fn into_form_error(self) -> crate::error::AppError {
        crate::error::AppError::validation(
            self.by_form_field().into_iter().map(|(f, m)| crate::error::FieldError::new(f, m)).collect(),
        )
    }
}

/// The digits of a card number typed with spaces or dashes.
pub fn number_digits(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("Enter the card number.".into());
    }
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) || !luhn(&digits) {
        return Err("That is not a valid card number: check the digits.".into());
    }
    Ok(digits)
}

/// The Luhn checksum every card number carries.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `(month, year)` from "12/34", "12 / 2034", "12-34", "1234" or "122034";
/// refused when it is not a date or the month has passed at `now`.
pub fn parse_expiry(raw: &str, now: DateTime<Utc>) -> Result<(u32, u32), String> {
    let format = || "Enter the expiry date as MM/YY.".to_string();
    let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(format());
    }
    let (month, year) = match compact.split_once(['/', '-']) {
        Some(parts) => parts,
        None if compact.len() == 4 || compact.len() == 6 => compact.split_at(2),
        None => return Err(format()),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(month) || month.len() > 2 || !all_digits(year) || !(year.len() == 2 || year.len() == 4) {
        return Err(format());
    }
    let month: u32 = month.parse().map_err(|_| format())?;
    let year: u32 = year.parse().map_err(|_| format())?;
    let year = if year < 100 { 2000 + year } else { year };
    if !(1..=12).contains(&month) {
        return Err("The month must be 01 to 12.".into());
    }
    let current = (u32::try_from(now.year()).unwrap_or(0), now.month());
    if (year, month) < current {
        return Err("This card has expired.".into());
    }
    if year > current.0 + 50 {
        return Err("Check the year: that is too far ahead.".into());
    }
    Ok((month, year))
}

pub fn parse_cvc(raw: &str) -> Result<String, String> {
    let cvc = raw.trim();
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Enter the 3 or 4 digit security code from the card.".into());
    }
    Ok(cvc.to_string())
}

/// The card, or every field's problem at once.
pub fn parse(number: &str, expiry: &str, cvc: &str, now: DateTime<Utc>) -> Result<CardInput, CardErrors> {
    let number = number_digits(number);
    let expiry = parse_expiry(expiry, now);
    let cvc = parse_cvc(cvc);
    match (number, expiry, cvc) {
        (Ok(number), Ok((exp_month, exp_year)), Ok(cvc)) => Ok(CardInput { number, exp_month, exp_year, cvc }),
        (number, expiry, cvc) => {
            let errors = CardErrors { number: number.err(), expiry: expiry.err(), cvc: cvc.err() };
            debug_assert!(!errors.is_empty());
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).single().expect("date")
    }

    #[test]
    fn expiry_is_read_however_it_is_typed() {
        for raw in ["12/34", "12 / 2034", " 12/2034 ", "12-34", "1234", "122034", "12 /34"] {
            assert_eq!(parse_expiry(raw, now()), Ok((12, 2034)), "{raw:?}");
        }
        assert_eq!(parse_expiry("1/27", now()), Ok((1, 2027)));
        assert_eq!(parse_expiry("12/26", now()), Ok((12, 2026)), "this month still works");
    }

    #[test]
    fn bad_or_past_expiry_is_refused_with_a_reason() {
        for raw in ["", "12", "12/3", "ab/cd", "123/34", "12/345", "12//34", "12/34/56"] {
            assert_eq!(parse_expiry(raw, now()), Err("Enter the expiry date as MM/YY.".into()), "{raw:?}");
        }
        assert_eq!(parse_expiry("13/34", now()), Err("The month must be 01 to 12.".into()));
        assert_eq!(parse_expiry("00/34", now()), Err("The month must be 01 to 12.".into()));
        assert_eq!(parse_expiry("11/26", now()), Err("This card has expired.".into()));
        assert!(parse_expiry("12/2099", now()).is_err(), "too far ahead");
    }

    #[test]
    fn numbers_need_their_digits_and_checksum() {
        assert_eq!(number_digits("4242 4242 4242 4242").as_deref(), Ok("4242424242424242"));
        assert_eq!(number_digits("4000-0000-0000-0002").as_deref(), Ok("4000000000000002"));
        assert!(number_digits("378282246310005").is_ok(), "American Express, 15 digits");
        for bad in ["", "4242 4242 4242 4241", "4242", "4242 4242 4242 424x"] {
            assert!(number_digits(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let errors = parse("1234", "13/34", "1", now()).expect_err("refused");
        assert!(errors.number.is_some() && errors.expiry.is_some() && errors.cvc.is_some());
        let card = parse("4242 4242 4242 4242", "12 / 2034", "123", now()).expect("parses");
        assert_eq!((card.exp_month, card.exp_year, card.number.as_str()), (12, 2034, "4242424242424242"));
    }
}
