//! Labels put on every container, volume and image the app creates, so the database can be rebuilt from the engine.

use std::collections::HashMap;

/// The data dir (see [`crate::Paths::instance`]) the object belongs to.
pub const INSTANCE: &str = "dev.sandboxdesktop.instance";
/// What the object is: one of the `KIND_*` values.
pub const KIND: &str = "dev.sandboxdesktop.kind";
/// The id of the sandbox or snapshot the object is (or belongs to).
pub const ID: &str = "dev.sandboxdesktop.id";
/// The user-facing name of that sandbox or snapshot.
pub const NAME: &str = "dev.sandboxdesktop.name";
/// The sandbox id a volume or helper container belongs to.
pub const SANDBOX_ID: &str = "dev.sandboxdesktop.sandbox-id";
/// The job that created the object (create, snapshot, restore), for clean-up after a crash.
pub const JOB: &str = "dev.sandboxdesktop.job";
/// JSON of the record (sandbox spec, snapshot record) the database can be rebuilt from.
pub const RECORD: &str = "dev.sandboxdesktop.record";
/// Where the object came from: a preset name, an image, a snapshot name.
pub const SOURCE: &str = "dev.sandboxdesktop.source";
/// Repository name, on git volumes.
pub const REPO: &str = "dev.sandboxdesktop.repo";
/// On a snapshot's image: `true` when no layer of it holds what a scrub removes — it was taken with a scrub, on an
/// image of such layers (or flattened). Every other snapshot image (a full one, an imported one, one made before
/// this label) may hold secrets in its layers, and a scrub on top of it is flattened (see
/// `Core::must_flatten`). Set on every snapshot image, as commits inherit their parent's labels.
pub const SCRUBBED_LAYERS: &str = "dev.sandboxdesktop.scrubbed-layers";

/// A sandbox's container.
pub const KIND_SANDBOX: &str = "sandbox";
/// A volume holding a repository checkout.
pub const KIND_GIT_VOLUME: &str = "git-volume";
/// A snapshot's image.
pub const KIND_SNAPSHOT: &str = "snapshot";
/// A preset's image.
pub const KIND_PRESET: &str = "preset";
/// A profile version's snapshot image (its record: the profile, the version and the job that made it).
pub const KIND_PROFILE: &str = "profile";
/// A short-lived container the app uses while capturing or copying.
pub const KIND_HELPER: &str = "helper";

/// The labels every object of `kind` in data dir `instance` starts with.
pub fn base(instance: &str, kind: &str) -> HashMap<String, String> {
    HashMap::from([
        (INSTANCE.to_string(), instance.to_string()),
        (KIND.to_string(), kind.to_string()),
    ])
}

/// A `label=` filter value for engine list calls.
pub fn filter(key: &str, value: &str) -> String {
    format!("{key}={value}")
}

/// The `filters` of an engine list call that match objects carrying every one of `labels` (`key=value`).
pub fn filters(labels: &[String]) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), labels.to_vec())])
}

/// The labels (`key=value`) of the objects of data dir `instance` that also carry each `(key, value)` of `more`:
/// what the engine layer's list-by-label functions take.
pub fn of_instance(instance: &str, more: &[(&str, &str)]) -> Vec<String> {
    let mut labels = vec![filter(INSTANCE, instance)];
    labels.extend(more.iter().map(|(key, value)| filter(key, value)));
    labels
}

/// List filters for the objects of data dir `instance` that also carry each `(key, value)` of `more`.
pub fn instance_filters(instance: &str, more: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
    filters(&of_instance(instance, more))
}
