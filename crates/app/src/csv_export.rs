//! The one way to write CSV for people to download (the audit export, and
//! every export to come). Spreadsheets run a cell that starts with `=`,
//! `+`, `-` or `@` as a formula (and some read a leading tab or carriage
//! return the same way), so a value an attacker chose — a name, a user
//! agent — could run in an Admin's spreadsheet. Such a cell is written
//! with a leading `'`, as OWASP recommends ("CSV Injection"); a
//! spreadsheet shows the text as it was. JSON exports stay exact: only CSV
//! goes through here.
use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `value` as a CSV cell that no spreadsheet evaluates.
pub fn cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_START) { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) }
}

/// The value a [`cell`] was written from: a `'` before a formula
/// character is dropped, so a downloaded file (an import's errors CSV)
/// can be fixed and imported again as it is.
pub fn uncell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => value,
    }
}

/// Rows of CSV into a buffer, every cell through [`cell`]; quoting and
/// escaping are the `csv` crate's.
pub struct CsvRows {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvRows {
    pub fn with_capacity(bytes: usize) -> Self {
        CsvRows { writer: csv::Writer::from_writer(Vec::with_capacity(bytes)) }
    }

    /// Writes one row. Writing into memory cannot fail.
    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = &'a str>) -> &mut Self {
        let _ = self.writer.write_record(cells.into_iter().map(|c| cell(c).into_owned()));
        self
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_leading_quote_and_others_stay() {
        for formula in ["=1+1", "+1", "-1+cmd", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")"] {
            assert_eq!(cell(formula), format!("'{formula}"), "{formula:?}");
            assert_eq!(uncell(&cell(formula)), formula, "{formula:?}");
        }
        for plain in ["", "Ada", "a=b", "'quoted", " =1", "1-2", "{\"a\":1}", "ws_01J", "::1"] {
            assert_eq!(cell(plain), plain, "{plain:?}");
        }
    }

    #[test]
    fn rows_are_quoted_csv_of_safe_cells() {
        let mut rows = CsvRows::with_capacity(64);
        rows.row(["name", "note"]).row(["=cmd", "a, \"b\"\nc"]);
        let text = String::from_utf8(rows.into_bytes()).expect("utf-8");
        assert_eq!(text, "name,note\n'=cmd,\"a, \"\"b\"\"\nc\"\n");
    }
}
