//! The `docker save` archive inside an export (`image.tar`): copying the engine's into an export (repeated-layer
//! links resolved), checking the one a file holds (only files and directories; `manifest.json`, `repositories` and
//! `index.json` naming only the image `snapshot.json` names) and writing the stream an import loads (under the
//! temporary tag only, without the app's labels).

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::Path;
use tar::EntryType;

use super::ImageArchive;
use super::outer::describe;
use super::tar_io::{
    CHUNK, Window, clean_path, data_header, dir_header, entry_path, read_bounded, resolve_link,
};

/// Largest `manifest.json`, `repositories` or `index.json` of `image.tar` an import reads.
const MAX_IMAGE_JSON: u64 = 1024 * 1024;
/// Most entries of `image.tar` an import reads.
const MAX_IMAGE_ENTRIES: usize = 10_000;
/// Largest image configuration an import reads (to take the app's labels out of it).
const MAX_IMAGE_CONFIG: u64 = 4 * 1024 * 1024;
/// What every label of the app starts with; an imported image's own are taken out before it is loaded.
const APP_LABEL_PREFIX: &str = "dev.sandboxdesktop.";
/// Names in `image.tar` that an import leaves out of what it loads (it writes its own `manifest.json`).
const SAVE_METADATA: [&str; 4] = ["manifest.json", "repositories", "index.json", "oci-layout"];

/// The parts of a checked `docker save` archive.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ImageContents {
    /// Path of the image configuration.
    config: String,
    /// Paths of the layers, bottom first.
    layers: Vec<String>,
    /// Every regular file.
    files: HashSet<String>,
}

/// One entry of `manifest.json` (other keys, such as `Parent` or `LayerSources`, are not loaded).
#[derive(Debug, Deserialize)]
struct SavedImage {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

/// Copy a `docker save` archive, as a tar of regular files and directories only. The legacy format (Docker before
/// 25) writes a layer that repeats an earlier one as a symbolic link `<id>/layer.tar -> ../<other>/layer.tar`; such
/// a link is left out and `manifest.json` names the layer it points to instead, so an import can refuse every link.
pub(super) fn copy_saved_image(input: impl Read, out: impl Write) -> io::Result<()> {
    let mut archive = tar::Archive::new(input);
    let mut builder = tar::Builder::new(out);
    let mut files = HashSet::new();
    let mut links: HashMap<String, String> = HashMap::new();
    let mut manifest_written = false;
    let odd = |message: String| io::Error::new(io::ErrorKind::InvalidData, message);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry_path(&entry).ok_or_else(|| {
            odd("the engine's image archive has an entry with an odd path".into())
        })?;
        let mtime = entry.header().mtime().unwrap_or(0);
        match entry.header().entry_type() {
            EntryType::Directory => {
                if !path.is_empty() {
                    let mut header = dir_header(mtime);
                    builder.append_data(&mut header, format!("{path}/"), io::empty())?;
                }
            }
            EntryType::Regular if path == "manifest.json" => {
                let text = read_bounded(&mut entry, MAX_IMAGE_JSON)?;
                let text = if links.is_empty() {
                    text
                } else {
                    layers_through_links(&text, &links)?
                };
                let mut header = data_header(text.len() as u64, 0o644, mtime);
                builder.append_data(&mut header, "manifest.json", text.as_slice())?;
                manifest_written = true;
                files.insert(path);
            }
            EntryType::Regular => {
                let mut header = data_header(entry.size(), 0o644, mtime);
                builder.append_data(&mut header, &path, &mut entry)?;
                files.insert(path);
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .and_then(|t| std::str::from_utf8(&t).ok().map(str::to_string))
                    .and_then(|t| {
                        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
                        resolve_link(dir, &t)
                    });
                match target {
                    Some(target)
                        if !manifest_written
                            && path.ends_with("/layer.tar")
                            && target.ends_with("/layer.tar")
                            && files.contains(&target) =>
                    {
                        links.insert(path, target);
                    }
                    _ => {
                        return Err(odd(format!(
                            "the engine's image archive has a link '{path}' that is not a repeated layer"
                        )));
                    }
                }
            }
            other => {
                return Err(odd(format!(
                    "the engine's image archive has '{path}' of type {other:?}"
                )));
            }
        }
    }
    builder.into_inner()?.flush()
}

/// `manifest.json` with each layer path that is one of `links` replaced by the path it links to.
fn layers_through_links(text: &[u8], links: &HashMap<String, String>) -> io::Result<Vec<u8>> {
    let mut manifest: Value =
        serde_json::from_slice(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    for image in manifest.as_array_mut().into_iter().flatten() {
        for layer in image
            .get_mut("Layers")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(target) = layer
                .as_str()
                .and_then(clean_path)
                .and_then(|path| links.get(&path))
            {
                *layer = Value::String(target.clone());
            }
        }
    }
    serde_json::to_vec(&manifest).map_err(io::Error::other)
}

/// Check a `docker save` archive that must hold exactly the image `expected` (`repo:tag`): only regular files
/// and directories, each path once; one image in `manifest.json`, named `expected` only; `repositories` and
/// `index.json`, when there, naming nothing else. The error completes "image.tar …".
pub(super) fn inspect_image(
    reader: impl Read + Seek,
    expected: &str,
) -> std::result::Result<ImageContents, String> {
    let mut archive = tar::Archive::new(reader);
    let mut paths = HashSet::new();
    let mut files = HashSet::new();
    let (mut manifest, mut repositories, mut index) = (None, None, None);
    let entries = archive
        .entries_with_seek()
        .map_err(|e| format!("is not a tar archive: {e}"))?
        .raw(true);
    for (count, entry) in entries.enumerate() {
        if count >= MAX_IMAGE_ENTRIES {
            return Err(format!(
                "holds more than {MAX_IMAGE_ENTRIES} entries; a `docker save` archive has a few per layer"
            ));
        }
        let mut entry = entry.map_err(|e| format!("is not a readable tar archive: {e}"))?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = entry_path(&entry) else {
            return Err(format!(
                "holds the entry '{raw}', whose path is not allowed (absolute, with '..', or not plain text)"
            ));
        };
        let kind = entry.header().entry_type();
        if kind == EntryType::Directory && path.is_empty() {
            continue;
        }
        if !paths.insert(path.clone()) {
            return Err(format!("holds the entry '{path}' twice"));
        }
        match kind {
            EntryType::Directory => {}
            EntryType::Regular => {
                let slot = match path.as_str() {
                    "manifest.json" => Some(&mut manifest),
                    "repositories" => Some(&mut repositories),
                    "index.json" => Some(&mut index),
                    _ => None,
                };
                if let Some(slot) = slot {
                    *slot = Some(read_json(&mut entry, &path)?);
                }
                files.insert(path);
            }
            _ => {
                return Err(format!(
                    "holds '{path}', {}; an image archive may hold only files and directories",
                    describe(&entry)
                ));
            }
        }
    }

    let manifest = manifest.ok_or("holds no manifest.json (it is not a `docker save` archive)")?;
    let images: Vec<SavedImage> = serde_json::from_value(manifest)
        .map_err(|e| format!("has a manifest.json that is not a `docker save` manifest: {e}"))?;
    let image = match <[SavedImage; 1]>::try_from(images) {
        Ok([image]) => image,
        Err(images) => {
            return Err(format!(
                "holds {} images in manifest.json; an export holds exactly one",
                images.len()
            ));
        }
    };
    let tags = image.repo_tags.unwrap_or_default();
    if tags.len() != 1 || familiar(&tags[0]) != expected {
        return Err(format!(
            "names the image {tags:?} in manifest.json; snapshot.json says it holds exactly [\"{expected}\"]"
        ));
    }
    let in_archive = |path: &str, what: &str| -> std::result::Result<String, String> {
        match clean_path(path) {
            Some(clean) if files.contains(&clean) && !SAVE_METADATA.contains(&clean.as_str()) => {
                Ok(clean)
            }
            _ => Err(format!(
                "names {what} '{path}' in manifest.json, which is not a file of the archive"
            )),
        }
    };
    let config = in_archive(&image.config, "the configuration")?;
    if image.layers.is_empty() {
        return Err("names no layer in manifest.json".into());
    }
    let layers = image
        .layers
        .iter()
        .map(|layer| in_archive(layer, "the layer"))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if layers.contains(&config) {
        return Err(format!(
            "names '{config}' as both the configuration and a layer"
        ));
    }
    if let Some(repositories) = repositories {
        check_repositories(&repositories, expected)?;
    }
    if let Some(index) = index {
        check_index(&index, expected)?;
    }
    Ok(ImageContents {
        config,
        layers,
        files,
    })
}

/// `repositories` (`{"repo": {"tag": "id"}}`) may name `expected` only.
fn check_repositories(repositories: &Value, expected: &str) -> std::result::Result<(), String> {
    let repos = repositories
        .as_object()
        .ok_or("has a repositories file that is not a JSON object")?;
    for (repo, tags) in repos {
        let tags = tags
            .as_object()
            .ok_or("has a repositories file that is not of `docker save`'s form")?;
        for tag in tags.keys() {
            let named = format!("{repo}:{tag}");
            if familiar(&named) != expected {
                return Err(format!(
                    "names '{named}' in repositories; snapshot.json says it holds only '{expected}'"
                ));
            }
        }
    }
    Ok(())
}

/// `index.json` (OCI layout) may list one image, and its name annotations may name `expected` only:
/// `io.containerd.image.name` the whole name (`docker.io/…` allowed), `org.opencontainers.image.ref.name` the
/// tag alone or the whole name.
fn check_index(index: &Value, expected: &str) -> std::result::Result<(), String> {
    let tag = expected.rsplit_once(':').map_or("", |(_, tag)| tag);
    let check = |descriptor: &Value| -> std::result::Result<(), String> {
        let Some(annotations) = descriptor.get("annotations") else {
            return Ok(());
        };
        let annotations = annotations
            .as_object()
            .ok_or("has index.json annotations that are not a JSON object")?;
        for (key, value) in annotations {
            let fits = match (key.as_str(), value.as_str()) {
                ("io.containerd.image.name", Some(name)) => familiar(name) == expected,
                ("org.opencontainers.image.ref.name", Some(name)) => {
                    name == tag || familiar(name) == expected
                }
                ("io.containerd.image.name" | "org.opencontainers.image.ref.name", None) => false,
                _ => true,
            };
            if !fits {
                return Err(format!(
                    "names {value} in index.json ({key}); snapshot.json says it holds only '{expected}'"
                ));
            }
        }
        Ok(())
    };
    if !index.is_object() {
        return Err("has an index.json that is not an OCI index".into());
    }
    check(index)?;
    let manifests = match index.get("manifests") {
        None => return Ok(()),
        Some(manifests) => manifests
            .as_array()
            .ok_or("has an index.json whose manifests are not a list")?,
    };
    let mut digests = HashSet::new();
    for descriptor in manifests {
        check(descriptor)?;
        digests.insert(descriptor.get("digest").and_then(Value::as_str));
    }
    if digests.len() > 1 {
        return Err(format!(
            "lists {} images in index.json; an export holds exactly one",
            digests.len()
        ));
    }
    Ok(())
}

/// An image name as Docker shows it: `docker.io/sandbox-desktop/x:y` is `sandbox-desktop/x:y`.
fn familiar(name: &str) -> &str {
    name.strip_prefix("docker.io/").unwrap_or(name)
}

/// Stream the checked `image.tar` of the export at `path` to `out` as a `docker save` archive that names only
/// `tag` (see [`rewrite_for_load`]).
pub(super) fn stream_for_load(
    path: &Path,
    archive: &ImageArchive,
    tag: &str,
    out: impl Write,
) -> io::Result<()> {
    let window = Window::open(path, archive.start, archive.len)?;
    rewrite_for_load(
        BufReader::with_capacity(CHUNK, window),
        &archive.contents,
        tag,
        out,
    )
}

/// Write the checked archive as one the engine loads under `tag` and no other name: its regular files (the
/// directories are implied), without `repositories`, `index.json` and `oci-layout` (so the manifest below is what
/// any engine reads), the configuration without the app's labels, then a `manifest.json` of ours. An entry that
/// was not there when the file was checked fails with [`io::ErrorKind::InvalidData`].
fn rewrite_for_load(
    reader: impl Read,
    contents: &ImageContents,
    tag: &str,
    out: impl Write,
) -> io::Result<()> {
    let changed = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
    let mut archive = tar::Archive::new(reader);
    let mut builder = tar::Builder::new(out);
    let mut emitted = HashSet::new();
    let mut config_name = None;
    for entry in archive.entries()?.raw(true) {
        let mut entry = entry?;
        let path =
            entry_path(&entry).ok_or_else(|| changed("an entry's path is not allowed".into()))?;
        match entry.header().entry_type() {
            EntryType::Directory => continue,
            EntryType::Regular => {}
            _ => return Err(changed(format!("image.tar holds '{path}', not a file"))),
        }
        if !contents.files.contains(&path) || !emitted.insert(path.clone()) {
            return Err(changed(format!("image.tar holds '{path}' unexpectedly")));
        }
        let mtime = entry.header().mtime().unwrap_or(0);
        if SAVE_METADATA.contains(&path.as_str()) {
            continue;
        }
        if path == contents.config {
            let config = read_bounded(&mut entry, MAX_IMAGE_CONFIG)?;
            let (bytes, name) = match without_app_labels(&config)? {
                Some(stripped) => {
                    let name = format!("{:x}.json", Sha256::digest(&stripped));
                    if name != path && contents.files.contains(&name) {
                        return Err(changed(format!("image.tar already holds '{name}'")));
                    }
                    (stripped, name)
                }
                None => (config, path.clone()),
            };
            let mut header = data_header(bytes.len() as u64, 0o644, mtime);
            builder.append_data(&mut header, &name, bytes.as_slice())?;
            config_name = Some(name);
            continue;
        }
        let mut header = data_header(entry.size(), 0o644, mtime);
        builder.append_data(&mut header, &path, &mut entry)?;
    }
    let config = config_name.ok_or_else(|| changed("image.tar lost its configuration".into()))?;
    let manifest = serde_json::json!([{
        "Config": config,
        "RepoTags": [tag],
        "Layers": contents.layers,
    }]);
    let manifest = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
    let mut header = data_header(manifest.len() as u64, 0o644, 0);
    builder.append_data(&mut header, "manifest.json", manifest.as_slice())?;
    builder.into_inner()?.flush()
}

/// An image configuration without the app's labels (`dev.sandboxdesktop.*`), or `None` when it has none: an
/// imported image must not pass for an object of a data dir (the commit then puts this data dir's labels on it).
fn without_app_labels(config: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let mut value: Value = serde_json::from_slice(config).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the image configuration is not JSON: {e}"),
        )
    })?;
    let mut removed = false;
    for section in ["config", "container_config"] {
        if let Some(found) = value
            .get_mut(section)
            .and_then(|s| s.get_mut("Labels"))
            .and_then(Value::as_object_mut)
        {
            let before = found.len();
            found.retain(|key, _| !key.starts_with(APP_LABEL_PREFIX));
            removed |= found.len() != before;
        }
    }
    if !removed {
        return Ok(None);
    }
    serde_json::to_vec(&value)
        .map(Some)
        .map_err(io::Error::other)
}

/// Read a small JSON file of an image archive.
fn read_json(reader: &mut impl Read, path: &str) -> std::result::Result<Value, String> {
    let bytes = read_bounded(reader, MAX_IMAGE_JSON)
        .map_err(|e| format!("has a '{path}' that cannot be read: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("has a '{path}' that is not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const IMAGE: &str = "sandbox-desktop/snapshot-moved:0a1b2c3d";

    /// A tar of (path, kind, data); kind 'f' file, 'd' directory, 's' symlink (data = target), 'h' hard link.
    fn tar_of(entries: &[(&str, char, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            match kind {
                'f' => {
                    header.set_entry_type(EntryType::Regular);
                    header.set_size(data.len() as u64);
                    builder.append_data(&mut header, path, *data).unwrap();
                }
                'd' => {
                    header.set_entry_type(EntryType::Directory);
                    header.set_size(0);
                    builder.append_data(&mut header, path, io::empty()).unwrap();
                }
                's' | 'h' => {
                    header.set_entry_type(if *kind == 's' {
                        EntryType::Symlink
                    } else {
                        EntryType::Link
                    });
                    header.set_size(0);
                    builder
                        .append_link(&mut header, path, std::str::from_utf8(data).unwrap())
                        .unwrap();
                }
                _ => unreachable!(),
            }
        }
        builder.into_inner().unwrap()
    }

    /// A tar of one file whose path the tar crate's builder would refuse to write.
    fn raw_tar(path: &str) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_size(1);
        header.set_mode(0o644);
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        let mut out = header.as_bytes().to_vec();
        out.push(b'x');
        out.resize(1024 + 1024, 0);
        out
    }

    fn config_json() -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "config": { "Labels": {
                "dev.sandboxdesktop.instance": "someone-else",
                "dev.sandboxdesktop.record": "{}",
                "org.example.kept": "yes"
            }},
            "rootfs": { "type": "layers", "diff_ids": ["sha256:aa"] }
        }))
        .unwrap()
    }

    /// What `docker save` of Docker 20.10 writes (checked against this engine).
    fn legacy(tags: &str) -> Vec<u8> {
        let manifest = format!(
            r#"[{{"Config":"c0ffee.json","RepoTags":{tags},"Layers":["aaaa/layer.tar"]}}]"#
        );
        let config = config_json();
        tar_of(&[
            ("aaaa/", 'd', b""),
            ("aaaa/VERSION", 'f', b"1.0"),
            ("aaaa/json", 'f', b"{}"),
            ("aaaa/layer.tar", 'f', b"layer bytes"),
            ("c0ffee.json", 'f', &config),
            ("manifest.json", 'f', manifest.as_bytes()),
            (
                "repositories",
                'f',
                br#"{"sandbox-desktop/snapshot-moved":{"0a1b2c3d":"aaaa"}}"#,
            ),
        ])
    }

    /// What `docker save` of Docker 25 and later writes (the OCI layout, as moby's tarexport writes it).
    fn oci(index: &str) -> Vec<u8> {
        let manifest = format!(
            r#"[{{"Config":"blobs/sha256/c0ffee","RepoTags":["{IMAGE}"],"Layers":["blobs/sha256/aaaa"]}}]"#
        );
        let config = config_json();
        tar_of(&[
            ("blobs/", 'd', b""),
            ("blobs/sha256/", 'd', b""),
            ("blobs/sha256/aaaa", 'f', b"layer bytes"),
            ("blobs/sha256/beef", 'f', b"{\"schemaVersion\":2}"),
            ("blobs/sha256/c0ffee", 'f', &config),
            ("index.json", 'f', index.as_bytes()),
            ("manifest.json", 'f', manifest.as_bytes()),
            ("oci-layout", 'f', br#"{"imageLayoutVersion":"1.0.0"}"#),
            (
                "repositories",
                'f',
                br#"{"sandbox-desktop/snapshot-moved":{"0a1b2c3d":"aaaa"}}"#,
            ),
        ])
    }

    fn moby_index() -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:beef","size":18,"annotations":{{"io.containerd.image.name":"docker.io/{IMAGE}","org.opencontainers.image.ref.name":"0a1b2c3d"}}}}]}}"#
        )
    }

    fn inspect(archive: Vec<u8>) -> std::result::Result<ImageContents, String> {
        inspect_image(Cursor::new(archive), IMAGE)
    }

    #[test]
    fn real_save_formats_are_accepted() {
        let contents = inspect(legacy(&format!(r#"["{IMAGE}"]"#))).unwrap();
        assert_eq!(contents.config, "c0ffee.json");
        assert_eq!(contents.layers, vec!["aaaa/layer.tar"]);
        let contents = inspect(oci(&moby_index())).unwrap();
        assert_eq!(contents.config, "blobs/sha256/c0ffee");
        // containerd's exporter (Docker's containerd image store): no repositories, the tag as ref name.
        let containerd = moby_index().replace("docker.io/", "");
        inspect(oci(&containerd)).unwrap();
    }

    #[test]
    fn other_names_two_images_and_links_are_refused() {
        for tags in [
            format!(r#"["{IMAGE}","sandbox-desktop/preset-coder:latest"]"#),
            format!(r#"["{IMAGE}","debian:bookworm"]"#),
            r#"["sandbox-desktop/snapshot-moved:ffff"]"#.to_string(),
            "[]".to_string(),
            "null".to_string(),
        ] {
            let error = inspect(legacy(&tags)).unwrap_err();
            assert!(error.contains("manifest.json"), "{tags}: {error}");
        }
        let two = format!(
            r#"[{{"Config":"c0ffee.json","RepoTags":["{IMAGE}"],"Layers":["aaaa/layer.tar"]}},{{"Config":"c0ffee.json","RepoTags":["{IMAGE}"],"Layers":["aaaa/layer.tar"]}}]"#
        );
        let error = inspect(tar_of(&[
            ("aaaa/layer.tar", 'f', b"x"),
            ("c0ffee.json", 'f', b"{}"),
            ("manifest.json", 'f', two.as_bytes()),
        ]))
        .unwrap_err();
        assert!(error.contains("2 images"), "{error}");

        let extra_name = moby_index().replace(
            "\"org.opencontainers.image.ref.name\":\"0a1b2c3d\"",
            "\"org.opencontainers.image.ref.name\":\"debian:bookworm\"",
        );
        let error = inspect(oci(&extra_name)).unwrap_err();
        assert!(error.contains("index.json"), "{error}");
        let other_image = moby_index().replace(
            "docker.io/sandbox-desktop/snapshot-moved:0a1b2c3d",
            "docker.io/sandbox-desktop/preset-coder:latest",
        );
        assert!(inspect(oci(&other_image)).is_err());
        let two_digests = moby_index().replace(
            "\"manifests\":[",
            "\"manifests\":[{\"digest\":\"sha256:other\"},",
        );
        let error = inspect(oci(&two_digests)).unwrap_err();
        assert!(error.contains("2 images"), "{error}");

        let config = config_json();
        let named = format!(
            r#"[{{"Config":"c0ffee.json","RepoTags":["{IMAGE}"],"Layers":["aaaa/layer.tar"]}}]"#
        );
        let repositories = tar_of(&[
            ("aaaa/layer.tar", 'f', b"x"),
            ("c0ffee.json", 'f', &config),
            ("manifest.json", 'f', named.as_bytes()),
            (
                "repositories",
                'f',
                br#"{"sandbox-desktop/snapshot-moved":{"0a1b2c3d":"aaaa"},"debian":{"bookworm":"aaaa"}}"#,
            ),
        ]);
        let error = inspect(repositories).unwrap_err();
        assert!(error.contains("debian:bookworm"), "{error}");

        let manifest =
            format!(r#"[{{"Config":"c.json","RepoTags":["{IMAGE}"],"Layers":["l/layer.tar"]}}]"#);
        for (link, kind) in [("../../etc/passwd", 's'), ("c.json", 'h')] {
            let error = inspect(tar_of(&[
                ("c.json", 'f', b"{}"),
                ("l/layer.tar", kind, link.as_bytes()),
                ("manifest.json", 'f', manifest.as_bytes()),
            ]))
            .unwrap_err();
            assert!(error.contains("link"), "{error}");
        }
        for path in ["../escape", "/etc/passwd"] {
            let error = inspect(raw_tar(path)).unwrap_err();
            assert!(error.contains("not allowed"), "{error}");
        }
    }

    #[test]
    fn odd_paths_are_not_allowed() {
        assert_eq!(clean_path("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(clean_path("./").as_deref(), Some(""));
        for raw in ["../a", "a/../../b", "/abs", "a\\b", "a\nb"] {
            assert_eq!(clean_path(raw), None, "{raw}");
        }
        // Two spellings of one path are one entry, twice.
        let error = inspect(tar_of(&[
            ("manifest.json", 'f', b"[]"),
            ("./manifest.json", 'f', b"[]"),
        ]))
        .unwrap_err();
        assert!(error.contains("twice"), "{error}");
    }

    #[test]
    fn the_load_stream_names_only_the_temporary_tag_and_carries_no_app_label() {
        for archive in [legacy(&format!(r#"["{IMAGE}"]"#)), oci(&moby_index())] {
            let contents = inspect(archive.clone()).unwrap();
            let mut out = Vec::new();
            rewrite_for_load(
                Cursor::new(archive),
                &contents,
                "sandbox-desktop/import-x:load",
                &mut out,
            )
            .unwrap();
            let mut written = tar::Archive::new(Cursor::new(out));
            let mut names = Vec::new();
            let mut manifest = Value::Null;
            let mut config = Value::Null;
            for entry in written.entries().unwrap() {
                let mut entry = entry.unwrap();
                let name = entry.path().unwrap().display().to_string();
                let mut text = Vec::new();
                entry.read_to_end(&mut text).unwrap();
                if name == "manifest.json" {
                    manifest = serde_json::from_slice(&text).unwrap();
                } else if name.ends_with(".json") && !name.ends_with("/json") {
                    config = serde_json::from_slice(&text).unwrap();
                    assert_eq!(name, format!("{:x}.json", Sha256::digest(&text)));
                }
                names.push(name);
            }
            for left_out in ["repositories", "index.json", "oci-layout"] {
                assert!(!names.iter().any(|n| n == left_out), "{names:?}");
            }
            assert_eq!(
                manifest[0]["RepoTags"],
                serde_json::json!(["sandbox-desktop/import-x:load"])
            );
            assert_eq!(manifest[0]["Layers"], serde_json::json!(contents.layers));
            let labels = &config["config"]["Labels"];
            assert_eq!(labels, &serde_json::json!({ "org.example.kept": "yes" }));
            assert!(names.contains(&manifest[0]["Config"].as_str().unwrap().to_string()));
        }
    }

    #[test]
    fn an_export_takes_repeated_layer_links_out() {
        let manifest = r#"[{"Config":"c.json","RepoTags":["x:y"],"Layers":["aaaa/layer.tar","bbbb/layer.tar"]}]"#;
        let saved = tar_of(&[
            ("aaaa/", 'd', b""),
            ("aaaa/layer.tar", 'f', b"empty layer"),
            ("bbbb/", 'd', b""),
            ("bbbb/layer.tar", 's', b"../aaaa/layer.tar"),
            ("c.json", 'f', b"{}"),
            ("manifest.json", 'f', manifest.as_bytes()),
        ]);
        let mut out = Vec::new();
        copy_saved_image(Cursor::new(saved), &mut out).unwrap();
        let mut copied = tar::Archive::new(Cursor::new(out));
        let mut manifest = Value::Null;
        for entry in copied.entries().unwrap() {
            let mut entry = entry.unwrap();
            assert!(
                matches!(
                    entry.header().entry_type(),
                    EntryType::Regular | EntryType::Directory
                ),
                "{:?}",
                entry.path()
            );
            if entry.path().unwrap().to_str() == Some("manifest.json") {
                let mut text = Vec::new();
                entry.read_to_end(&mut text).unwrap();
                manifest = serde_json::from_slice(&text).unwrap();
            }
        }
        assert_eq!(
            manifest[0]["Layers"],
            serde_json::json!(["aaaa/layer.tar", "aaaa/layer.tar"])
        );
        // Any other link is not passed on.
        let odd = tar_of(&[("a", 's', b"/etc/passwd")]);
        assert!(copy_saved_image(Cursor::new(odd), Vec::new()).is_err());
    }

    #[test]
    fn extension_headers_are_refused() {
        let long = format!("{}/layer.tar", "a".repeat(120));
        let error = inspect(tar_of(&[(long.as_str(), 'f', b"x")])).unwrap_err();
        assert!(error.contains("extension header"), "{error}");
    }
}
