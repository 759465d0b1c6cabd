//! The Repository section: the repository (a path inside one, or a URL), what the app found there, "No
//! repository", the branch and "Include uncommitted files".

use leptos::html;
use leptos::prelude::*;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::form::Form;
use super::rows::{CheckRow, TextRow};

/// The repository's rows; `input_ref` is the Repository input (the dialog focuses it when it opens).
#[component]
pub(super) fn RepositorySection(form: Form, input_ref: NodeRef<html::Input>) -> impl IntoView {
    let no_repository = Signal::derive(move || form.draft.no_repository().get());
    view! {
        <TextRow form field=Control::Repository label="Repository" value=form.draft.repository()
            placeholder="Path inside a repository, or a git URL" disabled=no_repository node_ref=input_ref />
        <RepositoryNote form />
        <CheckRow id="create-no-repository" label="No repository" checked=form.draft.no_repository() />
        <TextRow form field=Control::Branch label="Branch" value=form.draft.branch()
            placeholder="default branch" disabled=no_repository />
        <CheckRow id="create-no-clean" label="Include uncommitted files" checked=form.draft.include_uncommitted()
            disabled=no_repository />
        <p class="hint field-hint">"Untracked and uncommitted files are copied too; otherwise the clone is clean."</p>
    }
}

/// What the explanation found about the repository: its root and config file.
#[component]
fn RepositoryNote(form: Form) -> impl IntoView {
    let note = move || {
        form.explanation.with(|e| {
            let e = e.as_ref()?;
            let root = e.repo_root.clone()?;
            Some(match &e.config_file {
                Some(file) => format!("Repository at {root}; reads {file}"),
                None => format!("Repository at {root}; no .amika/config.toml"),
            })
        })
    };
    view! {
        <Show when=move || note().is_some()>
            <p class="hint field-hint repository-note">{note}</p>
        </Show>
    }
}
