//! A destructive action's confirmation as a page of its own
//! (`confirm.html`): where a `confirm_dialog` opener leads without
//! JavaScript. Every such page is the same form, so they all come here.
use axum::response::Response;
use minijinja::context;

use super::page::Page;
use crate::error::AppResult;
use crate::policy::WorkspaceCtx;
use crate::state::AppState;

/// What the page asks: `heading` (also the title), the `message` that
/// says the consequence, the form's `action`, the button's words and
/// where Cancel goes.
pub struct Confirm {
    pub heading: String,
    pub message: String,
    pub action: String,
    pub button: String,
    pub back: String,
}

impl Confirm {
    pub async fn render(self, state: &AppState, ctx: &WorkspaceCtx, page: &Page) -> AppResult<Response> {
        let value = context! {
            title => &self.heading,
            heading => self.heading,
            message => self.message,
            action => self.action,
            confirm => self.button,
            back => self.back,
            workspace_id => ctx.workspace.id.to_string(),
        };
        page.render(state, "confirm.html", value).await
    }
}
