//! Helper containers and files in and out of containers. A helper is a short-lived container of an image, labelled
//! with the job using it so recovery removes it when the job dies: either stopped (entrypoint `/bin/sh`, never
//! started) for moving files in or out of that image through the API, or run ([`Engine::run_helper`]: a shell
//! script, no network, named volumes mounted) so that files move between a volume and the helper's own filesystem
//! inside the engine — the capture's workspace copy, a volume filled from an image — without passing through the
//! app. A held helper ([`Engine::hold_helper`]) runs its script, then waits on an input the app holds open, to be
//! committed; once that input closes it ends and the engine removes it, so nobody waits for that removal. Tar
//! archives go into any container at a path as a stream with back-pressure, and a path comes out of one as a tar
//! stream.

use bollard::container::AttachContainerResults;
use bollard::models::{ContainerCreateBody, HostConfig, Mount as DockerMount, MountType};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder,
    DownloadFromContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt};

use super::{ByteStream, Engine, LogOptions, NewContainer};
use crate::labels;
use crate::{Error, Result};

/// A named volume mounted into a run helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperMount<'a> {
    /// The volume's name.
    pub volume: &'a str,
    /// Where it appears in the helper.
    pub target: &'a str,
    /// Mounted read-only.
    pub read_only: bool,
}

/// A helper that ran to its end: still there (to be committed, or removed by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperRun {
    /// The helper's id.
    pub id: String,
    /// The script's exit code.
    pub exit_code: i64,
    /// The last lines it printed.
    pub output: String,
}

/// A held helper whose script succeeded and that now waits (see [`Engine::hold_helper`]).
pub struct HeldHelper {
    /// The helper's id.
    pub id: String,
    /// Its attached output and input: while they are open the helper waits; closed, it ends and the engine
    /// removes it. (In a mutex, never contended, because the halves are `Send` but not `Sync`, and a capture holds
    /// a `&HeldHelper` across its awaits.)
    attached: std::sync::Mutex<Option<(AttachedOutput, AttachedInput)>>,
}

type AttachedOutput = std::pin::Pin<
    Box<
        dyn Stream<
                Item = std::result::Result<bollard::container::LogOutput, bollard::errors::Error>,
            > + Send,
    >,
>;
type AttachedInput = std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>;

impl std::fmt::Debug for HeldHelper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldHelper").field("id", &self.id).finish()
    }
}

impl HeldHelper {
    /// Close its input: the helper ends and the engine removes it, without the caller waiting for that. A task
    /// removes it by force if it has not gone within [`HELPER_END`] (while the process lives; else recovery does).
    pub(crate) fn release(&self, engine: &Engine) {
        self.close_input();
        let (engine, id) = (engine.clone(), self.id.clone());
        tokio::spawn(async move { engine.gone_or_removed(&id).await });
    }

    /// Close its input and wait until the engine has removed it (or it is removed by force when it does not end).
    pub(crate) async fn end(&self, engine: &Engine) {
        self.close_input();
        engine.gone_or_removed(&self.id).await;
    }

    fn close_input(&self) {
        self.attached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }
}

/// How long a released helper may take to end and be removed before it is removed by force.
const HELPER_END: std::time::Duration = std::time::Duration::from_secs(30);

/// How long a held helper's script may run (a copy of a large workspace on a slow disk takes minutes).
const HOLD_LIMIT: std::time::Duration = std::time::Duration::from_secs(30 * 60);

impl Engine {
    /// Wait for the released helper `id` to be removed by the engine; past [`HELPER_END`], remove it by force and
    /// wait for that.
    async fn gone_or_removed(&self, id: &str) {
        if !self.wait_removed(id, HELPER_END).await {
            self.remove_helper(id).await;
            self.wait_removed(id, HELPER_END).await;
        }
    }
}

/// What [`Engine::hold_helper`] came to.
#[derive(Debug)]
pub enum Held {
    /// The script succeeded and the helper waits.
    Waiting(HeldHelper),
    /// The script failed (or the helper ended without saying how: `-1`); the helper is gone or going.
    Ended {
        /// The script's exit code.
        exit_code: i64,
        /// The last lines it printed.
        output: String,
    },
}

/// The last [`OutputTail::LINES`] lines a helper printed, each cut to [`OutputTail::WIDTH`] characters.
#[derive(Debug, Default)]
struct OutputTail(std::collections::VecDeque<String>);

impl OutputTail {
    const LINES: usize = 20;
    const WIDTH: usize = 500;

    /// Keep `line` (blank lines are left out).
    fn push(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        if self.0.len() == Self::LINES {
            self.0.pop_front();
        }
        self.0.push_back(line.chars().take(Self::WIDTH).collect());
    }

    fn text(&self) -> String {
        let lines: Vec<&str> = self.0.iter().map(String::as_str).collect();
        lines.join("\n").trim_end().to_string()
    }
}

/// Whole lines out of chunks that may cut them anywhere (the engine's frames follow its reads, not lines); a line
/// longer than [`LineBuffer::LIMIT`] bytes is cut there, so a script printing without newlines holds no more.
#[derive(Debug, Default)]
struct LineBuffer(Vec<u8>);

impl LineBuffer {
    const LIMIT: usize = 64 * 1024;

    /// The lines `chunk` completes.
    fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &byte in chunk {
            if byte == b'\n' || self.0.len() == Self::LIMIT {
                lines.push(String::from_utf8_lossy(&self.0).into_owned());
                self.0.clear();
            }
            if byte != b'\n' {
                self.0.push(byte);
            }
        }
        lines
    }
}

/// The exit code in the line a held helper's wrapper prints (`sbx-helper: exit CODE WORD`), if `line` is it.
fn exit_word(line: &str, word: &str) -> Option<i64> {
    let rest = line.trim_end().strip_prefix("sbx-helper: exit ")?;
    let (code, said) = rest.split_once(' ')?;
    (said == word).then(|| code.parse().ok()).flatten()
}

/// Whose helper a helper container is, for its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelperOf<'a> {
    /// The data dir's instance id.
    pub instance: &'a str,
    /// The job using it.
    pub job: &'a str,
    /// The snapshot it works on, if any.
    pub snapshot: Option<&'a str>,
}

impl Engine {
    /// A helper container of `image` (see the module documentation); its id.
    pub(crate) async fn create_helper(&self, image: &str, of: HelperOf<'_>) -> Result<String> {
        let helper = NewContainer {
            image: image.to_string(),
            entrypoint: vec!["/bin/sh".into()],
            labels: helper_labels(of),
            ..Default::default()
        };
        self.create_container(&helper).await?.map_err(|taken| {
            Error::Other(format!(
                "creating a helper container of {image}: {}",
                taken.message
            ))
        })
    }

    /// Remove a helper container. Best effort: recovery removes one that stayed.
    pub(crate) async fn remove_helper(&self, id: &str) {
        if let Ok(docker) = self.client().await {
            let _ = docker
                .remove_container(
                    id,
                    Some(RemoveContainerOptionsBuilder::default().force(true).build()),
                )
                .await;
        }
    }

    /// A helper of `image` that runs `/bin/sh -c script sbx-helper ARGS…` as root, with no network and `mounts`,
    /// until it ends. It is left in place for the caller to commit or remove; when it cannot be run it is removed.
    pub(crate) async fn run_helper(
        &self,
        image: &str,
        of: HelperOf<'_>,
        mounts: &[HelperMount<'_>],
        script: &str,
        args: &[&str],
    ) -> Result<HelperRun> {
        let id = self
            .create_run_helper(image, helper_body(image, of, mounts, script, args))
            .await?;
        match self.run_to_end(&id).await {
            Ok(exit_code) => {
                let output = self.log_tail(&id, 20).await;
                Ok(HelperRun {
                    id,
                    exit_code,
                    output,
                })
            }
            Err(error) => {
                self.remove_helper(&id).await;
                Err(error)
            }
        }
    }

    /// A helper like [`Engine::run_helper`]'s that, once its script succeeds, waits on its standard input instead of
    /// ending: it can be committed while it waits, and the engine removes it once that input closes — when the
    /// [`HeldHelper`] is released or dropped, or the app ends — so no caller waits for the removal of the files the
    /// script wrote. A script that fails ends the helper (and the engine removes it) with its exit code and output.
    pub(crate) async fn hold_helper(
        &self,
        image: &str,
        of: HelperOf<'_>,
        mounts: &[HelperMount<'_>],
        script: &str,
        args: &[&str],
    ) -> Result<Held> {
        let docker = self.client().await?;
        // The script's exit code comes as a line of its own (after a newline, in case the script's output ended
        // without one) with a word made for this run, so the script's output does not pass for it by chance (the
        // image's own programs, which run the script, can read it: they only spoil that image's own work). The
        // script's errors come on the same stream, so before that line; its input is empty, not the held one.
        let word = uuid::Uuid::new_v4().simple().to_string();
        let wrapper = format!(
            "(\n{script}\n) </dev/null 2>&1\nrc=$?\necho\necho \"sbx-helper: exit $rc {word}\"\n\
             if [ \"$rc\" -eq 0 ]; then read -r _ || :; fi\nexit \"$rc\"\n"
        );
        let mut body = helper_body(image, of, mounts, &wrapper, args);
        body.open_stdin = Some(true);
        body.stdin_once = Some(true);
        body.attach_stdin = Some(true);
        body.attach_stdout = Some(true);
        body.attach_stderr = Some(true);
        if let Some(host) = body.host_config.as_mut() {
            host.auto_remove = Some(true);
        }
        let id = self.create_run_helper(image, body).await?;
        let attach = AttachContainerOptionsBuilder::default()
            .stream(true)
            .stdin(true)
            .stdout(true)
            .stderr(true)
            .build();
        let attached = match docker.attach_container(&id, Some(attach)).await {
            Ok(attached) => attached,
            Err(e) => {
                self.remove_helper(&id).await;
                return Err(self.fail(format!("attaching to helper container {id}"), e));
            }
        };
        if let Err(error) = self.start_container(&id).await {
            self.remove_helper(&id).await;
            return Err(error);
        }
        let AttachContainerResults { mut output, input } = attached;
        let mut said = OutputTail::default();
        let mut lines = LineBuffer::default();
        let heard = tokio::time::timeout(HOLD_LIMIT, async {
            while let Some(Ok(chunk)) = output.next().await {
                for line in lines.push(&chunk.into_bytes()) {
                    match exit_word(&line, &word) {
                        Some(code) => return Some(code),
                        None => said.push(&line),
                    }
                }
            }
            None
        })
        .await;
        match heard {
            Ok(Some(0)) => Ok(Held::Waiting(HeldHelper {
                id,
                attached: std::sync::Mutex::new(Some((output, input))),
            })),
            Ok(Some(code)) => Ok(Held::Ended {
                exit_code: code,
                output: said.text(),
            }),
            // Ended without saying how (killed, out of memory): gone, or going.
            Ok(None) => {
                self.remove_helper(&id).await;
                Ok(Held::Ended {
                    exit_code: -1,
                    output: said.text(),
                })
            }
            Err(_) => {
                self.remove_helper(&id).await;
                Err(Error::Other(format!(
                    "helper container {id} of {image} did not finish within {} minutes; removed it. Its last \
                     output: {}",
                    HOLD_LIMIT.as_secs() / 60,
                    said.text()
                )))
            }
        }
    }

    /// Create a run helper of `image` from `body`; its id.
    async fn create_run_helper(&self, image: &str, body: ContainerCreateBody) -> Result<String> {
        let docker = self.client().await?;
        let created = docker
            .create_container(Some(CreateContainerOptionsBuilder::default().build()), body)
            .await
            .map_err(|e| self.fail(format!("creating a helper container of {image}"), e))?;
        Ok(created.id)
    }

    /// Start a created container and wait until it ends; its exit code.
    async fn run_to_end(&self, id: &str) -> Result<i64> {
        self.start_container(id).await?;
        let docker = self.client().await?;
        let options = WaitContainerOptionsBuilder::default()
            .condition("not-running")
            .build();
        let mut waiting = docker.wait_container(id, Some(options));
        let mut code = 0;
        while let Some(item) = waiting.next().await {
            match item {
                Ok(answer) => code = answer.status_code,
                Err(bollard::errors::Error::DockerContainerWaitError { code: c, .. }) => code = c,
                Err(e) => return Err(self.fail(format!("waiting for container {id}"), e)),
            }
        }
        Ok(code)
    }

    /// The last `lines` lines a container printed (empty when they cannot be read).
    pub(crate) async fn log_tail(&self, id: &str, lines: u32) -> String {
        let read = LogOptions {
            tail: Some(lines),
            ..Default::default()
        };
        let mut text = String::new();
        if let Ok(mut stream) = self.logs(id, &read).await {
            while let Some(Ok(chunk)) = stream.next().await {
                text.push_str(&chunk);
            }
        }
        text.trim_end().to_string()
    }

    /// Fill the empty volume `volume` with what `image` has at `path`, inside the engine: a helper of the image
    /// with the volume mounted there (the engine copies the image's files into an empty volume when it is first
    /// mounted), run once and removed.
    pub(crate) async fn fill_volume(
        &self,
        image: &str,
        volume: &str,
        path: &str,
        of: HelperOf<'_>,
    ) -> Result<()> {
        let mount = HelperMount {
            volume,
            target: path,
            read_only: false,
        };
        let run = self.run_helper(image, of, &[mount], ":", &[]).await?;
        self.remove_helper(&run.id).await;
        if run.exit_code != 0 {
            return Err(Error::Other(format!(
                "filling volume {volume} from image {image} failed (exit code {}): {}",
                run.exit_code, run.output
            )));
        }
        Ok(())
    }

    /// Unpack the tar coming from `archive` into `container` (created or running) at the folder `path`, as it
    /// comes: the engine reads the stream as fast as it unpacks it, so no more than the stream's chunks in flight
    /// are held.
    pub(crate) async fn upload_stream(
        &self,
        container: &str,
        path: &str,
        archive: impl Stream<Item = std::io::Result<Vec<u8>>> + Send + 'static,
    ) -> Result<()> {
        let docker = self.client().await?;
        let options = UploadToContainerOptionsBuilder::default()
            .path(path)
            .build();
        let body = bollard::body_try_stream(archive.map(|chunk| chunk.map(Into::into)));
        docker
            .upload_to_container(container, Some(options), body)
            .await
            .map_err(|e| {
                self.fail(
                    format!("copying files into container {container} at {path}"),
                    e,
                )
            })
    }

    /// The file or folder `path` of `container` as a tar stream.
    pub(crate) async fn download(&self, container: &str, path: &str) -> Result<ByteStream> {
        let docker = self.client().await?;
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let engine = self.clone();
        let doing = format!("copying {path} out of container {container}");
        let stream = docker
            .download_from_container(container, Some(options))
            .map(move |chunk| {
                chunk
                    .map(Vec::from)
                    .map_err(|e| engine.fail(doing.clone(), e))
            });
        Ok(Box::pin(stream))
    }
}

/// A run helper's container: `image` running `/bin/sh -c script sbx-helper ARGS…` as root, no network, `mounts`.
fn helper_body(
    image: &str,
    of: HelperOf<'_>,
    mounts: &[HelperMount<'_>],
    script: &str,
    args: &[&str],
) -> ContainerCreateBody {
    let mut entrypoint = vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        script.to_string(),
        "sbx-helper".to_string(),
    ];
    entrypoint.extend(args.iter().map(|a| a.to_string()));
    ContainerCreateBody {
        image: Some(image.to_string()),
        entrypoint: Some(entrypoint),
        cmd: Some(Vec::new()),
        user: Some("0:0".to_string()),
        network_disabled: Some(true),
        labels: Some(helper_labels(of)),
        host_config: Some(HostConfig {
            network_mode: Some("none".to_string()),
            mounts: Some(
                mounts
                    .iter()
                    .map(|m| DockerMount {
                        target: Some(m.target.to_string()),
                        source: Some(m.volume.to_string()),
                        typ: Some(MountType::VOLUME),
                        read_only: Some(m.read_only),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The labels of a helper: the app's, the job using it and the snapshot it works on.
fn helper_labels(of: HelperOf<'_>) -> std::collections::HashMap<String, String> {
    let mut map = labels::base(of.instance, labels::KIND_HELPER);
    map.insert(labels::JOB.into(), of.job.to_string());
    if let Some(id) = of.snapshot {
        map.insert(labels::ID.into(), id.to_string());
    }
    map
}

#[cfg(test)]
mod tests {
    //! Held helpers against the real engine (the test image of `cargo xtask test`), and the exit line's parsing.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::engine::images::Commit;
    use std::time::Duration;

    fn test_image() -> String {
        std::env::var("SBX_TEST_IMAGE")
            .unwrap_or_else(|_| "sandbox-desktop-test/busybox:latest".into())
    }

    /// A data dir id of its own, so the purge at the end removes only what this test made.
    fn instance() -> String {
        format!("helpers-{}", uuid::Uuid::new_v4().simple())
    }

    fn of(instance: &str) -> HelperOf<'_> {
        HelperOf {
            instance,
            job: "test-job",
            snapshot: None,
        }
    }

    /// Whether every container of `instance` is gone within `limit`.
    async fn gone_within(engine: &Engine, instance: &str, limit: Duration) -> bool {
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if engine.labelled(instance).await.unwrap().0.is_empty() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    /// [`Engine::hold_helper`] of the test image, for data dir `instance`.
    async fn hold(
        engine: &Engine,
        instance: &str,
        mounts: &[HelperMount<'_>],
        script: &str,
        args: &[&str],
    ) -> Held {
        engine
            .hold_helper(&test_image(), of(instance), mounts, script, args)
            .await
            .unwrap()
    }

    async fn exists(engine: &Engine, id: &str) -> bool {
        engine.inspect_container(id).await.unwrap().is_some()
    }

    #[test]
    fn only_the_line_with_this_runs_word_is_the_exit_line() {
        assert_eq!(exit_word("sbx-helper: exit 0 abc", "abc"), Some(0));
        assert_eq!(exit_word("sbx-helper: exit 127 abc\r", "abc"), Some(127));
        assert_eq!(exit_word("sbx-helper: exit 0 abd", "abc"), None);
        assert_eq!(exit_word("sbx-helper: exit 0", "abc"), None);
        assert_eq!(exit_word("  sbx-helper: exit 0 abc", "abc"), None);
        assert_eq!(exit_word("sbx-helper: exit x abc", "abc"), None);
    }

    #[test]
    fn lines_cut_across_chunks_come_out_whole_and_long_ones_are_cut() {
        let mut lines = LineBuffer::default();
        assert!(lines.push(b"out\nsbx-helper: ex").len() == 1);
        assert_eq!(lines.push(b"it 0 w"), Vec::<String>::new());
        assert_eq!(
            lines.push(b"ord\r\nnext"),
            vec!["sbx-helper: exit 0 word\r".to_string()]
        );
        assert_eq!(exit_word("sbx-helper: exit 0 word\r", "word"), Some(0));
        let long = vec![b'x'; LineBuffer::LIMIT * 2 + 10];
        let cut = lines.push(&long);
        assert_eq!(cut.len(), 2);
        assert!(cut.iter().all(|l| l.len() == LineBuffer::LIMIT));
        assert_eq!(lines.0.len(), 14, "the rest waits for its newline");
    }

    #[test]
    fn the_output_tail_keeps_the_last_lines_cut_short() {
        let mut tail = OutputTail::default();
        for i in 0..100 {
            tail.push(&format!("line {i}"));
        }
        tail.push(&"x".repeat(10_000));
        let text = tail.text();
        assert_eq!(text.lines().count(), OutputTail::LINES);
        assert!(text.starts_with("line 81\n"), "{text}");
        assert_eq!(text.lines().last().unwrap().len(), OutputTail::WIDTH);
    }

    #[tokio::test]
    async fn a_held_helper_waits_until_released_and_the_engine_removes_it() {
        let engine = Engine::from_env();
        let instance = instance();
        let held = hold(
            &engine,
            &instance,
            &[],
            "echo \"$1\" > /made\necho copied",
            &["from the script"],
        )
        .await;
        let Held::Waiting(helper) = held else {
            panic!("the script succeeded, yet the helper ended: {held:?}");
        };
        // It waits: still there a while later, and what its script wrote can be committed.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(exists(&engine, &helper.id).await, "the held helper is gone");
        let tag = uuid::Uuid::new_v4().simple().to_string();
        engine
            .commit(Commit {
                container: &helper.id,
                repo: "sandbox-desktop-test/held",
                tag: &tag,
                comment: None,
                labels: labels::base(&instance, labels::KIND_HELPER),
            })
            .await
            .unwrap();
        helper.release(&engine);
        assert!(
            engine
                .wait_removed(&helper.id, Duration::from_secs(20))
                .await,
            "a released helper is removed by the engine"
        );
        let image = format!("sandbox-desktop-test/held:{tag}");
        let run = engine
            .run_helper(&image, of(&instance), &[], "cat /made", &[])
            .await
            .unwrap();
        engine.remove_helper(&run.id).await;
        assert_eq!(run.output, "from the script");
        engine.purge_instance(&instance).await.unwrap();
    }

    #[tokio::test]
    async fn a_volume_a_released_helper_mounted_can_be_removed_at_once() {
        // The engine takes a while to remove a helper that wrote many files; the volume waits for it.
        let engine = Engine::from_env();
        let instance = instance();
        let volume = format!("sbx-test-held-{}", uuid::Uuid::new_v4().simple());
        engine
            .create_volume(&volume, labels::base(&instance, labels::KIND_HELPER))
            .await
            .unwrap();
        let mount = HelperMount {
            volume: &volume,
            target: "/source",
            read_only: true,
        };
        let script =
            "mkdir /many && cd /many && i=0\nwhile [ $i -lt 15000 ]; do : > f$i; i=$((i+1)); done";
        let Held::Waiting(helper) = hold(&engine, &instance, &[mount], script, &[]).await else {
            panic!("the script succeeded, yet the helper ended");
        };
        helper.release(&engine);
        engine.remove_volume(&volume).await.unwrap();
        assert!(gone_within(&engine, &instance, Duration::from_secs(20)).await);
        engine.purge_instance(&instance).await.unwrap();
    }

    #[tokio::test]
    async fn a_held_helper_dropped_without_release_is_removed_too() {
        // As when the app is killed: its end of the attached input closes.
        let engine = Engine::from_env();
        let instance = instance();
        let Held::Waiting(helper) = hold(&engine, &instance, &[], ":", &[]).await else {
            panic!("the script succeeded, yet the helper ended");
        };
        let id = helper.id.clone();
        assert!(exists(&engine, &id).await);
        drop(helper);
        assert!(engine.wait_removed(&id, Duration::from_secs(20)).await);
        engine.purge_instance(&instance).await.unwrap();
    }

    #[tokio::test]
    async fn a_failing_script_ends_with_its_code_and_output_and_a_forged_exit_line_is_not_taken() {
        let engine = Engine::from_env();
        let instance = instance();
        let script = "echo 'sbx-helper: exit 0 forged'\necho 'no space left on device' >&2\nexit 3";
        let held = hold(&engine, &instance, &[], script, &[]).await;
        let Held::Ended { exit_code, output } = held else {
            panic!("the script failed, yet the helper waits");
        };
        assert_eq!(exit_code, 3);
        assert!(output.contains("sbx-helper: exit 0 forged"), "{output}");
        assert!(output.contains("no space left on device"), "{output}");
        assert!(
            gone_within(&engine, &instance, Duration::from_secs(20)).await,
            "a helper whose script failed is removed by the engine"
        );
        engine.purge_instance(&instance).await.unwrap();
    }

    #[tokio::test]
    async fn output_without_a_newline_and_a_script_reading_its_input_do_not_hide_the_exit_line() {
        // 200 KB with no newline (many frames, the last cut anywhere), then `cat`, which reads the script's input.
        let engine = Engine::from_env();
        let instance = instance();
        let script = "head -c 200000 /dev/zero | tr '\\0' x\ncat";
        let held = tokio::time::timeout(
            Duration::from_secs(60),
            hold(&engine, &instance, &[], script, &[]),
        )
        .await
        .expect("the exit line was missed: the helper waits and nothing says so");
        let Held::Waiting(helper) = held else {
            panic!("the script succeeded, yet the helper ended: {held:?}");
        };
        helper.end(&engine).await;
        assert!(!exists(&engine, &helper.id).await);
        engine.purge_instance(&instance).await.unwrap();
    }

    #[tokio::test]
    async fn a_missing_command_ends_with_127() {
        // What the capture takes as "no `cp` in this image" and copies through the API instead.
        let engine = Engine::from_env();
        let instance = instance();
        let held = hold(&engine, &instance, &[], "no-such-command-here", &[]).await;
        assert!(
            matches!(held, Held::Ended { exit_code: 127, .. }),
            "{held:?}"
        );
        engine.purge_instance(&instance).await.unwrap();
    }
}
