// `sqlx::migrate!` embeds the migration folders at compile time; without
// this, adding or editing a migration does not rebuild the crate and the
// binary keeps running the old set.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
    println!("cargo:rerun-if-changed=../../migrations/sqlite");
    println!("cargo:rerun-if-changed=../../migrations/postgres");
}
