//! minijinja templates from `crates/app/templates/`. Release builds embed
//! the folder (build.rs, minijinja-embed); builds with debug assertions read
//! it from disk on every render, so an edited template shows on the next
//! reload without a rebuild. Printing an undefined value is an error in both
//! (semi-strict mode: `{% if x %}` may test a missing key), and a test renders
//! every template in the folder with a fixture context.
#[cfg(not(debug_assertions))]
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior, Value};

/// The templates folder, for builds that read it at run time (and tests).
pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");

/// What both kinds of build set up the same way.
fn configure(env: &mut Environment<'static>) {
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
}

#[derive(Clone)]
pub struct Templates {
    #[cfg(not(debug_assertions))]
    env: Arc<Environment<'static>>,
}

impl Templates {
    /// The embedded templates (release), or the folder's (debug). Fails when
    /// the folder is missing, so a misplaced binary says so at start.
    pub fn load() -> anyhow::Result<Self> {
        #[cfg(not(debug_assertions))]
        {
            let mut env = Environment::new();
            configure(&mut env);
            minijinja_embed::load_templates!(&mut env);
            Ok(Self { env: Arc::new(env) })
        }
        #[cfg(debug_assertions)]
        {
            anyhow::ensure!(std::path::Path::new(DIR).is_dir(), "the templates folder {DIR} is missing");
            Ok(Self {})
        }
    }

    #[cfg(not(debug_assertions))]
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }

    /// A fresh environment per render: it reads the templates this render
    /// needs from disk, so edits apply at once. Debug builds only.
    #[cfg(debug_assertions)]
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        let mut env = Environment::new();
        configure(&mut env);
        env.set_loader(minijinja::path_loader(DIR));
        env.get_template(name)?.render(ctx)
    }
}

#[cfg(test)]
mod tests;
