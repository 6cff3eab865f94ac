//! Column mapping: which target field each column of the file fills.
//!
//! A mapping has one entry per header cell: a field name, or `None` for a
//! column the import ignores. At upload a mapping is suggested by matching
//! header cells to field names and labels, case-insensitively and ignoring
//! spaces, `_` and `-` ("Phone Number" → `phone_number`).
use std::collections::HashSet;

use super::parse::Record;
use super::target::{MappedRow, TargetField};
use crate::error::FieldError;

/// One entry per column of the header.
pub type Mapping = Vec<Option<String>>;

fn normalise(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace() && *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// The mapping suggested for `header`: each column whose cell names a
/// field (its name or label) maps to it; a field is mapped at most once
/// (the first such column), the others are ignored.
pub fn suggest(header: &[String], fields: &[TargetField]) -> Mapping {
    let mut used = HashSet::new();
    header
        .iter()
        .map(|cell| {
            let cell = normalise(cell);
            if cell.is_empty() {
                return None;
            }
            let field = fields.iter().find(|f| normalise(&f.name) == cell || normalise(&f.label) == cell)?;
            used.insert(field.name.clone()).then(|| field.name.clone())
        })
        .collect()
}

/// Checks a mapping sent for a header of `columns` cells: one entry per
/// column, known fields, none twice, every required field mapped.
pub fn check(mapping: &Mapping, columns: usize, fields: &[TargetField]) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if mapping.len() != columns {
        errors.push(FieldError::new(
            "mapping",
            format!("Send one entry per column: the file has {columns} columns, the mapping {}.", mapping.len()),
        ));
        return Err(errors);
    }
    let mut used = HashSet::new();
    for (i, entry) in mapping.iter().enumerate() {
        let Some(name) = entry else { continue };
        if !fields.iter().any(|f| &f.name == name) {
            errors.push(FieldError::new(
                format!("mapping[{i}]"),
                format!("There is no field \"{name}\" to import into."),
            ));
        } else if !used.insert(name.as_str()) {
            errors.push(FieldError::new(
                format!("mapping[{i}]"),
                format!("Another column is already mapped to \"{name}\"."),
            ));
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        if !used.contains(field.name.as_str()) {
            errors.push(FieldError::new("mapping", format!("Map a column to {} (required).", field.label)));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The record's mapped cells, or why the record is not a row: a cell count
/// other than the header's (a ragged row), or bytes that are not UTF-8.
pub fn apply(mapping: &Mapping, record: &Record) -> Result<MappedRow, Vec<FieldError>> {
    if record.cells.len() != mapping.len() {
        return Err(vec![FieldError::new(
            "row",
            format!("This row has {} cells; the header has {}.", record.cells.len(), mapping.len()),
        )]);
    }
    if record.invalid_utf8 {
        return Err(vec![FieldError::new("row", "This row is not UTF-8 text; save the file as CSV UTF-8.")]);
    }
    let values = mapping
        .iter()
        .zip(&record.cells)
        .filter_map(|(field, cell)| {
            let field = field.as_ref()?;
            // A cell of an errors CSV, fixed and imported again: without
            // the `'` that kept a spreadsheet from running it.
            let value = crate::csv_export::uncell(cell.trim()).trim();
            (!value.is_empty()).then(|| (field.clone(), value.to_owned()))
        })
        .collect();
    Ok(MappedRow { row: record.row, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<TargetField> {
        vec![
            TargetField::new("phone", "Phone", true),
            TargetField::new("email", "Email", false),
            TargetField::new("plan_tier", "Plan tier", false),
        ]
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn header_cells_map_to_names_or_labels_ignoring_case_spaces_and_dashes() {
        let header = strings(&["PHONE", "E-mail", "Plan Tier", "notes", "phone", ""]);
        assert_eq!(
            suggest(&header, &fields()),
            vec![Some("phone".into()), Some("email".into()), Some("plan_tier".into()), None, None, None]
        );
    }

    #[test]
    fn a_mapping_must_cover_each_column_name_known_fields_once_and_the_required_ones() {
        let f = fields();
        assert!(check(&vec![Some("phone".into()), None], 2, &f).is_ok());
        assert_eq!(check(&vec![Some("phone".into())], 2, &f).expect_err("refused")[0].field, "mapping");
        let errors =
            check(&vec![Some("email".into()), Some("email".into()), Some("fax".into())], 3, &f).expect_err("refused");
        let named: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, vec!["mapping[1]", "mapping[2]", "mapping"]);
    }

    #[test]
    fn a_row_keeps_its_trimmed_mapped_cells_and_ragged_rows_are_errors() {
        let mapping = vec![Some("phone".into()), None, Some("email".into())];
        let record = Record { row: 7, cells: strings(&[" +1555 ", "x", ""]), invalid_utf8: false, end_offset: 0 };
        let row = apply(&mapping, &record).expect("maps");
        assert_eq!(row.row, 7);
        assert_eq!(row.get("phone"), Some("+1555"));
        assert_eq!(row.get("email"), None);
        let ragged = Record { cells: strings(&["a"]), ..record };
        assert_eq!(
            apply(&mapping, &ragged).expect_err("refused")[0].message,
            "This row has 1 cells; the header has 3."
        );
    }
}
