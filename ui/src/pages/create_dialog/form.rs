//! The dialog's state: the [`Draft`] store the controls write, the check of it, and what the app said about it
//! (the latest explanation of the request, and the errors of explaining and of Create). The request is explained
//! again as the user types.

use leptos::prelude::*;
use reactive_stores::Store;
use sbx_api::{
    ApiError, ConfigExplanation, CreateSandboxRequest, ExplainRequest, SnapshotChoice,
    requests::ExplainConfig,
};
use std::time::Duration;

use super::control::Control;
use super::draft::{Checked, Draft, check_draft};
use super::explain::{repository_default, source_tag};
use crate::ipc;

/// How long typing pauses before the configuration is explained again.
const EXPLAIN_DEBOUNCE: Duration = Duration::from_millis(300);

/// The dialog's state: the draft and what the app said about it.
#[derive(Clone, Copy)]
pub(super) struct Form {
    /// What the user typed, one store field per control.
    pub draft: Store<Draft>,
    /// The fields read and checked.
    pub checked: Memo<Checked>,
    /// The latest explanation of the request.
    pub explanation: RwSignal<Option<ConfigExplanation>>,
    /// The repository's default snapshot, as the latest explanation says.
    pub repository_default: RwSignal<Option<String>>,
    /// Why the configuration could not be explained.
    pub explain_error: RwSignal<Option<ApiError>>,
    /// Why CreateSandbox failed.
    pub create_error: RwSignal<Option<ApiError>>,
}

impl Form {
    /// A fresh dialog's state.
    pub(super) fn new() -> Form {
        Form::with(Draft::initial())
    }

    /// A form filled with `draft` (the recipe form of a profile).
    pub(super) fn with(draft: Draft) -> Form {
        let draft = Store::new(draft);
        Form {
            draft,
            checked: Memo::new(move |_| draft.with(check_draft)),
            explanation: RwSignal::new(None),
            repository_default: RwSignal::new(None),
            explain_error: RwSignal::new(None),
            create_error: RwSignal::new(None),
        }
    }

    /// What to show beside `field`: the typing error first, then what Create or the explanation said about it.
    pub(super) fn message(self, field: Control) -> Option<String> {
        let typed = self.checked.with(|c| {
            c.errors
                .iter()
                .find(|(f, _)| *f == field)
                .map(|(_, m)| m.clone())
        });
        let from_create = || {
            self.create_error.with(|e| {
                e.as_ref()
                    .filter(|e| refused_control(e) == Some(field))
                    .map(ToString::to_string)
            })
        };
        // Explanation errors about no particular field (a malformed config file) belong to Repository.
        let from_explain = || {
            self.explain_error.with(|e| {
                e.as_ref()
                    .filter(|e| refused_control(e).unwrap_or(Control::Repository) == field)
                    .map(ToString::to_string)
            })
        };
        typed.or_else(from_create).or_else(from_explain)
    }

    /// The source tag of `field`, when the explanation says its value came from the repository or the app.
    pub(super) fn tag(self, field: Control) -> Option<(String, String)> {
        self.explanation
            .with(|e| e.as_ref().and_then(|e| source_tag(e, field)))
    }

    /// The first thing that blocks Create.
    pub(super) fn blocker(self) -> Option<String> {
        self.checked
            .with(|c| c.errors.first().map(|(_, message)| message.clone()))
    }
}

/// The dialog's field an error of the app is about, if the dialog has it.
pub(super) fn refused_control(error: &ApiError) -> Option<Control> {
    error.invalid_field().and_then(Control::for_field)
}

/// Explain the request again whenever it changes (after typing pauses); a newer request wins over an older answer.
pub(super) fn explain_as_typed(form: Form) {
    let generation = StoredValue::new(0_u64);
    let request = Memo::new(move |_| form.checked.with(|c| c.request.clone()));
    Effect::new(move |_| {
        let request = request.get();
        let current = generation.get_value() + 1;
        generation.set_value(current);
        set_timeout(
            move || {
                if generation.try_get_value() != Some(current) {
                    return;
                }
                leptos::task::spawn_local(explain(form, request, generation, current));
            },
            EXPLAIN_DEBOUNCE,
        );
    });
}

/// Ask the app to explain `request`; keep the answer unless a newer request (`generation`) was made meanwhile.
async fn explain(
    form: Form,
    request: CreateSandboxRequest,
    generation: StoredValue<u64>,
    current: u64,
) {
    let wants_default = request.snapshot == SnapshotChoice::RepoDefault;
    let answer = ipc::call::<ExplainConfig>(&ExplainRequest {
        create: request.clone(),
    })
    .await;
    // With another snapshot picked, ask separately which one the repository defaults to.
    let default = if wants_default {
        answer.as_ref().ok().and_then(repository_default)
    } else {
        let probe = CreateSandboxRequest {
            snapshot: SnapshotChoice::RepoDefault,
            ..request
        };
        ipc::call::<ExplainConfig>(&ExplainRequest { create: probe })
            .await
            .ok()
            .and_then(|e| repository_default(&e))
    };
    if generation.try_get_value() != Some(current) {
        return;
    }
    form.repository_default.try_set(default);
    match answer {
        Ok(explanation) => {
            form.explain_error.try_set(None);
            form.explanation.try_set(Some(explanation));
        }
        Err(error) => {
            form.explain_error.try_set(Some(error));
            form.explanation.try_set(None);
        }
    }
}
