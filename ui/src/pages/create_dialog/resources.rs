//! Resources: the CPUs and memory (MiB) the sandbox may use, empty for the engine's default.

use leptos::prelude::*;

use super::control::Control;
use super::draft::DraftStoreFields;
use super::form::Form;
use super::rows::TextRow;
use crate::dialog::{cpus_placeholder, memory_placeholder};

/// CPUs and Memory.
#[component]
pub(super) fn Resources(form: Form) -> impl IntoView {
    view! {
        <TextRow form field=Control::Cpus label="CPUs" value=form.draft.cpus() placeholder=cpus_placeholder("engine default") numeric=true />
        <TextRow form field=Control::Memory label="Memory (MiB)" value=form.draft.memory() placeholder=memory_placeholder("engine default") numeric=true />
    }
}
