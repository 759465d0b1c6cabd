//! Chains that never break (SPEC B3), against the real engine: 150 generations of snapshot → restore → snapshot,
//! each writing a file into the workspace and one into the container's own filesystem. The engine refuses images
//! past 125 layers and each generation adds two, so the chain only survives because captures nearing the limit
//! are flattened into one layer — with configuration, labels and workspace intact, and the record saying so.
//!
//! Alone in its test binary, so it runs once and with the machine to itself (it takes minutes).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, unique};
use sbx_api::{
    CreateSnapshotRequest, GitChoice, LineageKind, RestoreSnapshotRequest, SandboxState,
    SnapshotMode, SnapshotStatus,
};
use sbx_core::snapshot::image::FLATTEN_ABOVE;
use std::time::Instant;

/// Generations of the chain.
const GENERATIONS: usize = 150;

#[tokio::test]
async fn a_chain_of_150_generations_never_breaks() {
    let started = Instant::now();
    let env = TestEnv::new().await;
    let docker = common::docker().await;
    let repo = env.git_repo(&unique("chain"), &[("README.md", "chain\n")]);
    let repo_name = repo.file_name().unwrap().to_string_lossy().to_string();
    let workspace = format!("/home/amika/workspace/{repo_name}");
    let first = unique("gen0");
    let mut request = env.request(&first);
    request.git = GitChoice::Source(repo.display().to_string());
    request.env = vec!["CHAIN_VAR=kept through every generation".into()];
    let mut sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");

    let mut flattened = Vec::new();
    let mut snapshot_names = Vec::new();
    for generation in 1..=GENERATIONS {
        let (code, _, err) = env
            .sh(
                &sandbox.name,
                &format!("echo {generation} > {workspace}/gen-{generation} && echo {generation} > /root/gen-{generation}"),
            )
            .await;
        assert_eq!(code, 0, "generation {generation}: {err}");
        let name = format!("chain-{generation}-{}", &sandbox.id[..6]);
        let snapshot = env
            .core
            .create_snapshot(&CreateSnapshotRequest {
                sandbox: sandbox.name.clone(),
                name: name.clone(),
                mode: SnapshotMode::Full,
                quick: true,
                wait: true,
            })
            .await
            .unwrap();
        assert_eq!(
            snapshot.status,
            SnapshotStatus::Active,
            "generation {generation}: {:?}",
            snapshot.failure_reason
        );
        let image = snapshot.image.clone().unwrap();
        let inspect = docker.inspect_image(&image).await.unwrap();
        let layers = inspect.root_fs.unwrap().layers.unwrap().len();
        assert!(
            layers <= FLATTEN_ABOVE + 2,
            "generation {generation}: {layers} layers"
        );
        if layers == 1 {
            flattened.push(name.clone());
        }
        snapshot_names.push(name.clone());
        let previous = sandbox.name.clone();
        sandbox = env
            .core
            .restore_snapshot(&RestoreSnapshotRequest {
                snapshot: name,
                name: Some(format!("gen{generation}-{}", &sandbox.id[..6])),
                no_setup: true,
                wait_for_ready: true,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            sandbox.state,
            SandboxState::Running,
            "generation {generation}: {sandbox:?}"
        );
        env.core.delete_sandbox(&previous, true).await.unwrap();
        if generation % 25 == 0 {
            eprintln!(
                "generation {generation}: {layers} layers, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }

    // The last sandbox holds a file from every generation, in its workspace and in its own filesystem.
    let (code, out, err) = env
        .sh(
            &sandbox.name,
            &format!(
                "cd {workspace} && cat README.md && ls gen-* | wc -l && cat /root/gen-* | wc -l && \
                 cat gen-1 gen-{GENERATIONS} && echo \"$CHAIN_VAR\" && pwd"
            ),
        )
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "chain",
            &GENERATIONS.to_string(),
            &GENERATIONS.to_string(),
            "1",
            &GENERATIONS.to_string(),
            "kept through every generation",
            workspace.as_str(),
        ]
    );

    // Flattenings happened (each generation adds two layers) and their records say so.
    assert!(
        flattened.len() >= 2,
        "flattened: {flattened:?} of {snapshot_names:?}"
    );
    for name in &flattened {
        let lineage = env.core.snapshot_lineage(name).await.unwrap();
        let node = lineage
            .nodes
            .iter()
            .find(|n| n.kind == LineageKind::Snapshot && n.name == *name)
            .unwrap();
        assert!(node.flattened, "{node:?}");
        assert_eq!(node.layers, Some(1));
    }
    // A flattened image keeps the configuration and the labels the app reads.
    let record = env.core.get_snapshot(&flattened[0]).await.unwrap();
    let config = docker
        .inspect_image(record.image.as_deref().unwrap())
        .await
        .unwrap()
        .config
        .unwrap();
    let labels = config.labels.unwrap();
    assert_eq!(
        labels.get(sbx_core::labels::ID).map(String::as_str),
        Some(record.id.as_str())
    );
    assert!(labels.contains_key(sbx_core::labels::RECORD));
    assert!(
        config
            .env
            .unwrap()
            .contains(&"CHAIN_VAR=kept through every generation".to_string())
    );
    assert_eq!(config.entrypoint.unwrap()[0], "/bin/sh");
    assert_eq!(config.working_dir.as_deref(), Some(workspace.as_str()));

    // The lineage of the last snapshot runs from the first sandbox through every generation.
    let lineage = env
        .core
        .snapshot_lineage(snapshot_names.last().unwrap())
        .await
        .unwrap();
    assert_eq!(lineage.nodes.len(), 2 * GENERATIONS + 1);
    assert_eq!(lineage.nodes[0].name, first);
    assert!(!lineage.nodes[0].exists, "the first sandbox was deleted");
    assert_eq!(
        lineage.nodes.last().unwrap().depth as usize,
        2 * GENERATIONS
    );
    eprintln!(
        "{GENERATIONS} generations in {:.0} s; flattened: {flattened:?}",
        started.elapsed().as_secs_f64()
    );

    // Removing the data dir's objects takes the whole chain, made faster than the engine's one-second creation
    // times can order, children before parents.
    let instance = env.core.paths().instance().to_string();
    sbx_core::Engine::from_env()
        .purge_instance(&instance)
        .await
        .unwrap();
    let (containers, volumes, images) = sbx_core::Engine::from_env()
        .labelled(&instance)
        .await
        .unwrap();
    assert_eq!(
        (containers.len(), volumes.len(), images.len()),
        (0, 0, 0),
        "left after the purge: {containers:?} {volumes:?} {images:?}"
    );
}
