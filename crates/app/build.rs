//! Release builds embed `templates/` in the binary (minijinja-embed writes
//! them into OUT_DIR; `web::templates` loads them). Builds with debug
//! assertions read the folder at run time instead, so this script does
//! nothing for them and a template edit triggers no rebuild.
fn main() {
    // Without this line cargo would rerun the script on any change in the package.
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_CFG_DEBUG_ASSERTIONS").is_none() {
        minijinja_embed::embed_templates!("templates", &[".html"][..]);
    }
}
