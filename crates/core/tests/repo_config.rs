//! A repository's `.amika/config.toml` services and its branches against the real Docker engine: services get URLs
//! on the host ports the sandbox actually got (reachable over 127.0.0.1), shown by the sandbox's view and explained
//! before creation; a branch that exists only as a remote-tracking branch is checked out; one that exists nowhere
//! is a clear error that creates nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestEnv, git, unique};
use sbx_api::{ApiError, GitChoice, Protocol, SandboxState, ServicePort, UrlScheme};
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// GET `/` from `url` (`http://127.0.0.1:PORT`) and return the whole answer.
fn http_get(url: &str) -> String {
    let address = url.strip_prefix("http://").expect("an http URL");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// The host port the engine published `container_port/tcp` on, read from the container itself.
async fn published_host_port(container: &str, container_port: u16) -> u16 {
    let docker = bollard::Docker::connect_with_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let inspect = docker
        .inspect_container(
            container,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .unwrap();
    let ports = inspect.network_settings.unwrap().ports.unwrap();
    let bindings = ports[&format!("{container_port}/tcp")].clone().unwrap();
    bindings[0].host_port.as_deref().unwrap().parse().unwrap()
}

#[tokio::test]
async fn services_get_urls_on_the_host_ports_the_sandbox_got() {
    let env = TestEnv::new().await;
    let (web, api, admin, dns) = (
        free_tcp_port(),
        free_tcp_port(),
        free_tcp_port(),
        free_udp_port(),
    );
    let config = format!(
        "[services.web]\nport = {web}\nurl_scheme = \"http\"\n\n\
         [services.app]\nports = [{api}, \"{admin}/tcp\", \"{dns}/udp\"]\n\
         url_scheme = [\n  {{ port = {api}, scheme = \"http\" }},\n  {{ port = \"{admin}/tcp\", scheme = \"https\" }},\n]\n\n\
         [services.docs]\n"
    );
    let repo = env.git_repo(
        "Served",
        &[
            ("www/index.html", "served from the repository\n"),
            (".amika/config.toml", &config),
        ],
    );
    let name = unique("svc");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());

    // The api port is taken on the host while the sandbox is planned and created: the engine picks another.
    let holder = TcpListener::bind(("127.0.0.1", api)).unwrap();
    let explanation = env.core.explain_config(&request).await.unwrap();
    let explained = |key: &str| {
        explanation
            .values
            .iter()
            .find(|v| v.field == key)
            .map(|v| (v.value.clone(), v.source.clone()))
            .unwrap_or_else(|| panic!("{key} not explained: {:?}", explanation.values))
    };
    assert_eq!(
        explained("services.web"),
        (
            format!("http://127.0.0.1:{web}"),
            sbx_api::ValueSource::RepoConfig
        )
    );
    assert_eq!(
        explained("services.app").0,
        format!("{api}/tcp on a free host port, https://127.0.0.1:{admin}, 127.0.0.1:{dns}/udp")
    );
    assert_eq!(explained("services.docs").0, "no ports (metadata only)");
    assert!(
        explanation.warnings.iter().any(|w| w.contains(&format!(
            "host port {api} of the repository's services is in use"
        ))),
        "{:?}",
        explanation.warnings
    );
    let created = env.create(request).await;
    drop(holder);
    assert_eq!(created.state, SandboxState::Running, "{created:?}");

    // The view reads the host port the engine published.
    let container = created.container_id.clone().unwrap();
    let api_host = published_host_port(&container, api).await;
    assert_ne!(api_host, api);
    let sandbox = env.core.get_sandbox(&name).await.unwrap();
    let names: Vec<&str> = sandbox.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["web", "app", "docs"]);
    let published = |port: u16, protocol, scheme, host: u16, url: Option<String>| ServicePort {
        container_port: port,
        protocol,
        scheme,
        host_port: Some(host),
        url,
    };
    assert_eq!(
        sandbox.services[0].ports,
        [published(
            web,
            Protocol::Tcp,
            Some(UrlScheme::Http),
            web,
            Some(format!("http://127.0.0.1:{web}"))
        )]
    );
    assert_eq!(
        sandbox.services[1].ports,
        [
            published(
                api,
                Protocol::Tcp,
                Some(UrlScheme::Http),
                api_host,
                Some(format!("http://127.0.0.1:{api_host}"))
            ),
            published(
                admin,
                Protocol::Tcp,
                Some(UrlScheme::Https),
                admin,
                Some(format!("https://127.0.0.1:{admin}"))
            ),
            published(dns, Protocol::Udp, None, dns, None),
        ]
    );
    assert!(sandbox.services[2].ports.is_empty());

    // Both http URLs answer over 127.0.0.1 once something serves in the sandbox.
    let (code, _, err) = env
        .sh(
            &name,
            &format!("httpd -p {web} -h www && httpd -p {api} -h www"),
        )
        .await;
    assert_eq!(code, 0, "{err}");
    for url in [
        sandbox.services[0].ports[0].url.clone().unwrap(),
        sandbox.services[1].ports[0].url.clone().unwrap(),
    ] {
        let answer = http_get(&url);
        assert!(
            answer.contains("served from the repository"),
            "{url}: {answer}"
        );
    }

    // Records made before services existed still load, with none.
    let mut old = serde_json::to_value(&sandbox).unwrap();
    old.as_object_mut().unwrap().remove("services");
    let old: sbx_api::Sandbox = serde_json::from_value(old).unwrap();
    assert!(old.services.is_empty());
}

#[tokio::test]
async fn a_remote_tracking_branch_is_checked_out_and_a_missing_one_creates_nothing() {
    let env = TestEnv::new().await;
    let upstream = env.git_repo("upstream", &[("a.txt", "main\n")]);
    git(&upstream, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(upstream.join("a.txt"), "feature\n").unwrap();
    git(&upstream, &["commit", "-q", "-am", "feature"]);
    git(&upstream, &["checkout", "-q", "main"]);
    // A clone of it: `feature` exists there only as the remote-tracking branch origin/feature.
    let repos = upstream.parent().unwrap();
    git(repos, &["clone", "-q", "upstream", "Hello-World"]);
    let repo = repos.join("Hello-World");

    let name = unique("tracking");
    let mut request = env.request(&name);
    request.git = GitChoice::Source(repo.display().to_string());
    request.branch = Some("feature".into());
    let sandbox = env.create(request).await;
    assert_eq!(sandbox.state, SandboxState::Running, "{sandbox:?}");
    assert_eq!(
        sandbox.repo.as_ref().and_then(|r| r.branch.as_deref()),
        Some("feature")
    );
    let (code, out, _) = env.sh(&name, "cat a.txt; cat .git/HEAD").await;
    assert_eq!(code, 0);
    assert_eq!(out, "feature\nref: refs/heads/feature\n");

    // A branch that exists nowhere: a clear error naming the close ones, and nothing made.
    let before = env.engine_objects().await;
    let mut request = env.request(&unique("nowhere"));
    request.git = GitChoice::Source(repo.display().to_string());
    request.branch = Some("featuer".into());
    let error = ApiError::from(env.core.create_sandbox(&request).await.unwrap_err());
    let ApiError::InvalidInput {
        field,
        value,
        message,
    } = &error
    else {
        panic!("expected invalid input, got {error:?}");
    };
    assert_eq!(field.to_string(), "branch");
    assert_eq!(value, "featuer");
    assert!(
        message
            .ends_with("neither as a branch nor as a remote-tracking branch; close names: feature"),
        "{message}"
    );
    assert_eq!(env.engine_objects().await, before, "nothing may be created");
    let names = env.sandbox_names().await;
    assert_eq!(names, [name]);
    assert!(env.scratch_is_empty(), "scratch left behind");
}
