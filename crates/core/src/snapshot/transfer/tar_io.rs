//! Tar and stream helpers of export and import: entry paths cleaned, bounded reads, headers written by hand, and
//! the readers and writers between the engine's async streams, the file and the tar code on a blocking thread.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use tar::EntryType;
use tokio::sync::mpsc;

/// Bytes per chunk between the engine's stream and the tar code on its blocking thread.
pub(super) const CHUNK: usize = 256 * 1024;
/// Chunks in flight between them: with [`CHUNK`], at most 2 MiB.
pub(crate) const CHUNKS_IN_FLIGHT: usize = 8;

/// The path of a tar entry, cleaned (see [`clean_path`]); `None` when it is not allowed.
pub(super) fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Option<String> {
    std::str::from_utf8(&entry.path_bytes())
        .ok()
        .and_then(clean_path)
}

/// A relative path without `.` or empty segments, `""` for the root; `None` when absolute, with `..`, a backslash
/// or a control character.
pub(super) fn clean_path(raw: &str) -> Option<String> {
    if raw.starts_with('/') || raw.contains('\\') || raw.chars().any(char::is_control) {
        return None;
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// The path a relative symbolic link in folder `dir` points to, cleaned; `None` when absolute or above the root.
pub(super) fn resolve_link(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    clean_path(&parts.join("/"))
}

/// Read all of `reader`, refusing more than `max` bytes.
pub(super) fn read_bounded(reader: &mut impl Read, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("more than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// The header of a regular file written by hand (the outer entries: short names).
pub(super) fn file_header(path: &str, size: u64, mode: u32, mtime: u64) -> io::Result<tar::Header> {
    let mut header = data_header(size, mode, mtime);
    header.set_path(path)?;
    header.set_cksum();
    Ok(header)
}

/// The header of a regular file for [`tar::Builder::append_data`], which sets the path (a long one too) and the
/// checksum.
pub(super) fn data_header(size: u64, mode: u32, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(EntryType::Regular);
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(mtime);
    header
}

/// The header of a directory (its path is set by the builder).
pub(super) fn dir_header(mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o755);
    header.set_mtime(mtime);
    header
}

/// Zeros up to the next 512-byte block after `size` bytes of data.
pub(super) fn pad(out: &mut impl Write, size: u64) -> io::Result<()> {
    let rest = (size % 512) as usize;
    if rest != 0 {
        out.write_all(&[0; 512][..512 - rest])?;
    }
    Ok(())
}

/// Counts what goes through.
pub(super) struct Counting<W> {
    pub(super) inner: W,
    pub(super) bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A part of a file (`image.tar` inside the export), read and sought on a handle of its own.
pub(super) struct Window {
    file: File,
    start: u64,
    len: u64,
    at: u64,
}

impl Window {
    pub(super) fn open(path: &Path, start: u64, len: u64) -> io::Result<Window> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        Ok(Window {
            file,
            start,
            len,
            at: 0,
        })
    }
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.at);
        let wanted = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if wanted == 0 {
            return Ok(0);
        }
        let read = self.file.read(&mut buf[..wanted])?;
        self.at += read as u64;
        Ok(read)
    }
}

impl Seek for Window {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => i128::from(at),
            SeekFrom::Current(by) => i128::from(self.at) + i128::from(by),
            SeekFrom::End(by) => i128::from(self.len) + i128::from(by),
        };
        let target = u64::try_from(target)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.file
            .seek(SeekFrom::Start(self.start.saturating_add(target)))?;
        self.at = target;
        Ok(target)
    }
}

/// A [`Read`] over chunks sent from async code (the engine's stream), for tar code on a blocking thread.
pub(super) struct ChunkReader<B> {
    chunks: mpsc::Receiver<io::Result<B>>,
    current: Option<B>,
    at: usize,
}

impl<B> ChunkReader<B> {
    pub(super) fn new(chunks: mpsc::Receiver<io::Result<B>>) -> ChunkReader<B> {
        ChunkReader {
            chunks,
            current: None,
            at: 0,
        }
    }
}

impl<B: AsRef<[u8]>> Read for ChunkReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(chunk) = &self.current {
                let bytes = chunk.as_ref();
                if self.at < bytes.len() {
                    let n = (bytes.len() - self.at).min(buf.len());
                    buf[..n].copy_from_slice(&bytes[self.at..self.at + n]);
                    self.at += n;
                    return Ok(n);
                }
            }
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.current = Some(chunk);
                    self.at = 0;
                }
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
    }
}

/// A [`Write`] that sends chunks of [`CHUNK`] bytes to async code (the request body of a load, of a checkout's
/// upload).
pub(crate) struct ChunkWriter {
    chunks: mpsc::Sender<io::Result<Vec<u8>>>,
    buffer: Vec<u8>,
}

impl ChunkWriter {
    pub(crate) fn new(chunks: mpsc::Sender<io::Result<Vec<u8>>>) -> ChunkWriter {
        ChunkWriter {
            chunks,
            buffer: Vec::with_capacity(CHUNK),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the engine stopped reading"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        let n = buf.len().min(CHUNK - self.buffer.len());
        self.buffer.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
