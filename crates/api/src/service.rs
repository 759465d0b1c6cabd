//! Services a repository declares in `.amika/config.toml` (`[services.NAME]`): their ports, how a browser reaches
//! them (`url_scheme`), and, on a sandbox's view, where the engine published them and the URL that opens them.

use serde::{Deserialize, Serialize};

use crate::{PortBinding, Protocol, Sandbox};

/// How a service's port is opened in a browser: `url_scheme = "http"` or `"https"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UrlScheme {
    /// `http://`.
    Http,
    /// `https://`.
    Https,
}

impl UrlScheme {
    /// `http` or `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            UrlScheme::Http => "http",
            UrlScheme::Https => "https",
        }
    }

    /// The scheme a word names (`http` or `https`, as written: no other case or spelling).
    pub fn parse(word: &str) -> Option<UrlScheme> {
        match word {
            "http" => Some(UrlScheme::Http),
            "https" => Some(UrlScheme::Https),
            _ => None,
        }
    }
}

/// One port of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePort {
    /// The port inside the sandbox.
    pub container_port: u16,
    /// TCP or UDP.
    pub protocol: Protocol,
    /// How it is opened in a browser; `None`: it has no URL.
    #[serde(default)]
    pub scheme: Option<UrlScheme>,
    /// The host port the engine published it on, when known (a sandbox's view only; a record holds none).
    #[serde(default)]
    pub host_port: Option<u16>,
    /// `SCHEME://127.0.0.1:HOSTPORT`: a TCP port with a scheme, published (a sandbox's view only).
    #[serde(default)]
    pub url: Option<String>,
}

impl ServicePort {
    /// A declared port, not yet published.
    pub fn declared(container_port: u16, protocol: Protocol, scheme: Option<UrlScheme>) -> Self {
        ServicePort {
            container_port,
            protocol,
            scheme,
            host_port: None,
            url: None,
        }
    }

    /// `8080/tcp`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol.as_str())
    }

    /// Fill in the host port and the URL from the sandbox's published ports (the first binding of this container
    /// port and protocol with a known host port); both are cleared when there is none.
    pub fn resolve(&mut self, published: &[PortBinding]) {
        let binding = published.iter().find(|p| {
            p.container_port == self.container_port
                && p.protocol == self.protocol
                && p.host_port != 0
        });
        self.host_port = binding.map(|p| p.host_port);
        self.url = match (binding, self.scheme, self.protocol) {
            (Some(binding), Some(scheme), Protocol::Tcp) => Some(format!(
                "{}://{}:{}",
                scheme.as_str(),
                reachable_host(&binding.host_ip),
                binding.host_port
            )),
            _ => None,
        };
    }

    /// What to show for it: the URL, else the host address (`127.0.0.1:5353/udp`), else the container port and
    /// that it is not published now.
    pub fn shown(&self) -> String {
        if let Some(url) = &self.url {
            return url.clone();
        }
        match self.host_port {
            Some(port) => match self.protocol {
                Protocol::Tcp => format!("127.0.0.1:{port}"),
                Protocol::Udp => format!("127.0.0.1:{port}/udp"),
            },
            None => format!("{} (not published now)", self.key()),
        }
    }
}

/// The address a URL names for a binding: the loopback address when the port is published on every address.
fn reachable_host(host_ip: &str) -> &str {
    match host_ip {
        "" | "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
        specific => specific,
    }
}

/// A service of the sandbox's repository: `[services.NAME]`, with its ports (none: metadata only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxService {
    /// The `NAME` of `[services.NAME]`.
    pub name: String,
    /// Its ports, in the file's order.
    #[serde(default)]
    pub ports: Vec<ServicePort>,
}

impl SandboxService {
    /// `web → http://127.0.0.1:8080`, `dns → 127.0.0.1:5353/udp`, `docs → no ports`: one line of text.
    pub fn shown(&self) -> String {
        if self.ports.is_empty() {
            return format!("{} → no ports", self.name);
        }
        let ports: Vec<String> = self.ports.iter().map(ServicePort::shown).collect();
        format!("{} → {}", self.name, ports.join(", "))
    }
}

impl Sandbox {
    /// Fill in each service port's host port and URL from [`Sandbox::ports`] (as the engine published them).
    pub fn resolve_service_urls(&mut self) {
        for service in &mut self.services {
            for port in &mut service.ports {
                port.resolve(&self.ports);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(ip: &str, host: u16, container: u16, protocol: Protocol) -> PortBinding {
        PortBinding {
            host_ip: ip.into(),
            host_port: host,
            container_port: container,
            protocol,
        }
    }

    #[test]
    fn urls_use_the_published_host_port_and_the_scheme() {
        let published = [
            binding("127.0.0.1", 18080, 8080, Protocol::Tcp),
            binding("0.0.0.0", 18443, 8443, Protocol::Tcp),
            binding("127.0.0.1", 5353, 53, Protocol::Udp),
            binding("127.0.0.1", 0, 9000, Protocol::Tcp),
        ];
        let mut web = ServicePort::declared(8080, Protocol::Tcp, Some(UrlScheme::Http));
        web.resolve(&published);
        assert_eq!(web.url.as_deref(), Some("http://127.0.0.1:18080"));
        let mut secure = ServicePort::declared(8443, Protocol::Tcp, Some(UrlScheme::Https));
        secure.resolve(&published);
        assert_eq!(secure.url.as_deref(), Some("https://127.0.0.1:18443"));

        // No scheme, or UDP: an address, no URL.
        let mut plain = ServicePort::declared(8080, Protocol::Tcp, None);
        plain.resolve(&published);
        assert_eq!((plain.host_port, plain.url.as_deref()), (Some(18080), None));
        assert_eq!(plain.shown(), "127.0.0.1:18080");
        let mut dns = ServicePort::declared(53, Protocol::Udp, Some(UrlScheme::Http));
        dns.resolve(&published);
        assert_eq!(dns.url, None);
        assert_eq!(dns.shown(), "127.0.0.1:5353/udp");

        // Not published now (any free port, container stopped), or not at all.
        for port in [9000, 7000] {
            let mut later = ServicePort::declared(port, Protocol::Tcp, Some(UrlScheme::Http));
            later.url = Some("stale".into());
            later.resolve(&published);
            assert_eq!((later.host_port, later.url.as_deref()), (None, None));
            assert_eq!(later.shown(), format!("{port}/tcp (not published now)"));
        }
    }

    #[test]
    fn services_are_shown_on_one_line() {
        let mut web = ServicePort::declared(8080, Protocol::Tcp, Some(UrlScheme::Http));
        web.resolve(&[binding("127.0.0.1", 8080, 8080, Protocol::Tcp)]);
        let service = SandboxService {
            name: "web".into(),
            ports: vec![web, ServicePort::declared(53, Protocol::Udp, None)],
        };
        assert_eq!(
            service.shown(),
            "web → http://127.0.0.1:8080, 53/udp (not published now)"
        );
        let docs = SandboxService {
            name: "docs".into(),
            ports: vec![],
        };
        assert_eq!(docs.shown(), "docs → no ports");
    }

    #[test]
    fn records_without_view_fields_load() {
        let port: ServicePort =
            serde_json::from_str(r#"{"container_port": 80, "protocol": "tcp"}"#).unwrap();
        assert_eq!(port, ServicePort::declared(80, Protocol::Tcp, None));
        let service: SandboxService = serde_json::from_str(r#"{"name": "docs"}"#).unwrap();
        assert!(service.ports.is_empty());
        assert_eq!(
            serde_json::to_value(UrlScheme::Https).unwrap(),
            serde_json::json!("https")
        );
    }
}
