//! minijinja templates, embedded in the binary. Printing an undefined value is an
//! error (semi-strict mode: `{% if x %}` may test a missing key), and a test
//! renders every template.
use std::sync::Arc;

use minijinja::{Environment, UndefinedBehavior, Value};

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
    };
}

/// Every template, by name. Adding a file means adding it here.
pub const SOURCES: &[(&str, &str)] = templates![
    "base.html",
    "macros.html",
    "home.html",
    "auth/signup.html",
    "auth/signin.html",
    "workspaces/new.html",
    "profile/form.html",
    "profile/page.html",
    "settings/layout.html",
    "settings/general.html",
    "settings/unavailable.html",
    "developer/page.html",
    "webhooks/macros.html",
    "webhooks/new.html",
    "webhooks/endpoint.html",
    "webhooks/delivery.html",
    "audit/list.html",
    "audit/detail.html",
    "docs/api.html",
    "errors/error.html",
    "invitations/landing.html",
];

#[derive(Clone)]
pub struct Templates(Arc<Environment<'static>>);

impl Templates {
    pub fn load() -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        for (name, source) in SOURCES {
            env.add_template(name, source)?;
        }
        Ok(Self(Arc::new(env)))
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.0.get_template(name)?.render(ctx)
    }
}
