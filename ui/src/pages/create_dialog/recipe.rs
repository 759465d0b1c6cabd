//! The recipe form of a sandbox profile (its draft, and New Profile): the Create dialog's own sections — preset and
//! image, setup script, ports and environment, resources, lifecycle — on the same store and checks, read into a
//! [`ProfileRequest`] that replaces the draft's recipe. An error of the app about one of its fields shows beside it.

use leptos::prelude::*;
use sbx_api::{ApiError, ProfileRecipe, ProfileRequest, SnapshotChoice};

use super::draft::Draft;
use super::form::{Form, explain_as_typed, refused_control};
use super::lifecycle::Lifecycle;
use super::name_preset::PresetAndImage;
use super::ports_env::PortsAndEnv;
use super::resources::Resources;
use super::setup_script::SetupScriptRow;

/// The form's fields as a draft of the dialog's store: no repository, no snapshot, no credentials.
pub(super) fn draft_of(recipe: &ProfileRecipe) -> Draft {
    let join = |items: Vec<String>, separator: &str| items.join(separator);
    Draft {
        no_repository: true,
        preset: recipe.preset.clone(),
        image: recipe.image.clone().unwrap_or_default(),
        snapshot: SnapshotChoice::Off,
        setup_script: recipe.setup_script.clone().unwrap_or_default(),
        ports: join(recipe.ports.iter().map(ToString::to_string).collect(), " "),
        env: join(
            recipe
                .env
                .iter()
                .map(|v| format!("{}={}", v.name, v.value))
                .collect(),
            "\n",
        ),
        secrets: join(
            recipe
                .env
                .iter()
                .filter(|v| v.secret)
                .map(|v| v.name.clone())
                .collect(),
            " ",
        ),
        cpus: recipe.cpus.map(|c| c.to_string()).unwrap_or_default(),
        memory: recipe.memory_mib.map(|m| m.to_string()).unwrap_or_default(),
        auto_stop: recipe.auto_stop_minutes.map(|m| m.to_string()),
        auto_delete: recipe
            .auto_delete_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
        mount_credentials: false,
        ..Draft::default()
    }
}

/// A profile's recipe being edited.
#[derive(Clone, Copy)]
pub(crate) struct RecipeForm {
    form: Form,
    /// The recipe the form started from, to tell whether it was changed.
    initial: StoredValue<Draft>,
}

impl RecipeForm {
    /// A form filled with `recipe` (secret values arrive empty: left empty, they keep their value).
    pub(crate) fn new(recipe: &ProfileRecipe) -> RecipeForm {
        let draft = draft_of(recipe);
        let form = Form::with(draft.clone());
        explain_as_typed(form);
        RecipeForm {
            form,
            initial: StoredValue::new(draft),
        }
    }

    /// The request replacing profile `name`'s draft with the form (untracked).
    pub(crate) fn request(self, name: &str) -> ProfileRequest {
        let request = self.form.checked.with_untracked(|c| c.request.clone());
        ProfileRequest {
            name: name.to_string(),
            preset: request.preset,
            image: request.image,
            setup_script: None,
            setup_script_text: Some(request.setup_script_text.unwrap_or_default()),
            env: Some(request.env),
            secret_env: request.secret_env,
            ports: Some(request.ports),
            cpus: request.cpus,
            memory_mib: request.memory_mib,
            auto_stop_minutes: request.auto_stop_minutes,
            auto_delete_minutes: request.auto_delete_minutes,
            refresh_schedule: None,
            replace: true,
            cwd: None,
        }
    }

    /// The first thing that blocks saving (tracked).
    pub(crate) fn blocker(self) -> Option<String> {
        self.form.blocker()
    }

    /// Whether the form differs from the recipe it started from (tracked).
    pub(crate) fn changed(self) -> bool {
        let initial = self.initial.get_value();
        self.form.draft.with(|draft| *draft != initial)
    }

    /// Take what was saved as the form's new starting point.
    pub(crate) fn saved(self) {
        let now = self.form.draft.get_untracked();
        self.initial.set_value(now);
    }

    /// Show an error of the app beside the field it names; `false` when none of the form's fields is named.
    pub(crate) fn refuse(self, error: &ApiError) -> bool {
        let placed = refused_control(error).is_some();
        self.form.create_error.set(placed.then(|| error.clone()));
        placed
    }

    /// Forget the error shown beside a field.
    pub(crate) fn clear_error(self) {
        self.form.create_error.set(None);
    }
}

/// The recipe's fields: Preset, Image, Setup script, Ports, Environment, Secret variables, CPUs, Memory,
/// Auto-stop, Auto-delete.
#[component]
pub(crate) fn RecipeFields(form: RecipeForm) -> impl IntoView {
    let form = form.form;
    view! {
        <PresetAndImage form />
        <SetupScriptRow form />
        <PortsAndEnv form />
        <Resources form />
        <Lifecycle form />
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::create_dialog::draft::check_draft;
    use sbx_api::{EnvVar, GitChoice};

    #[test]
    fn a_recipe_reads_back_into_the_same_request() {
        let recipe = ProfileRecipe {
            image: Some("busybox:latest".into()),
            setup_script: Some("#!/bin/sh\necho hi\n".into()),
            env: vec![
                EnvVar {
                    name: "MODE".into(),
                    value: "dev".into(),
                    secret: false,
                },
                EnvVar {
                    name: "API_TOKEN".into(),
                    value: String::new(),
                    secret: true,
                },
            ],
            ports: vec![sbx_api::rules::port_binding("8080:80").unwrap()],
            cpus: Some(2),
            auto_stop_minutes: Some(0),
            ..Default::default()
        };
        let checked = check_draft(&draft_of(&recipe));
        assert!(checked.errors.is_empty(), "{:?}", checked.errors);
        let request = checked.request;
        assert_eq!(request.git, GitChoice::Off);
        assert_eq!(request.image.as_deref(), Some("busybox:latest"));
        assert_eq!(request.env, ["MODE=dev", "API_TOKEN="]);
        assert_eq!(request.secret_env, ["API_TOKEN"]);
        assert_eq!(request.ports, ["127.0.0.1:8080:80"]);
        assert_eq!(request.cpus, Some(2));
        assert_eq!(request.auto_stop_minutes, Some(0));
        assert!(request.no_credentials);
        assert_eq!(request.profile, None);
    }
}
