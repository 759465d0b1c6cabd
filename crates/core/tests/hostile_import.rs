//! Imports of export files made by hand from a real export, against the real Docker engine: every file that does
//! not match itself is refused before anything is loaded (the engine's whole image list, every tag, is unchanged
//! and nothing is recorded); what passes is made this machine's (host ports on 127.0.0.1, credentials off unless a
//! restore asks, secret values in the secret store only). Also the Docker 25+ (OCI layout) form of `image.tar`, and
//! `--include-secrets`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bollard::query_parameters::{ListImagesOptionsBuilder, TagImageOptionsBuilder};
use common::{TestEnv, test_image, unique};
use sbx_api::{
    ApiError, CreateSnapshotRequest, ListSnapshotsRequest, RestoreSnapshotRequest, SnapshotMode,
};
use serde_json::{Value, json};
use sha2::Digest;
use std::io::Read;
use std::path::{Path, PathBuf};
use tar::EntryType;

/// The tests of this file change the engine's image list, which the refusals check is unchanged: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One entry of a tar: path, kind, content (the target of a link).
#[derive(Clone, Debug)]
struct Entry {
    path: String,
    kind: EntryType,
    data: Vec<u8>,
}

impl Entry {
    fn file(path: &str, data: impl Into<Vec<u8>>) -> Entry {
        Entry {
            path: path.into(),
            kind: EntryType::Regular,
            data: data.into(),
        }
    }

    fn link(path: &str, kind: EntryType, target: &str) -> Entry {
        Entry {
            path: path.into(),
            kind,
            data: target.as_bytes().to_vec(),
        }
    }
}

fn read_tar(bytes: &[u8]) -> Vec<Entry> {
    let mut archive = tar::Archive::new(bytes);
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let path = String::from_utf8(entry.path_bytes().to_vec()).unwrap();
            let kind = entry.header().entry_type();
            let mut data = Vec::new();
            if let Some(target) = entry.link_name_bytes() {
                data = target.to_vec();
            } else {
                entry.read_to_end(&mut data).unwrap();
            }
            Entry { path, kind, data }
        })
        .collect()
}

fn write_tar(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(entry.kind);
        header.set_mode(if entry.kind == EntryType::Directory {
            0o755
        } else {
            0o644
        });
        match entry.kind {
            EntryType::Symlink | EntryType::Link => {
                header.set_size(0);
                builder
                    .append_link(
                        &mut header,
                        &entry.path,
                        std::str::from_utf8(&entry.data).unwrap(),
                    )
                    .unwrap();
            }
            _ => {
                header.set_size(entry.data.len() as u64);
                builder
                    .append_data(&mut header, &entry.path, entry.data.as_slice())
                    .unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

/// A real export taken apart: `snapshot.json` and the entries of `image.tar`.
#[derive(Clone)]
struct Export {
    json: Value,
    image: Vec<Entry>,
}

impl Export {
    fn read(path: &Path) -> Export {
        let outer = read_tar(&std::fs::read(path).unwrap());
        assert_eq!(
            outer.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            ["snapshot.json", "image.tar"]
        );
        Export {
            json: serde_json::from_slice(&outer[0].data).unwrap(),
            image: read_tar(&outer[1].data),
        }
    }

    fn image_json(&self, name: &str) -> Value {
        let entry = self.image.iter().find(|e| e.path == name).unwrap();
        serde_json::from_slice(&entry.data).unwrap()
    }

    fn set_image_json(&mut self, name: &str, value: &Value) {
        let data = serde_json::to_vec(value).unwrap();
        match self.image.iter_mut().find(|e| e.path == name) {
            Some(entry) => entry.data = data,
            None => self.image.push(Entry::file(name, data)),
        }
    }

    /// The outer entries as export writes them.
    fn outer(&self) -> Vec<Entry> {
        vec![
            Entry::file("snapshot.json", serde_json::to_vec(&self.json).unwrap()),
            Entry::file("image.tar", write_tar(&self.image)),
        ]
    }

    fn write(&self, path: &Path) {
        write_outer(path, &self.outer());
    }

    /// The image as `docker save` of Docker 25 and later writes it (OCI layout: `blobs/sha256/…`, `index.json`,
    /// `oci-layout`, with moby's annotations), from the legacy form this engine writes.
    fn as_oci_layout(&self) -> Export {
        let manifest = self.image_json("manifest.json");
        let mut blobs: Vec<Entry> = vec![
            Entry {
                path: "blobs/".into(),
                kind: EntryType::Directory,
                data: Vec::new(),
            },
            Entry {
                path: "blobs/sha256/".into(),
                kind: EntryType::Directory,
                data: Vec::new(),
            },
        ];
        let mut blob_of = |path: &str| -> String {
            let data = &self.image.iter().find(|e| e.path == path).unwrap().data;
            let digest = format!("{:x}", sha2::Sha256::digest(data));
            let name = format!("blobs/sha256/{digest}");
            if !blobs.iter().any(|b| b.path == name) {
                blobs.push(Entry::file(&name, data.clone()));
            }
            name
        };
        let config = blob_of(manifest[0]["Config"].as_str().unwrap());
        let layers: Vec<String> = manifest[0]["Layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| blob_of(l.as_str().unwrap()))
            .collect();
        let image = self.json["image"].as_str().unwrap().to_string();
        let tag = image.rsplit_once(':').unwrap().1.to_string();
        let oci_manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": { "digest": format!("sha256:{}", &config[13..]) },
            "layers": layers.iter().map(|l| json!({ "digest": format!("sha256:{}", &l[13..]) })).collect::<Vec<_>>(),
        }))
        .unwrap();
        let manifest_digest = format!("{:x}", sha2::Sha256::digest(&oci_manifest));
        blobs.push(Entry::file(
            &format!("blobs/sha256/{manifest_digest}"),
            oci_manifest.clone(),
        ));
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": format!("sha256:{manifest_digest}"),
                "size": oci_manifest.len(),
                "annotations": {
                    "io.containerd.image.name": format!("docker.io/{image}"),
                    "org.opencontainers.image.ref.name": tag,
                },
            }],
        });
        let (repo, tag) = image.rsplit_once(':').unwrap();
        let mut entries = blobs;
        entries.push(Entry::file(
            "index.json",
            serde_json::to_vec(&index).unwrap(),
        ));
        entries.push(Entry::file(
            "manifest.json",
            serde_json::to_vec(
                &json!([{ "Config": config, "RepoTags": [image], "Layers": layers }]),
            )
            .unwrap(),
        ));
        entries.push(Entry::file(
            "oci-layout",
            r#"{"imageLayoutVersion":"1.0.0"}"#,
        ));
        entries.push(Entry::file(
            "repositories",
            serde_json::to_vec(&json!({ repo: { tag: &layers[layers.len() - 1][13..] } })).unwrap(),
        ));
        Export {
            json: self.json.clone(),
            image: entries,
        }
    }
}

fn write_outer(path: &Path, entries: &[Entry]) {
    std::fs::write(path, write_tar(entries)).unwrap();
}

/// Every image of the engine with all its tags, whoever made it.
async fn all_images() -> Vec<(String, Vec<String>)> {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let mut images: Vec<(String, Vec<String>)> = docker
        .list_images(Some(ListImagesOptionsBuilder::default().all(true).build()))
        .await
        .unwrap()
        .into_iter()
        .map(|image| {
            let mut tags = image.repo_tags;
            tags.sort();
            (image.id, tags)
        })
        .collect();
    images.sort();
    images
}

async fn tag(image: &str, reference: &str) {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let (repo, tag) = reference.rsplit_once(':').unwrap();
    docker
        .tag_image(
            image,
            Some(
                TagImageOptionsBuilder::default()
                    .repo(repo)
                    .tag(tag)
                    .build(),
            ),
        )
        .await
        .unwrap();
}

async fn untag(reference: &str) {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let _ = docker
        .remove_image(
            reference,
            Some(
                bollard::query_parameters::RemoveImageOptionsBuilder::default()
                    .noprune(true)
                    .build(),
            ),
            None,
        )
        .await;
}

async fn image_id(reference: &str) -> Option<String> {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    docker
        .inspect_image(reference)
        .await
        .ok()
        .and_then(|i| i.id)
}

/// Import `file` into `env`, which must refuse it with nothing changed: the engine's images and tags, the records,
/// the jobs. The error, whose field must be `file` or one of `snapshot.json`.
async fn refused(env: &TestEnv, file: &Path, case: &str) -> ApiError {
    let before = all_images().await;
    let error = ApiError::from(
        env.core
            .import_snapshot(file)
            .await
            .expect_err(&format!("{case}: the import must be refused")),
    );
    assert_eq!(
        all_images().await,
        before,
        "{case}: the engine's images changed ({error})"
    );
    let field = error.field().unwrap_or_else(|| panic!("{case}: {error}"));
    assert!(
        field == "file" || field.starts_with("snapshot.json"),
        "{case}: {error}"
    );
    let page = env
        .core
        .list_snapshots(&ListSnapshotsRequest::default())
        .await
        .unwrap();
    assert_eq!(page.total, 0, "{case}: a record was made");
    let (jobs,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs WHERE kind = 'import'")
        .fetch_one(env.core.store().pool())
        .await
        .unwrap();
    assert_eq!(jobs, 0, "{case}: a job was started");
    error
}

fn snap(sandbox: &str, name: &str, mode: SnapshotMode) -> CreateSnapshotRequest {
    CreateSnapshotRequest {
        sandbox: sandbox.into(),
        name: name.into(),
        mode,
        quick: false,
        wait: true,
    }
}

fn restore(snapshot: &str, name: &str) -> RestoreSnapshotRequest {
    RestoreSnapshotRequest {
        snapshot: snapshot.into(),
        name: Some(name.into()),
        wait_for_ready: true,
        ..Default::default()
    }
}

/// A full snapshot of a busybox sandbox (with `env`), exported without secret values: (snapshot name, file).
async fn exported(env: &TestEnv, vars: &[&str]) -> (String, PathBuf) {
    let base = unique("src");
    let mut request = env.request(&base);
    request.env = vars.iter().map(|v| v.to_string()).collect();
    env.create(request).await;
    let (code, _, _) = env.sh(&base, "echo carried > /root/carried").await;
    assert_eq!(code, 0);
    let name = unique("hostile");
    env.core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();
    let file = env.dir.path().join(format!("{name}.tar"));
    env.core.export_snapshot(&name, &file).await.unwrap();
    (name, file)
}

#[tokio::test]
async fn a_file_that_does_not_match_itself_is_refused_before_anything_is_loaded() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = TestEnv::new().await;
    let (name, file) = exported(&env, &[]).await;
    let export = Export::read(&file);
    let image = export.json["image"].as_str().unwrap().to_string();
    let other = TestEnv::new().await;
    let dir = other.dir.path().to_path_buf();
    let case = |label: &str| dir.join(format!("{label}.tar"));
    let prefix = unique("sandbox-desktop-test");

    // Names the file could try to take over: present in the engine before, still the same image after.
    let preset_tag = format!("sandbox-desktop/preset-{prefix}:latest");
    let base_tag = format!("{prefix}/debian:bookworm");
    tag(&test_image(), &base_tag).await;
    let base_before = image_id(&base_tag).await;
    for (label, extra) in [("preset", &preset_tag), ("debian", &base_tag)] {
        let mut hostile = export.clone();
        let mut manifest = hostile.image_json("manifest.json");
        manifest[0]["RepoTags"] = json!([image, extra]);
        hostile.set_image_json("manifest.json", &manifest);
        let path = case(&format!("extra-tag-{label}"));
        hostile.write(&path);
        let error = refused(&other, &path, label).await;
        assert!(error.to_string().contains("manifest.json"), "{error}");
        // The tag alone, as the only one, is just as wrong.
        manifest[0]["RepoTags"] = json!([extra]);
        hostile.set_image_json("manifest.json", &manifest);
        hostile.write(&path);
        refused(&other, &path, &format!("{label} only")).await;
    }
    assert_eq!(image_id(&base_tag).await, base_before);
    assert_eq!(image_id(&preset_tag).await, None);

    // A wrong tag of the right repository.
    let mut hostile = export.clone();
    let mut manifest = hostile.image_json("manifest.json");
    manifest[0]["RepoTags"] = json!([format!("sandbox-desktop/snapshot-{name}:deadbeef")]);
    hostile.set_image_json("manifest.json", &manifest);
    hostile.write(&case("wrong-tag"));
    refused(&other, &case("wrong-tag"), "wrong tag").await;

    // Two images.
    let mut hostile = export.clone();
    let mut manifest = hostile.image_json("manifest.json");
    let second = manifest[0].clone();
    manifest.as_array_mut().unwrap().push(second);
    hostile.set_image_json("manifest.json", &manifest);
    hostile.write(&case("two-images"));
    let error = refused(&other, &case("two-images"), "two images").await;
    assert!(error.to_string().contains("2 images"), "{error}");

    // Another name in `repositories`, and in `index.json`.
    let mut hostile = export.clone();
    let mut repositories = hostile.image_json("repositories");
    repositories[format!("{prefix}/debian")] = json!({ "bookworm": "0123" });
    hostile.set_image_json("repositories", &repositories);
    hostile.write(&case("repositories"));
    let error = refused(&other, &case("repositories"), "repositories").await;
    assert!(error.to_string().contains("repositories"), "{error}");
    let mut hostile = export.as_oci_layout();
    let mut index = hostile.image_json("index.json");
    index["manifests"][0]["annotations"]["io.containerd.image.name"] =
        json!(format!("docker.io/{preset_tag}"));
    hostile.set_image_json("index.json", &index);
    hostile.write(&case("index"));
    let error = refused(&other, &case("index"), "index.json").await;
    assert!(error.to_string().contains("index.json"), "{error}");

    // Links inside image.tar.
    for (label, kind, target) in [
        ("symlink", EntryType::Symlink, "../../../../etc/passwd"),
        ("hardlink", EntryType::Link, "manifest.json"),
    ] {
        let mut hostile = export.clone();
        hostile
            .image
            .insert(0, Entry::link(&format!("{label}/layer.tar"), kind, target));
        hostile.write(&case(label));
        let error = refused(&other, &case(label), label).await;
        assert!(
            error.to_string().contains("link") && error.to_string().contains("image.tar"),
            "{error}"
        );
    }

    // The outer tar: links, a directory, another entry, twice the same, an oversized snapshot.json.
    let outer = export.outer();
    let cases: Vec<(&str, Vec<Entry>, &str)> = vec![
        (
            "outer-symlink",
            vec![
                Entry::link("snapshot.json", EntryType::Symlink, "/etc/passwd"),
                outer[1].clone(),
            ],
            "symbolic link",
        ),
        (
            "outer-extra-symlink",
            vec![
                outer[0].clone(),
                outer[1].clone(),
                Entry::link("extra", EntryType::Symlink, "/etc/passwd"),
            ],
            "symbolic link",
        ),
        (
            "outer-hardlink",
            vec![
                outer[0].clone(),
                Entry::link("image.tar", EntryType::Link, "snapshot.json"),
            ],
            "hard link",
        ),
        (
            "outer-directory",
            vec![
                Entry {
                    path: "snapshot.json/".into(),
                    kind: EntryType::Directory,
                    data: Vec::new(),
                },
                outer[0].clone(),
                outer[1].clone(),
            ],
            "directory",
        ),
        (
            "outer-unexpected",
            vec![
                outer[0].clone(),
                outer[1].clone(),
                Entry::file("notes.txt", "hello"),
            ],
            "notes.txt",
        ),
        (
            "outer-twice",
            vec![outer[0].clone(), outer[1].clone(), outer[0].clone()],
            "twice",
        ),
        (
            "outer-oversized",
            vec![
                {
                    let mut json = serde_json::to_vec_pretty(&export.json).unwrap();
                    json.resize(1024 * 1024 + 1, b' ');
                    Entry::file("snapshot.json", json)
                },
                outer[1].clone(),
            ],
            "1 MiB",
        ),
    ];
    for (label, entries, says) in cases {
        write_outer(&case(label), &entries);
        let error = refused(&other, &case(label), label).await;
        assert_eq!(error.field(), Some("file"), "{label}: {error}");
        assert!(error.to_string().contains(says), "{label}: {error}");
    }

    // snapshot.json against the rules of a create.
    type Change = Box<dyn Fn(&mut Value)>;
    let hostile_json: Vec<(&str, Change, &str)> = vec![
        (
            "env-name",
            Box::new(|j| {
                j["spec"]["env"] = json!([{ "name": "BAD-NAME", "value": "x", "secret": false }])
            }),
            "snapshot.json spec.env",
        ),
        (
            "reserved-port",
            Box::new(
                |j| j["spec"]["ports"] = json!([{ "host_ip": "0.0.0.0", "host_port": 18080, "container_port": 60900, "protocol": "tcp" }]),
            ),
            "snapshot.json spec.ports",
        ),
        (
            "setup-script",
            Box::new(|j| j["spec"]["setup_script"] = json!("#".repeat(1024 * 1024 + 1))),
            "file",
        ),
        (
            "cpus",
            Box::new(|j| j["spec"]["cpus"] = json!(1000)),
            "snapshot.json spec.cpus",
        ),
        (
            "cron",
            Box::new(|j| j["spec"]["snapshot_schedule"] = json!("* * * * * *")),
            "snapshot.json spec.snapshot_schedule",
        ),
        (
            "mount-path",
            Box::new(
                |j| j["spec"]["repo"] = json!({ "name": "x", "source": "/tmp/x", "branch": null, "no_clean": false, "volume": "v", "mount_path": "/etc" }),
            ),
            "snapshot.json spec.repo.mount_path",
        ),
        (
            "credentials",
            Box::new(|j| j["spec"]["credentials"] = json!([".ssh/id_rsa"])),
            "snapshot.json spec.credentials",
        ),
        (
            "name",
            Box::new(|j| j["snapshot"]["name"] = json!("../Bad Name")),
            "snapshot.json snapshot.name",
        ),
        (
            "image-form",
            Box::new(|j| j["image"] = json!("debian:bookworm")),
            "snapshot.json image",
        ),
    ];
    for (label, change, field) in hostile_json {
        let mut hostile = export.clone();
        change(&mut hostile.json);
        if label == "image-form" {
            // A file consistent with itself, naming an image outside the app's form.
            let mut manifest = hostile.image_json("manifest.json");
            manifest[0]["RepoTags"] = json!(["debian:bookworm"]);
            hostile.set_image_json("manifest.json", &manifest);
        }
        hostile.write(&case(label));
        let error = refused(&other, &case(label), label).await;
        assert_eq!(error.field(), Some(field), "{label}: {error}");
    }

    // What was refused is importable as it came.
    other.core.import_snapshot(&file).await.unwrap();
    untag(&base_tag).await;
}

#[tokio::test]
async fn an_import_is_made_this_machines_and_loads_the_oci_layout_of_recent_docker() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = TestEnv::new().await;
    let (name, file) = exported(&env, &["MODE=dev"]).await;
    // Credential files in both homes: the source mounted them; an import's restore does not unless asked.
    std::fs::create_dir_all(env.home.join(".codex")).unwrap();
    std::fs::write(env.home.join(".codex/auth.json"), "{\"token\":\"x\"}").unwrap();
    let mut export = Export::read(&file).as_oci_layout();
    export.json["spec"]["ports"] = json!([
        { "host_ip": "0.0.0.0", "host_port": 0, "container_port": 8080, "protocol": "tcp" }
    ]);
    export.json["spec"]["credentials_enabled"] = json!(true);
    export.json["spec"]["credentials"] = json!([".codex/auth.json"]);
    export.json["spec"]["pids_limit"] = json!(0);
    let oci = env.dir.path().join("oci.tar");
    export.write(&oci);

    let other = TestEnv::new().await;
    std::fs::create_dir_all(other.home.join(".codex")).unwrap();
    std::fs::write(other.home.join(".codex/auth.json"), "{\"token\":\"y\"}").unwrap();
    let before = all_images().await;
    let imported = other.core.import_snapshot(&oci).await.unwrap();
    assert!(imported.imported);
    assert_ne!(
        imported.source_sandbox_id,
        export.json["snapshot"]["source_sandbox_id"]
            .as_str()
            .unwrap(),
        "a fresh source id"
    );
    // The temporary tag (the job's message names it) is gone, and no tag the file names was made.
    let (stage, temporary): (String, String) =
        sqlx::query_as("SELECT stage, message FROM jobs WHERE kind = 'import' AND target = ?")
            .bind(&name)
            .fetch_one(other.core.store().pool())
            .await
            .unwrap();
    assert_eq!(stage, "committing");
    assert!(
        temporary.starts_with("sandbox-desktop/import-") && temporary.ends_with(":load"),
        "{temporary}"
    );
    assert_eq!(image_id(&temporary).await, None);
    let after = all_images().await;
    let new_tags: Vec<&String> = after
        .iter()
        .flat_map(|(_, tags)| tags)
        .filter(|t| t.contains(&name) && !before.iter().any(|(_, b)| b.contains(t)))
        .collect();
    assert_eq!(new_tags, vec![imported.image.as_ref().unwrap()]);
    // The imported image carries this data dir's labels only.
    let docker = common::docker().await;
    let inspected = docker
        .inspect_image(imported.image.as_deref().unwrap())
        .await
        .unwrap();
    let labels = inspected.config.unwrap().labels.unwrap_or_default();
    assert_eq!(
        labels.get(sbx_core::labels::INSTANCE).map(String::as_str),
        Some(other.core.paths().instance())
    );
    assert_eq!(labels.get(sbx_core::labels::ID), Some(&imported.id));
    assert!(
        !labels.values().any(|v| v == env.core.paths().instance()),
        "{labels:?}"
    );
    // The image loaded from the file (now untagged, under the commit) carries none of the app's labels.
    let parent = docker
        .list_images(Some(ListImagesOptionsBuilder::default().all(true).build()))
        .await
        .unwrap()
        .into_iter()
        .find(|i| Some(&i.id) == inspected.id.as_ref())
        .map(|i| i.parent_id)
        .unwrap_or_default();
    assert!(
        !parent.is_empty(),
        "the commit's parent is the loaded image"
    );
    let loaded = docker.inspect_image(&parent).await.unwrap();
    let labels = loaded.config.and_then(|c| c.labels).unwrap_or_default();
    assert!(
        !labels.keys().any(|k| k.starts_with("dev.sandboxdesktop.")),
        "{labels:?}"
    );

    let (spec,): (String,) = sqlx::query_as("SELECT spec FROM snapshots WHERE name = ?")
        .bind(&name)
        .fetch_one(other.core.store().pool())
        .await
        .unwrap();
    let spec: Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(spec["ports"][0]["host_ip"], "127.0.0.1");
    assert_eq!(spec["credentials_enabled"], false);
    assert_eq!(spec["pids_limit"], sbx_api::DEFAULT_PIDS_LIMIT);

    // A restore mounts no credentials unless asked.
    let plain = unique("plain");
    let sandbox = other
        .core
        .restore_snapshot(&restore(&name, &plain))
        .await
        .unwrap();
    assert!(sandbox.credentials.is_empty(), "{sandbox:?}");
    assert!(sandbox.ports.iter().all(|p| p.host_ip == "127.0.0.1"));
    let (_, out, _) = other.sh(&plain, "cat /root/carried; echo $MODE").await;
    assert_eq!(out, "carried\ndev\n");
    let asked = unique("asked");
    let sandbox = other
        .core
        .restore_snapshot(&RestoreSnapshotRequest {
            credentials: true,
            ..restore(&name, &asked)
        })
        .await
        .unwrap();
    assert_eq!(sandbox.credentials, vec![".codex/auth.json".to_string()]);
    let (_, out, _) = other.sh(&asked, "cat /home/amika/.codex/auth.json").await;
    assert!(out.contains("\"y\""), "{out}");

    // Where it was taken, a restore mounts them as before (its sandbox had them).
    let here = unique("here");
    let sandbox = env
        .core
        .restore_snapshot(&restore(&name, &here))
        .await
        .unwrap();
    assert_eq!(sandbox.credentials, vec![".codex/auth.json".to_string()]);

    // An export of the imported snapshot imports again (a chain of imports).
    let again = other.dir.path().join("again.tar");
    other.core.export_snapshot(&name, &again).await.unwrap();
    for entry in Export::read(&again).image {
        assert!(
            matches!(entry.kind, EntryType::Regular | EntryType::Directory),
            "{entry:?}"
        );
    }
    let third = TestEnv::new().await;
    third.core.import_snapshot(&again).await.unwrap();
    let back = unique("third");
    third
        .core
        .restore_snapshot(&restore(&name, &back))
        .await
        .unwrap();
    let (_, out, _) = third.sh(&back, "cat /root/carried").await;
    assert_eq!(out, "carried\n");
}

#[tokio::test]
async fn secret_values_travel_only_when_asked() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = TestEnv::new().await;
    let value = format!("tok-{}", unique("value"));
    let base = unique("secretive");
    let mut request = env.request(&base);
    request.env = vec![format!("API_TOKEN={value}"), "MODE=dev".into()];
    env.create(request).await;
    let name = unique("with-secret");
    env.core
        .create_snapshot(&snap(&base, &name, SnapshotMode::Full))
        .await
        .unwrap();

    let without = env.dir.path().join("without.tar");
    env.core.export_snapshot(&name, &without).await.unwrap();
    let with = env.dir.path().join("with.tar");
    let report = env
        .core
        .export_snapshot_with(&name, &with, true)
        .await
        .unwrap();
    assert_eq!(report.secret_values, 1);
    let contains = |path: &Path, needle: &str| {
        std::fs::read(path)
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    assert!(!contains(&without, &value), "the export holds the value");
    assert!(contains(&with, &value));
    let json = Export::read(&with).json;
    assert!(
        json["warning"].as_str().unwrap().contains("secret"),
        "{json}"
    );
    assert_eq!(json["secrets"]["API_TOKEN"], value.as_str());
    let json = Export::read(&without).json;
    assert!(json.get("warning").is_none() && json.get("secrets").is_none());

    for (file, expected) in [(&with, format!("{value}\n")), (&without, "\n".to_string())] {
        let other = TestEnv::new().await;
        let imported = other.core.import_snapshot(file).await.unwrap();
        let (spec,): (String,) = sqlx::query_as("SELECT spec FROM snapshots WHERE name = ?")
            .bind(&name)
            .fetch_one(other.core.store().pool())
            .await
            .unwrap();
        assert!(!spec.contains(&value), "the record holds the value");
        let restored = unique("back");
        other
            .core
            .restore_snapshot(&restore(&name, &restored))
            .await
            .unwrap();
        let (_, out, _) = other.sh(&restored, "echo $API_TOKEN").await;
        assert_eq!(out, expected, "{}", file.display());
        let (_, out, _) = other.sh(&restored, "echo $MODE").await;
        assert_eq!(out, "dev\n");
        assert!(imported.imported);
    }

    // A scrubbing snapshot kept no secret values: its export has none, whatever the flag.
    let scrubbed = unique("scrubbed");
    let source = unique("scrubsrc");
    let mut request = env.request(&source);
    request.env = vec![format!("API_TOKEN={value}")];
    env.create(request).await;
    env.core
        .create_snapshot(&snap(&source, &scrubbed, SnapshotMode::Scrub))
        .await
        .unwrap();
    let file = env.dir.path().join("scrubbed.tar");
    let report = env
        .core
        .export_snapshot_with(&scrubbed, &file, true)
        .await
        .unwrap();
    assert_eq!(report.secret_values, 0);
    assert!(!contains(&file, &value));
    assert!(Export::read(&file).json.get("secrets").is_none());
}

#[tokio::test]
async fn export_and_import_paths_that_are_not_files_are_refused_and_change_nothing() {
    let _serial = ONE_AT_A_TIME.lock().await;
    let env = TestEnv::new().await;
    let (name, file) = exported(&env, &[]).await;
    let dir = env.dir.path();
    let field_of = |error: sbx_core::Error| {
        let error = ApiError::from(error);
        (error.field().map(str::to_string), error.to_string())
    };

    // Export: onto a folder, into a folder that does not exist; neither is made nor changed.
    let (field, message) = field_of(env.core.export_snapshot(&name, dir).await.unwrap_err());
    assert_eq!(field.as_deref(), Some("file"), "{message}");
    assert!(message.contains("is a folder"), "{message}");
    let missing = dir.join("no-such-folder").join("x.tar");
    let (field, message) = field_of(env.core.export_snapshot(&name, &missing).await.unwrap_err());
    assert_eq!(field.as_deref(), Some("file"), "{message}");
    assert!(message.contains("folder does not exist"), "{message}");
    assert!(!dir.join("no-such-folder").exists());

    // Export onto a symlink to another file: the link is replaced by the export, the file it pointed at is not
    // written through it.
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "not to be overwritten").unwrap();
    let link = dir.join("link.tar");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    env.core.export_snapshot(&name, &link).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "not to be overwritten"
    );
    assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    assert_eq!(
        std::fs::metadata(&link).unwrap().len(),
        std::fs::metadata(&file).unwrap().len()
    );

    // Import: a named pipe (an open would wait for a writer forever), a folder, a device; refused at once.
    let other = TestEnv::new().await;
    let pipe = dir.join("pipe.tar");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    for (case, path) in [
        ("a named pipe", pipe.as_path()),
        ("a folder", dir),
        ("a device", Path::new("/dev/zero")),
    ] {
        let error = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            refused(&other, path, case),
        )
        .await
        .unwrap_or_else(|_| panic!("{case}: the import did not answer within 20 s"));
        assert!(
            error.to_string().contains("not a regular file"),
            "{case}: {error}"
        );
    }
}
