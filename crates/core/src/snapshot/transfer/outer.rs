//! The outer tar of an export file: writing it (`snapshot.json`, then `image.tar` streamed from the engine, its
//! header written last) and checking the one an import is given (the two regular files, once each, nothing else),
//! which hands `snapshot.json` to [`super::manifest`] and `image.tar` to [`super::image_tar`].

use sbx_api::ApiError;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use tar::EntryType;

use super::image_tar::{copy_saved_image, inspect_image};
use super::manifest::{ExportManifest, ImportPlan, check_snapshot_json};
use super::tar_io::{CHUNK, Counting, Window, file_header, pad, read_bounded};
use super::{ImageArchive, MAX_SNAPSHOT_JSON};
use crate::{Error, Result};

/// Write the export file at `file` (through a partial file beside it, renamed once whole): `snapshot.json`, then
/// the engine's archive of the image as `image.tar`, links of the legacy format taken out (see
/// [`copy_saved_image`]). The header of `image.tar` is written last, once its size is known.
pub(super) fn write_export(file: &Path, snapshot_json: &[u8], image: impl Read) -> io::Result<()> {
    let Some(file_name) = file.file_name() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the export needs a file name",
        ));
    };
    let mut partial_name = file_name.to_os_string();
    partial_name.push(format!(".partial-{}", uuid::Uuid::new_v4().simple()));
    let partial = file.with_file_name(partial_name);
    let written = write_export_to(&partial, snapshot_json, image)
        .and_then(|()| std::fs::rename(&partial, file));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

fn write_export_to(path: &Path, snapshot_json: &[u8], image: impl Read) -> io::Result<()> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = BufWriter::with_capacity(CHUNK, File::create(path)?);
    let json_len = snapshot_json.len() as u64;
    out.write_all(file_header("snapshot.json", json_len, 0o644, now)?.as_bytes())?;
    out.write_all(snapshot_json)?;
    pad(&mut out, json_len)?;
    let image_header_at = 512 + json_len.div_ceil(512) * 512;
    out.write_all(&[0; 512])?;
    let mut counted = Counting {
        inner: &mut out,
        bytes: 0,
    };
    copy_saved_image(image, &mut counted)?;
    let image_len = counted.bytes;
    pad(&mut out, image_len)?;
    out.write_all(&[0; 1024])?;
    let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.seek(SeekFrom::Start(image_header_at))?;
    file.write_all(file_header("image.tar", image_len, 0o644, now)?.as_bytes())?;
    file.sync_all()
}

/// Check the export file at `path` whole (see the module documentation): the checked `snapshot.json` and where
/// `image.tar` is. Reads `snapshot.json` and the small JSON files of `image.tar` only; seeks past the rest.
pub(super) fn inspect_export(path: &Path) -> Result<(ImportPlan, ImageArchive)> {
    let shown = path.display().to_string();
    let refuse =
        |why: String| -> Error { ApiError::invalid(sbx_api::Field::File, &shown, why).into() };
    let file = File::open(path).map_err(|e| refuse(e.to_string()))?;
    let mut outer = tar::Archive::new(&file);
    let mut json: Option<Vec<u8>> = None;
    let mut image: Option<(u64, u64)> = None;
    // Raw: extension headers (long names, PAX records) come as entries of their own, refused below, so the tar
    // reader never keeps one in memory.
    let entries = outer
        .entries_with_seek()
        .map_err(|e| refuse(format!("not a snapshot export: {e}")))?
        .raw(true);
    for entry in entries {
        let mut entry = entry.map_err(|e| refuse(format!("not a snapshot export: {e}")))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind != EntryType::Regular {
            return Err(refuse(format!(
                "the entry '{name}' is {}; a snapshot export holds only the regular files snapshot.json and \
                 image.tar",
                describe(&entry)
            )));
        }
        match name.as_str() {
            "snapshot.json" => {
                if json.is_some() {
                    return Err(refuse("snapshot.json appears twice".into()));
                }
                if entry.size() > MAX_SNAPSHOT_JSON {
                    return Err(refuse(format!(
                        "snapshot.json is {} bytes; a snapshot export's is at most {MAX_SNAPSHOT_JSON} (1 MiB)",
                        entry.size()
                    )));
                }
                json = Some(
                    read_bounded(&mut entry, MAX_SNAPSHOT_JSON)
                        .map_err(|e| refuse(format!("reading snapshot.json: {e}")))?,
                );
            }
            "image.tar" => {
                if image.is_some() {
                    return Err(refuse("image.tar appears twice".into()));
                }
                image = Some((entry.raw_file_position(), entry.size()));
            }
            other => {
                return Err(refuse(format!(
                    "the entry '{other}' is not part of a snapshot export, which holds only snapshot.json and \
                     image.tar"
                )));
            }
        }
    }
    let json = json.ok_or_else(|| refuse("not a snapshot export (no snapshot.json)".into()))?;
    let (start, len) =
        image.ok_or_else(|| refuse("not a snapshot export (no image.tar)".into()))?;
    let manifest: ExportManifest = serde_json::from_slice(&json)
        .map_err(|e| refuse(format!("snapshot.json is not readable: {e}")))?;
    let plan = check_snapshot_json(manifest, &shown)?;
    let window = Window::open(path, start, len).map_err(|e| refuse(e.to_string()))?;
    let contents =
        inspect_image(window, &plan.image).map_err(|why| refuse(format!("image.tar {why}")))?;
    Ok((
        plan,
        ImageArchive {
            start,
            len,
            contents,
        },
    ))
}

/// What a non-regular entry is, in words.
pub(super) fn describe<R: Read>(entry: &tar::Entry<'_, R>) -> String {
    let target = entry
        .link_name_bytes()
        .map(|t| String::from_utf8_lossy(&t).into_owned())
        .unwrap_or_default();
    match entry.header().entry_type() {
        EntryType::Symlink => format!("a symbolic link (to '{target}')"),
        EntryType::Link => format!("a hard link (to '{target}')"),
        EntryType::Directory => "a directory".into(),
        EntryType::Char | EntryType::Block => "a device".into(),
        EntryType::Fifo => "a named pipe".into(),
        EntryType::Regular => "a regular file".into(),
        EntryType::XHeader
        | EntryType::XGlobalHeader
        | EntryType::GNULongName
        | EntryType::GNULongLink => format!(
            "a tar extension header (type '{}'), which a snapshot export does not use",
            entry.header().entry_type().as_byte() as char
        ),
        other => format!("an entry of type '{}'", other.as_byte() as char),
    }
}
