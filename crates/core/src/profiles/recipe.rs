//! A profile request checked into a recipe — by the create planner itself (the same preset, image, setup script,
//! environment, resource and lifecycle rules as Create Sandbox, and the port rules without "host port in use",
//! which is a question for launch time) — and what a recipe becomes: its digest, its secrets (kept in the secret
//! store under the version's id, carried empty everywhere else) and the create request of a sandbox made from it.

use sbx_api::{
    CreateSandboxRequest, EnvVar, GitChoice, PortBinding, ProfileRecipe, ProfileRequest,
    SnapshotChoice,
};
use sha2::{Digest, Sha256};

use crate::{Core, Error, Result, secrets, validate};

/// The recipe with its secret values left empty: what is stored, labelled, digested and shown.
pub fn redacted(recipe: &ProfileRecipe) -> ProfileRecipe {
    let mut out = recipe.clone();
    for var in out.env.iter_mut().filter(|v| v.secret) {
        var.value.clear();
    }
    out
}

/// The recipe as stored: JSON, secret values empty.
pub fn to_json(recipe: &ProfileRecipe) -> Result<String> {
    serde_json::to_string(&redacted(recipe)).map_err(|e| Error::Other(e.to_string()))
}

/// SHA-256 of the recipe (secret values left out), in hex: what a published version is pinned to.
pub fn digest(recipe: &ProfileRecipe) -> Result<String> {
    let json = to_json(recipe)?;
    Ok(Sha256::digest(json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// `NAME=VALUE` lines of an environment.
fn env_lines(env: &[EnvVar]) -> Vec<String> {
    env.iter()
        .map(|v| format!("{}={}", v.name, v.value))
        .collect()
}

/// The names of the secret variables of an environment.
fn secret_names(env: &[EnvVar]) -> Vec<String> {
    env.iter()
        .filter(|v| v.secret)
        .map(|v| v.name.clone())
        .collect()
}

/// The create request of a sandbox made from `recipe` (its secret values filled in): no repository, no credentials.
/// A job's one-off sandbox (`one_off`) publishes no port and never stops by itself.
pub fn sandbox_request(
    recipe: &ProfileRecipe,
    name: Option<String>,
    cwd: &std::path::Path,
    one_off: bool,
) -> CreateSandboxRequest {
    CreateSandboxRequest {
        name,
        preset: recipe.preset.clone(),
        image: recipe.image.clone(),
        env: env_lines(&recipe.env),
        secret_env: secret_names(&recipe.env),
        ports: if one_off {
            Vec::new()
        } else {
            recipe.ports.iter().map(ToString::to_string).collect()
        },
        cpus: recipe.cpus,
        memory_mib: recipe.memory_mib,
        setup_script_text: recipe.setup_script.clone(),
        git: GitChoice::Off,
        snapshot: SnapshotChoice::Off,
        no_credentials: true,
        auto_stop_minutes: if one_off {
            Some(0)
        } else {
            recipe.auto_stop_minutes
        },
        auto_delete_minutes: if one_off {
            None
        } else {
            recipe.auto_delete_minutes
        },
        cwd: Some(cwd.display().to_string()),
        ..Default::default()
    }
}

/// Port bindings as typed (separated by commas or spaces), each by the app's rule, no host port twice.
fn check_ports(entries: &[String]) -> Result<Vec<PortBinding>> {
    let mut ports = Vec::new();
    for entry in entries {
        for part in entry
            .split([',', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            ports.push(validate::port_binding(part)?);
        }
    }
    validate::no_duplicate_host_ports(&ports)?;
    Ok(ports)
}

/// `Some(text)` unless blank.
fn given(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// The environment a request asks for: its `K=V` entries (a secret variable given empty keeps the value `base`
/// has), or `base`'s when it gives none; and the names marked secret.
fn requested_env(
    request: &ProfileRequest,
    base: Option<&ProfileRecipe>,
) -> (Vec<String>, Vec<String>) {
    let base_env = base.map(|b| b.env.as_slice()).unwrap_or_default();
    let Some(entries) = &request.env else {
        let mut secret = secret_names(base_env);
        secret.extend(request.secret_env.iter().cloned());
        return (env_lines(base_env), secret);
    };
    let lines = entries
        .iter()
        .map(|entry| match entry.split_once('=') {
            Some((name, "")) => match base_env.iter().find(|v| v.name == name && v.secret) {
                Some(kept) => format!("{name}={}", kept.value),
                None => entry.clone(),
            },
            _ => entry.clone(),
        })
        .collect();
    let mut secret = request.secret_env.clone();
    for var in base_env.iter().filter(|v| v.secret) {
        let empty = format!("{}=", var.name);
        if entries.contains(&empty) && !secret.contains(&var.name) {
            secret.push(var.name.clone());
        }
    }
    (lines, secret)
}

impl Core {
    /// Check `request` into a recipe: on top of `base` (the draft's recipe, secret values filled) unless the
    /// request replaces it. Every value goes through the create planner's rules, so a recipe that passes is a
    /// sandbox that can be created. Nothing is recorded.
    pub(crate) async fn check_recipe(
        &self,
        request: &ProfileRequest,
        base: Option<&ProfileRecipe>,
    ) -> Result<ProfileRecipe> {
        validate::name(sbx_api::Field::Name, &request.name)?;
        let base = base.filter(|_| !request.replace);
        let (preset, image) = match (given(&request.preset), given(&request.image)) {
            (None, None) => base
                .map(|b| (b.preset.clone(), b.image.clone()))
                .unwrap_or_default(),
            chosen => chosen,
        };
        let file = given(&request.setup_script);
        let text = match (&file, &request.setup_script_text) {
            (Some(_), _) => None,
            (None, Some(text)) => Some(text.clone()).filter(|t| !t.trim().is_empty()),
            (None, None) => base.and_then(|b| b.setup_script.clone()),
        };
        let (env, secret_env) = requested_env(request, base);
        let ports = match &request.ports {
            Some(entries) => check_ports(entries)?,
            None => base.map(|b| b.ports.clone()).unwrap_or_default(),
        };
        let auto_stop_minutes = request
            .auto_stop_minutes
            .or(base.and_then(|b| b.auto_stop_minutes));
        let auto_delete_minutes = request
            .auto_delete_minutes
            .or(base.and_then(|b| b.auto_delete_minutes));
        let create = CreateSandboxRequest {
            preset: preset.clone(),
            image: image.clone(),
            env,
            secret_env,
            cpus: request.cpus.or(base.and_then(|b| b.cpus)),
            memory_mib: request.memory_mib.or(base.and_then(|b| b.memory_mib)),
            setup_script: file,
            setup_script_text: text,
            git: GitChoice::Off,
            snapshot: SnapshotChoice::Off,
            no_credentials: true,
            auto_stop_minutes,
            auto_delete_minutes,
            cwd: request
                .cwd
                .clone()
                .or_else(|| Some(self.paths().root().display().to_string())),
            ..Default::default()
        };
        let plan = self.plan_sandbox(&create, None).await?;
        Ok(ProfileRecipe {
            // Neither given: the default preset now, so the version does not change with the settings.
            preset: plan.spec.preset.clone(),
            image: image.filter(|_| plan.spec.preset.is_none()),
            setup_script: plan.spec.setup_script.clone(),
            env: plan.spec.env.clone(),
            ports,
            cpus: plan.spec.cpus,
            memory_mib: plan.spec.memory_mib,
            auto_stop_minutes,
            auto_delete_minutes,
        })
    }

    /// The recipe of version (or draft) `id` with its secret values from the secret store.
    pub(crate) fn with_secrets(&self, id: &str, recipe: &ProfileRecipe) -> Result<ProfileRecipe> {
        let mut full = recipe.clone();
        self.secrets()
            .fill(id, &mut full.env)
            .map_err(|e| Error::io("reading the profile's secret variables", e))?;
        Ok(full)
    }

    /// Keep the secret values of `recipe` as those of version (or draft) `id`.
    pub(crate) fn keep_secrets(&self, id: &str, recipe: &ProfileRecipe) -> Result<()> {
        self.secrets()
            .put(id, &secrets::secret_values(&recipe.env))
            .map(|_| ())
            .map_err(|e| Error::io("keeping the profile's secret variables", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::secrets::env_var as var;

    #[test]
    fn the_digest_leaves_secret_values_out_and_follows_the_recipe() {
        let recipe = ProfileRecipe {
            image: Some("busybox".into()),
            env: vec![var("MODE", "dev", false), var("API_TOKEN", "s3cret", true)],
            ..Default::default()
        };
        let json = to_json(&recipe).unwrap();
        assert!(!json.contains("s3cret"), "{json}");
        let other_secret = ProfileRecipe {
            env: vec![var("MODE", "dev", false), var("API_TOKEN", "other", true)],
            ..recipe.clone()
        };
        assert_eq!(digest(&recipe).unwrap(), digest(&other_secret).unwrap());
        let other_mode = ProfileRecipe {
            env: vec![var("MODE", "prod", false)],
            ..recipe.clone()
        };
        assert_ne!(digest(&recipe).unwrap(), digest(&other_mode).unwrap());
        assert_eq!(digest(&recipe).unwrap().len(), 64);
    }

    #[test]
    fn a_secret_given_empty_keeps_its_value() {
        let base = ProfileRecipe {
            env: vec![var("API_TOKEN", "s3cret", true), var("MODE", "dev", false)],
            ..Default::default()
        };
        let request = ProfileRequest {
            env: Some(vec!["API_TOKEN=".into(), "MODE=".into()]),
            ..Default::default()
        };
        let (env, secret) = requested_env(&request, Some(&base));
        assert_eq!(env, ["API_TOKEN=s3cret", "MODE="]);
        assert_eq!(secret, ["API_TOKEN"]);
        let untouched = requested_env(&ProfileRequest::default(), Some(&base));
        assert_eq!(untouched.0, ["API_TOKEN=s3cret", "MODE=dev"]);
    }

    #[test]
    fn a_one_off_sandbox_publishes_nothing_and_never_stops_by_itself() {
        let recipe = ProfileRecipe {
            preset: Some("coder".into()),
            ports: vec![validate::port_binding("8080:80").unwrap()],
            auto_stop_minutes: Some(5),
            ..Default::default()
        };
        let dir = std::path::Path::new("/tmp");
        let one_off = sandbox_request(&recipe, None, dir, true);
        assert!(one_off.ports.is_empty());
        assert_eq!(one_off.auto_stop_minutes, Some(0));
        assert!(one_off.no_credentials);
        assert_eq!(one_off.git, GitChoice::Off);
        let test = sandbox_request(&recipe, None, dir, false);
        assert_eq!(test.ports, ["127.0.0.1:8080:80"]);
        assert_eq!(test.auto_stop_minutes, Some(5));
    }
}
