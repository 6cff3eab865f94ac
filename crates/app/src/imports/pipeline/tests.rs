//! The pipeline over a test target that writes to a table of its own in a
//! real SQLite database (so savepoints and batches are the real thing).
use async_trait::async_trait;
use switchboard_core::{ImportId, WorkspaceId};
use switchboard_db::{Db, Tx, execute, fetch_all, fetch_scalar};

use super::*;
use crate::error::AppResult;
use crate::imports::model::{Import, ImportState};
use crate::imports::parse::{Separator, chunked};
use crate::imports::target::{ImportKind, ImportOptions, OnDuplicate, TargetField};
use crate::state::AppState;

/// People keyed by phone. A name of `HALF` writes the row and then refuses
/// it (a target that checks after writing); `!` in a name is invalid.
struct People;

struct PeopleCtx {
    on_duplicate: OnDuplicate,
}

#[async_trait]
impl ImportTarget for People {
    type Context = PeopleCtx;

    fn kind(&self) -> ImportKind {
        ImportKind::Contacts
    }

    async fn prepare(&self, _: &AppState, _: &WorkspaceId, options: &ImportOptions) -> AppResult<PeopleCtx> {
        Ok(PeopleCtx { on_duplicate: options.on_duplicate })
    }

    fn fields(&self, _: &PeopleCtx) -> Vec<TargetField> {
        vec![TargetField::new("phone", "Phone", true), TargetField::new("name", "Name", false)]
    }

    fn dedup_key(&self, _: &PeopleCtx, row: &MappedRow) -> Option<String> {
        row.get("phone").map(|p| p.chars().filter(char::is_ascii_digit).collect())
    }

    fn validate_row(&self, _: &PeopleCtx, row: &MappedRow) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        match row.get("phone") {
            None => errors.push(FieldError::new("phone", "Enter a phone number.")),
            Some(p) if !p.chars().all(|c| c.is_ascii_digit() || c == '+' || c == ' ') => {
                errors.push(FieldError::new("phone", "Enter digits only."))
            }
            Some(_) => {}
        }
        if row.get("name").is_some_and(|n| n.contains('!')) {
            errors.push(FieldError::new("name", "No exclamation marks."));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    async fn apply_row(
        &self,
        tx: &mut Tx,
        ctx: &PeopleCtx,
        _: &Origin,
        row: &MappedRow,
    ) -> Result<RowOutcome, RowError> {
        self.validate_row(ctx, row)?;
        let phone = self.dedup_key(ctx, row).unwrap_or_default();
        let name = row.get("name").unwrap_or("");
        let exists: i64 = fetch_scalar!(&mut *tx, i64, "SELECT COUNT(*) FROM test_people WHERE phone = $1", &phone)?;
        let outcome = if exists > 0 {
            if ctx.on_duplicate == OnDuplicate::Skip {
                return Ok(RowOutcome::Skipped);
            }
            execute!(&mut *tx, "UPDATE test_people SET name = $2 WHERE phone = $1", &phone, name)?;
            RowOutcome::Updated
        } else {
            execute!(&mut *tx, "INSERT INTO test_people (phone, name) VALUES ($1, $2)", &phone, name)?;
            RowOutcome::Created
        };
        if name == "HALF" {
            return Err(RowError::Invalid(vec![FieldError::new("name", "Refused after writing.")]));
        }
        Ok(outcome)
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    db: Db,
    ws: WorkspaceId,
    id: ImportId,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
    let db = Db::connect(&url, 2).await.expect("connects");
    db.migrate().await.expect("migrates");
    let ws = WorkspaceId::new();
    let now = chrono::Utc::now();
    execute!(
        &db,
        "INSERT INTO workspaces (id, name, created_at, updated_at) VALUES ($1, 'W', $2, $2)",
        ws.as_str(),
        now
    )
    .expect("workspace");
    execute!(&db, "CREATE TABLE test_people (phone TEXT PRIMARY KEY, name TEXT NOT NULL)").expect("table");
    let id = ImportId::new();
    let import = Import {
        id: id.clone(),
        workspace_id: ws.clone(),
        kind: ImportKind::Contacts,
        state: ImportState::Running,
        file_name: "people.csv".into(),
        file_key: "k".into(),
        size_bytes: 0,
        separator: Separator::Comma,
        header: vec!["phone".into(), "name".into()],
        mapping: vec![Some("phone".into()), Some("name".into())],
        on_duplicate: OnDuplicate::Update,
        default_country: "US".into(),
        counts: Counts::default(),
        bytes_read: 0,
        last_row: 1,
        error: None,
        created_by: None,
        created_at: now,
        started_at: None,
        finished_at: None,
    };
    store::insert(&db, &import).await.expect("import");
    Setup { _dir: dir, db, ws, id }
}

fn mapping() -> Mapping {
    vec![Some("phone".into()), Some("name".into())]
}

async fn run_file(s: &Setup, file: &[u8], on_duplicate: OnDuplicate, stop_after: Option<u32>) -> RunSummary {
    let ctx = PeopleCtx { on_duplicate };
    let origin = Origin::system(s.ws.clone());
    let mapping = mapping();
    let run =
        Run { target: &People, ctx: &ctx, origin: &origin, mapping: &mapping, workspace_id: &s.ws, import_id: &s.id };
    let import = store::find(&s.db, &s.ws, &s.id).await.expect("finds").expect("exists");
    let resume = ResumePoint { last_row: import.last_row as u64 };
    let mut reader = RecordReader::new(chunked(file, 7), Separator::Comma);
    run.run(&s.db, &mut reader, resume, |summary| stop_after.is_none_or(|n| summary.batches < n)).await.expect("runs")
}

async fn people(db: &Db) -> Vec<(String, String)> {
    fetch_all!(db, (String, String), "SELECT phone, name FROM test_people ORDER BY phone").expect("people")
}

#[tokio::test]
async fn rows_are_applied_and_bad_rows_fail_alone_with_their_row_numbers() {
    let s = setup().await;
    let file = "phone,name\n+1 555 0001,Ada\n+1555000x,Bad\n\"+1555\n0002\",Quoted\n+15550003\n+15550004,HALF\n+15550005,Bo!\n\n+15550006,Cy\n";
    let summary = run_file(&s, file.as_bytes(), OnDuplicate::Update, None).await;
    assert_eq!(summary.counts, Counts { rows_read: 7, created: 2, updated: 0, skipped: 0, failed: 5 });
    // `HALF` wrote and was refused: rolled back to its savepoint, whole.
    assert_eq!(people(&s.db).await, vec![("15550001".into(), "Ada".into()), ("15550006".into(), "Cy".into())]);
    let errors = store::row_errors(&s.db, &s.ws, &s.id, 0, 100).await.expect("errors");
    let rows: Vec<_> = errors.iter().map(|e| (e.row_number, e.errors[0].message.as_str())).collect();
    assert_eq!(
        rows,
        vec![
            (3, "Enter digits only."),
            (4, "Enter digits only."),
            (5, "This row has 1 cells; the header has 2."),
            (6, "Refused after writing."),
            (7, "No exclamation marks."),
        ]
    );
    assert_eq!(errors[0].cells, vec!["+1555000x".to_string(), "Bad".to_string()]);
    let import = store::find(&s.db, &s.ws, &s.id).await.expect("finds").expect("exists");
    assert_eq!(import.counts, summary.counts);
    assert_eq!(import.bytes_read, file.len() as i64);
    assert_eq!(import.last_row, 8);
}

#[tokio::test]
async fn a_key_seen_earlier_in_the_file_is_a_duplicate_of_that_row_and_stored_keys_update_or_skip() {
    let s = setup().await;
    execute!(&s.db, "INSERT INTO test_people (phone, name) VALUES ('15550009', 'Old')").expect("seed");
    let file = b"phone,name\n+15550001,Ada\n+1 555 0001,Again\n+15550009,New\n";
    let summary = run_file(&s, file, OnDuplicate::Skip, None).await;
    assert_eq!(summary.counts, Counts { rows_read: 3, created: 1, updated: 0, skipped: 1, failed: 1 });
    let errors = store::row_errors(&s.db, &s.ws, &s.id, 0, 100).await.expect("errors");
    assert_eq!(errors[0].row_number, 3);
    assert_eq!(errors[0].errors[0].message, "Duplicate of row 2.");
    assert_eq!(people(&s.db).await[1], ("15550009".into(), "Old".into()));

    let s = setup().await;
    execute!(&s.db, "INSERT INTO test_people (phone, name) VALUES ('15550009', 'Old')").expect("seed");
    let summary = run_file(&s, b"phone,name\n+15550009,New\n", OnDuplicate::Update, None).await;
    assert_eq!(summary.counts.updated, 1);
    assert_eq!(people(&s.db).await, vec![("15550009".into(), "New".into())]);
}

#[tokio::test]
async fn a_run_stopped_after_a_batch_resumes_after_it_without_importing_twice() {
    let s = setup().await;
    let mut file = String::from("phone,name\n");
    for i in 0..1200 {
        file.push_str(&format!("+1555{i:07},P{i}\n"));
    }
    // Row 2's phone again, after the first batch: still a duplicate on resume.
    file.push_str("+15550000000,Again\n");
    let first = run_file(&s, file.as_bytes(), OnDuplicate::Update, Some(1)).await;
    assert_eq!(first.counts.rows_read, BATCH_ROWS as i64);
    let import = store::find(&s.db, &s.ws, &s.id).await.expect("finds").expect("exists");
    assert_eq!(import.last_row, BATCH_ROWS as u64 as i64 + 1);
    assert!(import.bytes_read > 0 && import.bytes_read < file.len() as i64);

    let rest = run_file(&s, file.as_bytes(), OnDuplicate::Update, None).await;
    assert_eq!(rest.counts, Counts { rows_read: 701, created: 700, updated: 0, skipped: 0, failed: 1 });
    let import = store::find(&s.db, &s.ws, &s.id).await.expect("finds").expect("exists");
    assert_eq!(import.counts, Counts { rows_read: 1201, created: 1200, updated: 0, skipped: 0, failed: 1 });
    assert_eq!(import.bytes_read, file.len() as i64);
    assert_eq!(people(&s.db).await.len(), 1200);
    let errors = store::row_errors(&s.db, &s.ws, &s.id, 0, 10).await.expect("errors");
    assert_eq!(errors[0].errors[0].message, "Duplicate of row 2.");
}

#[tokio::test]
async fn a_run_that_another_run_overtook_stops_without_writing_its_batch() {
    let s = setup().await;
    let mut file = String::from("phone,name\n");
    for i in 0..1200 {
        file.push_str(&format!("+1555{i:07},P{i}\n"));
    }
    // Two runs read the same resume point (a job claimed again while its
    // first run still went on); the first commits a batch.
    let stale = ResumePoint { last_row: 1 };
    let first = run_file(&s, file.as_bytes(), OnDuplicate::Update, Some(1)).await;
    assert!(!first.finished, "stopped after its first batch");
    let ctx = PeopleCtx { on_duplicate: OnDuplicate::Update };
    let origin = Origin::system(s.ws.clone());
    let mapping = mapping();
    let run =
        Run { target: &People, ctx: &ctx, origin: &origin, mapping: &mapping, workspace_id: &s.ws, import_id: &s.id };
    let mut reader = RecordReader::new(chunked(file.as_bytes(), 7), Separator::Comma);
    let late = run.run(&s.db, &mut reader, stale, |_| true).await;
    assert!(matches!(late, Err(RunError::Superseded)), "{late:?}");
    // Its batch was rolled back: the counts are the first run's alone.
    let import = store::find(&s.db, &s.ws, &s.id).await.expect("finds").expect("exists");
    assert_eq!(import.counts.rows_read, BATCH_ROWS as i64);
    assert_eq!(people(&s.db).await.len(), BATCH_ROWS);

    let rest = run_file(&s, file.as_bytes(), OnDuplicate::Update, None).await;
    assert!(rest.finished);
    assert_eq!(people(&s.db).await.len(), 1200);
}

#[test]
fn a_preview_validates_without_writing_and_marks_duplicates() {
    let records: Vec<Record> = [("+1555", "A"), ("x", "B"), ("+1 555", "C")]
        .iter()
        .enumerate()
        .map(|(i, (p, n))| Record {
            row: i as u64 + 2,
            cells: vec![p.to_string(), n.to_string()],
            invalid_utf8: false,
            end_offset: 0,
        })
        .collect();
    let rows = preview(&People, &PeopleCtx { on_duplicate: OnDuplicate::Skip }, &mapping(), &records);
    assert!(rows[0].errors.is_empty());
    assert_eq!(rows[0].values.get("name").map(String::as_str), Some("A"));
    assert_eq!(rows[1].errors[0].field, "phone");
    assert_eq!(rows[2].errors[0].message, "Duplicate of row 2.");
}

#[test]
fn the_duplicates_set_keeps_the_first_row_of_each_key() {
    let mut dedup = Dedup::default();
    dedup.insert("a", 2);
    dedup.insert("a", 9);
    dedup.insert("b", 3);
    assert_eq!(dedup.first_row("a"), Some(2));
    assert_eq!(dedup.first_row("c"), None);
    assert_eq!(dedup.len(), 2);
}
