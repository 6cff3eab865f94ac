//! Every template in the folder renders with a fixture context: what
//! `Page::render` passes (the layout's keys plus the page's), captured from
//! real renders, one JSON file per template under `tests/template_fixtures/`
//! named like the template. A new template fails here until it has one.
use std::path::{Path, PathBuf};

use minijinja::Value;

use super::{DIR, Templates};

/// Files of macros only, rendered through the pages that import them.
const MACRO_ONLY: &[&str] = &["macros.html", "webhooks/macros.html"];

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/template_fixtures");

/// Every `.html` file under `dir`, as template names (`settings/general.html`).
fn template_names(root: &Path, dir: &Path, names: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            template_names(root, &path, names);
        } else if path.extension().is_some_and(|e| e == "html") {
            let name = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
            names.push(name);
        }
    }
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name.replace(".html", ".json"))
}

/// Renders `name` with its fixture; the error says which template and why.
fn render_with_fixture(templates: &Templates, name: &str) -> Result<String, String> {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{name}: no fixture at {} ({e}); add one with what its page passes", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{name}: fixture {} is not JSON: {e}", path.display()))?;
    let html = templates.render(name, Value::from_serialize(&json)).map_err(|e| format!("{name}: {e:#}"))?;
    if html.trim().is_empty() {
        return Err(format!("{name}: rendered nothing"));
    }
    Ok(html)
}

#[test]
fn every_template_renders_with_its_fixture() {
    let templates = Templates::load().expect("templates load");
    let mut names = Vec::new();
    template_names(Path::new(DIR), Path::new(DIR), &mut names);
    names.sort();
    assert!(names.len() >= 20, "found only {names:?} under {DIR}");
    let failures: Vec<String> = names
        .iter()
        .filter(|name| !MACRO_ONLY.contains(&name.as_str()))
        .filter_map(|name| render_with_fixture(&templates, name).err())
        .collect();
    assert!(failures.is_empty(), "templates that do not render:\n{}", failures.join("\n"));
    for exception in MACRO_ONLY {
        assert!(names.iter().any(|n| n == exception), "{exception} is listed as macro-only but does not exist");
    }
}

/// The check itself: a template that prints a value its context lacks fails
/// with the template's name (the semi-strict mode the app runs with).
#[test]
fn a_template_printing_an_undefined_value_fails() {
    let templates = Templates::load().expect("templates load");
    let err = render_with_fixture(&templates, "errors/error.html").map(|_| ());
    assert!(err.is_ok(), "{err:?}");
    let mut env = minijinja::Environment::new();
    super::configure(&mut env);
    env.add_template("broken.html", "{{ missing.name }}").expect("parses");
    let rendered = env.get_template("broken.html").expect("template").render(minijinja::context! {});
    assert!(rendered.is_err(), "printing an undefined value must fail");
    assert!(render_with_fixture(&templates, "no/such.html").is_err_and(|e| e.starts_with("no/such.html: ")));
}
