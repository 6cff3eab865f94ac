//! The shared machinery never imports a feature: it reaches features only
//! through their registration (`feature::Feature`, listed in `registry`).
//! Reads the sources, so a new import from, say, `policy.rs` into
//! `crate::members` fails here before it becomes a cycle.
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Feature folders (and the one feature file, `home.rs`).
const FEATURES: &[&str] = &[
    "accounts",
    "account_security",
    "workspaces",
    "general",
    "members",
    "invitations",
    "profile",
    "developer",
    "webhooks",
    "home",
    "two_factor",
    "verification",
    "agents",
    "usage",
    "phone_numbers",
    "voices",
    "contacts",
    "audiences",
    "consent",
    "suppressions",
    "imports",
];

/// The composition root may name every feature: it is where they are listed
/// (their registrations in `registry.rs`, their settings groups in `config/mod.rs`).
const COMPOSITION_ROOT: &[&str] = &["lib.rs", "main.rs", "registry.rs", "config/mod.rs"];

/// Edges that remain, each with the reason it is not yet gone.
/// The list may only shrink: an edge that is no longer there must be
/// removed from it too (the test checks both ways).
const KNOWN: &[(&str, &str)] = &[
    // The plan table (billing machinery) carries each plan's rate card, whose
    // type and parsing live with usage; moving `RateCard` into the
    // subscription folder (or a shared pricing module) removes this edge.
    ("subscription/plans.rs", "usage"),
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first path segments after `crate::` in `text`, including each
/// item of a `crate::{a, b::c}` group.
fn crate_imports(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            let mut word = String::new();
            for c in group.chars() {
                if item_start && depth == 1 {
                    if c.is_alphanumeric() || c == '_' {
                        word.push(c);
                    } else if !word.is_empty() {
                        found.insert(std::mem::take(&mut word));
                        item_start = false;
                    }
                }
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 1 => item_start = true,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
            }
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            found.insert(name);
        }
    }
    found
}

#[test]
fn the_shared_machinery_imports_no_feature() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        let top = rel.split('/').next().unwrap_or("").trim_end_matches(".rs");
        if FEATURES.contains(&top) || COMPOSITION_ROOT.contains(&rel.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read source");
        for import in crate_imports(&text) {
            if FEATURES.contains(&import.as_str()) {
                edges.insert((rel.clone(), import));
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN.iter().map(|(f, i)| (f.to_string(), i.to_string())).collect();
    let new: Vec<_> = edges.difference(&known).collect();
    let gone: Vec<_> = known.difference(&edges).collect();
    assert!(new.is_empty(), "shared machinery imports a feature (go through the registration instead): {new:?}");
    assert!(gone.is_empty(), "these known edges are gone; remove them from KNOWN: {gone:?}");
}

#[test]
fn imports_are_read_from_paths_and_groups() {
    let found =
        crate_imports("use crate::policy::X;\nuse crate::{members, web::{a, b}, audit::record};\n crate::x::y()");
    assert_eq!(found, ["audit", "members", "policy", "web", "x"].iter().map(|s| s.to_string()).collect());
}
