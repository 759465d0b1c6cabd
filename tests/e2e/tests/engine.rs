//! End-to-end: the window shows the real engine, follows containers started outside the app, and shows an
//! unreachable engine with the address it tried and a Retry, recovering when the engine comes back.

use anyhow::Result;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder};
use sbx_e2e::{App, Launch, docker, test_image};
use std::time::Duration;

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn window_shows_the_real_engine_and_live_containers() -> Result<()> {
    let docker = docker().await?;
    let version = docker.version().await?.version.unwrap_or_default();
    assert!(!version.is_empty());

    let app = App::launch().await?;
    // The sidebar's foot names the connected engine's real server version.
    app.wait_for_text(&format!("Docker {version}"), Duration::from_secs(20))
        .await?;
    app.screenshot("sandboxes").await?;

    app.wait_for_css(".engine-link", Duration::from_secs(20))
        .await?
        .click()
        .await?;
    let shown = app
        .wait_for_css(".engine-server-version", Duration::from_secs(10))
        .await?
        .text()
        .await?;
    assert_eq!(shown, version);

    // A container started outside the app appears without a refresh, and goes when removed.
    let name = format!("e2e-outside-{}", std::process::id());
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    let body = ContainerCreateBody {
        image: Some(test_image()),
        cmd: Some(vec!["sleep".into(), "300".into()]),
        ..Default::default()
    };
    docker.create_container(Some(options), body).await?;
    docker.start_container(&name, None).await?;
    let appeared = app.wait_for_text(&name, Duration::from_secs(15)).await;
    app.screenshot("engine").await?;
    docker
        .remove_container(
            &name,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await?;
    appeared?;
    app.wait_for_no_text(&name, Duration::from_secs(15)).await?;
    app.close().await
}

#[tokio::test]
#[ignore = "needs the built app, a display and tauri-driver: run through `cargo xtask test`"]
async fn unreachable_engine_shows_address_and_retry_then_recovers() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let socket = dir.path().join("engine.sock");
    let address = format!("unix://{}", socket.display());
    let app = App::launch_with(Launch {
        env: vec![("DOCKER_HOST".into(), address.clone())],
        ..Launch::default()
    })
    .await?;
    app.wait_for_text("engine unreachable", Duration::from_secs(20))
        .await?;
    app.wait_for_text(&address, Duration::from_secs(5)).await?;
    app.by_label("Retry").await?;
    app.screenshot("engine-unreachable").await?;

    // The engine "comes back": a proxy to the real engine starts listening on that address.
    let listener = tokio::net::UnixListener::bind(&socket)?;
    let real = std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|h| h.strip_prefix("unix://").map(str::to_string))
        .unwrap_or_else(|| "/var/run/docker.sock".to_string());
    let proxy = tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let real = real.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::UnixStream::connect(&real).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    let version = docker().await?.version().await?.version.unwrap_or_default();
    app.click_label("Retry").await?;
    app.wait_for_text(&format!("Docker {version}"), Duration::from_secs(20))
        .await?;
    app.wait_for_no_text("engine unreachable", Duration::from_secs(5))
        .await?;
    app.close().await?;
    proxy.abort();
    Ok(())
}
