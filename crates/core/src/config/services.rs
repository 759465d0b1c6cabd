//! `[services.NAME]` of `.amika/config.toml`, checked as the reference implementation (amika's `amikaconfig`)
//! checks it:
//!
//! - a service gives `port` (one port) or `ports` (a list), not both; with neither it is metadata only;
//! - a port is an integer (`8080`, TCP) or a string `"PORT/PROTOCOL"` with `tcp` or `udp` (`"8080"` alone is TCP
//!   too); never in the app's reserved range (S8);
//! - a container port and protocol appears once in a service and once across all services;
//! - `url_scheme` is `"http"` or `"https"` for a `port`, or a list of `{ port = N, scheme = "http" | "https" }`
//!   naming declared ports, each at most once (with `port`: that port, at most one entry). A string with `ports`,
//!   an undeclared port or a second entry for the same port is an error.
//!
//! Every error names the service's key, the offending value, and its line and column.

use super::reader::{Reader, in_file_order, line_column};
use crate::validate;
use sbx_api::{ApiError, PortBinding, Protocol, SandboxService, ServicePort, UrlScheme};
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

type Value<'t, 'i> = &'t Spanned<DeValue<'i>>;

/// The keys of one `[services.NAME]` table that mean something.
#[derive(Default)]
struct ServiceKeys<'t, 'i> {
    port: Option<Value<'t, 'i>>,
    ports: Option<Value<'t, 'i>>,
    url_scheme: Option<Value<'t, 'i>>,
}

/// A port declared by a service, with where it is written.
struct Declared {
    port: ServicePort,
    span: Range<usize>,
}

impl Reader<'_> {
    /// `[services]`: every service, checked on its own and against the ones before it.
    pub(super) fn services(&mut self, value: &Spanned<DeValue<'_>>) -> Result<(), ApiError> {
        let DeValue::Table(services) = value.get_ref() else {
            return Err(self.wrong_type(
                "services",
                value,
                "a table of services, each written [services.NAME]",
            ));
        };
        for (key, service) in in_file_order(services) {
            let name = key.get_ref().as_ref();
            let field = format!("services.{name}");
            let table = self.table(&field, service)?;
            let keys = self.service_keys(&field, table);
            let declared = self.service_ports(name, &keys)?;
            if keys.port.is_none() && keys.ports.is_none() {
                let (line, _) = line_column(self.text, key.span().start);
                self.config.warnings.push(format!(
                    "`{field}` in {} (line {line}) has no `port` or `ports` — nothing is published for it",
                    self.file.display()
                ));
            }
            let ports = self.with_schemes(name, &keys, declared)?;
            for port in &ports {
                self.config.ports.push(PortBinding {
                    host_ip: sbx_api::rules::DEFAULT_HOST_IP.to_string(),
                    host_port: port.container_port,
                    container_port: port.container_port,
                    protocol: port.protocol,
                });
            }
            self.config.services.push(SandboxService {
                name: name.to_string(),
                ports,
            });
        }
        Ok(())
    }

    /// The keys of a service table; unknown ones become warnings.
    fn service_keys<'t, 'i>(&mut self, field: &str, table: &'t DeTable<'i>) -> ServiceKeys<'t, 'i> {
        let mut keys = ServiceKeys::default();
        for (key, value) in in_file_order(table) {
            match key.get_ref().as_ref() {
                "port" => keys.port = Some(value),
                "ports" => keys.ports = Some(value),
                "url_scheme" => keys.url_scheme = Some(value),
                other => self.unknown(&format!("{field}.{other}"), key, value),
            }
        }
        keys
    }

    /// The ports of a service (`port` or `ports`), each once, none declared by an earlier service.
    fn service_ports(
        &self,
        name: &str,
        keys: &ServiceKeys<'_, '_>,
    ) -> Result<Vec<Declared>, ApiError> {
        let values: Vec<(&str, Value<'_, '_>)> = match (keys.port, keys.ports) {
            (Some(port), Some(ports)) => {
                let later = if port.span().start > ports.span().start {
                    port
                } else {
                    ports
                };
                return Err(self.error(
                    &format!("services.{name}"),
                    later,
                    &format!(
                        "[services.{name}] gives both `port` and `ports`; they are mutually exclusive: write one \
                         port as `port = 8080`, several as `ports = [8080, \"53/udp\"]`"
                    ),
                ));
            }
            (Some(port), None) => vec![("port", port)],
            (None, Some(ports)) => {
                let DeValue::Array(items) = ports.get_ref() else {
                    return Err(self.wrong_type(
                        &format!("services.{name}.ports"),
                        ports,
                        "an array such as [53, \"53/udp\"]",
                    ));
                };
                items.iter().map(|item| ("ports", item)).collect()
            }
            (None, None) => Vec::new(),
        };
        let mut declared: Vec<Declared> = Vec::with_capacity(values.len());
        for (key, value) in values {
            let field = format!("services.{name}.{key}");
            let binding = self.port(&field, value)?;
            let port = ServicePort::declared(binding.container_port, binding.protocol, None);
            if declared.iter().any(|d| same_port(&d.port, &port)) {
                return Err(self.error(
                    &field,
                    value,
                    &format!("port {} is listed twice in [services.{name}]", port.key()),
                ));
            }
            if let Some(owner) = self.owner_of(&port) {
                return Err(self.error(
                    &field,
                    value,
                    &format!(
                        "port {} is already declared by [services.{owner}]; a container port belongs to one \
                         service",
                        port.key()
                    ),
                ));
            }
            declared.push(Declared {
                port,
                span: value.span(),
            });
        }
        Ok(declared)
    }

    /// The earlier service that declares `port`, if one does.
    fn owner_of(&self, port: &ServicePort) -> Option<&str> {
        self.config
            .services
            .iter()
            .find(|s| s.ports.iter().any(|p| same_port(p, port)))
            .map(|s| s.name.as_str())
    }

    /// One service port: an integer, or a string `8080`, `53/udp`, `53/tcp`.
    fn port(&self, field: &str, value: &Spanned<DeValue<'_>>) -> Result<PortBinding, ApiError> {
        let span = value.span();
        match value.get_ref() {
            DeValue::Integer(i) => {
                let number = i128::from_str_radix(i.as_str(), i.radix())
                    .ok()
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n != 0);
                let Some(number) = number else {
                    return Err(self.error(
                        field,
                        value,
                        "must be a port number between 1 and 65535",
                    ));
                };
                validate::service_port(sbx_api::Field::Key(field.into()), number, Protocol::Tcp)
                    .map_err(|e| self.locate(e, &span))
            }
            DeValue::String(s) => validate::service_port_text(sbx_api::Field::Key(field.into()), s)
                .map_err(|e| self.locate(e, &span)),
            _ => Err(self.wrong_type(
                field,
                value,
                "a port number such as 8080 or a string such as \"53/udp\"",
            )),
        }
    }

    /// The declared ports with the schemes `url_scheme` gives them.
    fn with_schemes(
        &mut self,
        name: &str,
        keys: &ServiceKeys<'_, '_>,
        declared: Vec<Declared>,
    ) -> Result<Vec<ServicePort>, ApiError> {
        let mut ports: Vec<ServicePort> = declared.iter().map(|d| d.port.clone()).collect();
        let Some(value) = keys.url_scheme else {
            return Ok(ports);
        };
        let field = format!("services.{name}.url_scheme");
        if declared.is_empty() {
            let (line, _) = line_column(self.text, value.span().start);
            self.config.warnings.push(format!(
                "`{field}` in {} (line {line}) is ignored: the service declares no port",
                self.file.display()
            ));
            return Ok(ports);
        }
        let single = keys.port.is_some();
        match value.get_ref() {
            DeValue::String(word) if single => {
                let scheme = UrlScheme::parse(word.as_ref())
                    .ok_or_else(|| self.error(&field, value, "must be \"http\" or \"https\""))?;
                ports[0].scheme = Some(scheme);
            }
            DeValue::String(_) => {
                return Err(self.error(
                    &field,
                    value,
                    "with `ports`, url_scheme must be a list naming the ports, such as \
                     [{ port = 3000, scheme = \"http\" }], not a string",
                ));
            }
            DeValue::Array(entries) => {
                if let Some(second) = entries.get(1).filter(|_| single) {
                    return Err(self.error(
                        &field,
                        second,
                        &format!(
                            "with `port`, url_scheme may name only that port ({}): at most one entry",
                            ports[0].key()
                        ),
                    ));
                }
                for entry in entries.iter() {
                    let (port, scheme) = self.scheme_entry(&field, entry)?;
                    self.give_scheme(name, &field, entry, &mut ports, &port, scheme)?;
                }
            }
            _ => {
                return Err(self.wrong_type(
                    &field,
                    value,
                    "\"http\", \"https\" or a list such as [{ port = 3000, scheme = \"http\" }]",
                ));
            }
        }
        self.warn_udp_schemes(&field, &declared, &ports);
        Ok(ports)
    }

    /// One `{ port = N, scheme = "http" }` entry of a `url_scheme` list.
    fn scheme_entry(
        &mut self,
        field: &str,
        entry: &Spanned<DeValue<'_>>,
    ) -> Result<(ServicePort, UrlScheme), ApiError> {
        const SHAPE: &str = "a table such as { port = 3000, scheme = \"http\" }";
        let DeValue::Table(table) = entry.get_ref() else {
            return Err(self.wrong_type(field, entry, &format!("a list of entries, each {SHAPE}")));
        };
        let (mut port, mut scheme) = (None, None);
        for (key, value) in in_file_order(table) {
            match key.get_ref().as_ref() {
                "port" => port = Some(value),
                "scheme" => scheme = Some(value),
                other => self.unknown(&format!("{field}.{other}"), key, value),
            }
        }
        let (Some(port), Some(scheme)) = (port, scheme) else {
            return Err(self.error(
                field,
                entry,
                &format!("each entry needs both `port` and `scheme`: {SHAPE}"),
            ));
        };
        let word = self.string(field, scheme)?;
        let scheme = UrlScheme::parse(word)
            .ok_or_else(|| self.error(field, scheme, "the scheme must be \"http\" or \"https\""))?;
        let binding = self.port(field, port)?;
        Ok((
            ServicePort::declared(binding.container_port, binding.protocol, None),
            scheme,
        ))
    }

    /// Give `scheme` to the declared port `named`: it must be declared and not have been given one already.
    fn give_scheme(
        &self,
        name: &str,
        field: &str,
        entry: &Spanned<DeValue<'_>>,
        ports: &mut [ServicePort],
        named: &ServicePort,
        scheme: UrlScheme,
    ) -> Result<(), ApiError> {
        let declared: Vec<String> = ports.iter().map(ServicePort::key).collect();
        let Some(port) = ports.iter_mut().find(|p| same_port(p, named)) else {
            return Err(self.error(
                field,
                entry,
                &format!(
                    "names port {}, which [services.{name}] does not declare (it declares {})",
                    named.key(),
                    declared.join(", ")
                ),
            ));
        };
        if port.scheme.is_some() {
            return Err(self.error(field, entry, &format!("names port {} twice", named.key())));
        }
        port.scheme = Some(scheme);
        Ok(())
    }

    /// A scheme on a UDP port gives no URL: say so.
    fn warn_udp_schemes(&mut self, field: &str, declared: &[Declared], ports: &[ServicePort]) {
        for (port, at) in ports.iter().zip(declared) {
            if port.scheme.is_some() && port.protocol == Protocol::Udp {
                let (line, _) = line_column(self.text, at.span.start);
                self.config.warnings.push(format!(
                    "`{field}` in {} (line {line}) gives {}, a UDP port, a scheme: it has no URL",
                    self.file.display(),
                    port.key()
                ));
            }
        }
    }
}

/// The same container port and protocol.
fn same_port(a: &ServicePort, b: &ServicePort) -> bool {
    a.container_port == b.container_port && a.protocol == b.protocol
}

/// What the reference cases leave open: where the scheme is ignored or wrong, and what the file's services publish.
#[cfg(test)]
mod tests {
    use super::super::{RepoConfig, parse};
    use sbx_api::{ApiError, Protocol, ServicePort, UrlScheme};
    use std::path::Path;

    fn parse_text(text: &str) -> Result<RepoConfig, ApiError> {
        parse(
            text,
            Path::new("/repo/.amika/config.toml"),
            Path::new("/repo"),
        )
    }

    fn refused(text: &str) -> (String, String, String) {
        match parse_text(text).unwrap_err() {
            ApiError::InvalidInput {
                field,
                value,
                message,
            } => (field.to_string(), value, message),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn schemes_where_they_give_no_url_are_warnings() {
        let config = parse_text(
            "[services.docs]\nurl_scheme = \"https\"\n\n[services.dns]\nports = [\"53/udp\", 8053]\n\
             url_scheme = [{ port = \"53/UDP\", scheme = \"http\", path = \"/\" }]\n",
        )
        .unwrap();
        assert_eq!(
            config.services[1].ports,
            vec![
                ServicePort::declared(53, Protocol::Udp, Some(UrlScheme::Http)),
                ServicePort::declared(8053, Protocol::Tcp, None),
            ]
        );
        assert_eq!(
            config.warnings,
            vec![
                "`services.docs` in /repo/.amika/config.toml (line 1) has no `port` or `ports` — nothing is \
                 published for it",
                "`services.docs.url_scheme` in /repo/.amika/config.toml (line 2) is ignored: the service declares \
                 no port",
                "unknown key `services.dns.url_scheme.path` in /repo/.amika/config.toml (line 6) — ignored",
                "`services.dns.url_scheme` in /repo/.amika/config.toml (line 5) gives 53/udp, a UDP port, a \
                 scheme: it has no URL",
            ]
        );
    }

    #[test]
    fn bad_scheme_entries() {
        let service = "[services.web]\nports = [3000]\nurl_scheme = ";
        for (scheme, value, why) in [
            (
                "true",
                "true",
                "must be \"http\", \"https\" or a list such as",
            ),
            (
                "[\"http\"]",
                "http",
                "must be a list of entries, each a table such as",
            ),
            (
                "[{ port = 3000 }]",
                "{ port = 3000 }",
                "each entry needs both `port` and `scheme`",
            ),
            (
                "[{ port = 3000, scheme = \"HTTP\" }]",
                "HTTP",
                "the scheme must be \"http\" or \"https\"",
            ),
            (
                "[{ port = 3000, scheme = 1 }]",
                "1",
                "must be a string in quotes, not an integer",
            ),
            ("[{ port = 60999, scheme = \"http\" }]", "60999", "reserved"),
            (
                "[{ port = \"3000/sctp\", scheme = \"http\" }]",
                "3000/sctp",
                "must be tcp or udp",
            ),
        ] {
            let (field, shown, message) = refused(&format!("{service}{scheme}\n"));
            assert_eq!(field, "services.web.url_scheme", "{scheme}");
            assert_eq!(shown, value, "{scheme}");
            assert!(
                message.starts_with("line 3, column "),
                "{scheme}: {message}"
            );
            assert!(message.contains(why), "{scheme}: {message}");
        }
    }

    #[test]
    fn a_string_port_names_its_protocol_in_any_case() {
        let config =
            parse_text("[services.web]\nport = \"8080/TCP\"\nurl_scheme = \"https\"\n").unwrap();
        assert_eq!(
            config.services[0].ports,
            vec![ServicePort::declared(
                8080,
                Protocol::Tcp,
                Some(UrlScheme::Https)
            )]
        );
        assert_eq!(config.ports.len(), 1);
        assert_eq!(config.ports[0].host_port, 8080);
    }
}

/// The reference implementation's own cases (amika, `internal/amikaconfig/config_test.go`), one test each, named
/// after it; each asserts what the reference asserts, and the error's field and message besides.
#[cfg(test)]
mod reference_cases {
    use super::super::{CONFIG_PATH, RepoConfig, load};
    use sbx_api::{ApiError, Protocol, SandboxService, ServicePort, UrlScheme};
    use std::path::PathBuf;

    /// Write `text` as a repository's `.amika/config.toml` and load it (the reference's `loadFromTOML`).
    fn load_from_toml(text: &str) -> Result<RepoConfig, ApiError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".amika")).unwrap();
        std::fs::write(dir.path().join(CONFIG_PATH), text).unwrap();
        Ok(load(dir.path())?.expect("a config file was written"))
    }

    /// The services of a file that must load (the reference's `ParsedServices` without error).
    fn services(text: &str) -> Vec<SandboxService> {
        load_from_toml(text).unwrap().services
    }

    /// The error a file must give: field and message.
    fn refused(text: &str) -> (String, String) {
        match load_from_toml(text).unwrap_err() {
            ApiError::InvalidInput { field, message, .. } => (field.to_string(), message),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn port(container_port: u16, protocol: Protocol, scheme: Option<UrlScheme>) -> ServicePort {
        ServicePort::declared(container_port, protocol, scheme)
    }

    #[test]
    fn load_config_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), Ok(None));
    }

    #[test]
    fn load_config_valid_config() {
        let text = "[api]\napi_url = \"https://example.amika.dev\"\nauth_client_id = \"client_123\"\n\n\
                    [lifecycle]\nsetup_script = \"scripts/setup.sh\"\n";
        let config = load_from_toml(text).unwrap();
        assert!(
            config
                .setup_script
                .as_deref()
                .is_some_and(|p| p.ends_with("scripts/setup.sh")),
            "{config:?}"
        );
        // `[api]` is the hosted product's client setting: kept as a warning, not dropped silently.
        assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
        assert!(config.warnings[0].starts_with("unknown table `api` in "));
    }

    #[test]
    fn load_config_malformed_toml() {
        let (field, message) = refused("not = valid [[[");
        assert_eq!(field, CONFIG_PATH);
        assert!(message.starts_with("line 1, column 13: "), "{message}");
    }

    #[test]
    fn load_config_empty_lifecycle_section() {
        let config = load_from_toml("[lifecycle]\n").unwrap();
        assert_eq!(config.setup_script, None::<PathBuf>);
        assert!(config.warnings.is_empty());
    }

    #[test]
    fn load_config_api_section_only() {
        let text =
            "[api]\napi_url = \"https://api.example.test\"\nauth_client_id = \"client_abc\"\n";
        let config = load_from_toml(text).unwrap();
        assert_eq!(config.setup_script, None);
        assert!(config.services.is_empty());
        assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    }

    #[test]
    fn parsed_services_single_port_int() {
        let found = services("\n[services.api]\nport = 4838\n");
        assert_eq!(
            found,
            vec![SandboxService {
                name: "api".into(),
                ports: vec![port(4838, Protocol::Tcp, None)],
            }]
        );
    }

    #[test]
    fn parsed_services_single_port_string_udp() {
        let found = services("\n[services.metrics]\nport = \"9090/udp\"\n");
        assert_eq!(found[0].ports, vec![port(9090, Protocol::Udp, None)]);
    }

    #[test]
    fn parsed_services_multiple_ports() {
        let found = services("\n[services.web]\nports = [3000, \"3001/tcp\", \"9090/udp\"]\n");
        assert_eq!(
            found[0].ports,
            vec![
                port(3000, Protocol::Tcp, None),
                port(3001, Protocol::Tcp, None),
                port(9090, Protocol::Udp, None),
            ]
        );
    }

    #[test]
    fn parsed_services_error_both_port_and_ports() {
        let (field, message) = refused("\n[services.api]\nport = 4838\nports = [3000]\n");
        assert_eq!(field, "services.api");
        assert!(message.starts_with("line 4, column 9 in "), "{message}");
        assert!(
            message.contains(
                "[services.api] gives both `port` and `ports`; they are mutually exclusive"
            ),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_neither_port_nor_ports() {
        let config = load_from_toml("\n[services.api]\n").unwrap();
        assert_eq!(
            config.services,
            vec![SandboxService {
                name: "api".into(),
                ports: vec![],
            }]
        );
        assert!(config.ports.is_empty());
    }

    #[test]
    fn parsed_services_error_port_out_of_range() {
        let (field, message) = refused("\n[services.api]\nport = 70000\n");
        assert_eq!(field, "services.api.port");
        assert!(
            message.ends_with("must be a port number between 1 and 65535"),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_error_invalid_protocol() {
        let (field, message) = refused("\n[services.api]\nport = \"4838/sctp\"\n");
        assert_eq!(field, "services.api.port");
        assert!(message.contains("'sctp' must be tcp or udp"), "{message}");
    }

    #[test]
    fn parsed_services_error_reserved_port() {
        let (field, message) = refused("\n[services.api]\nport = 60900\n");
        assert_eq!(field, "services.api.port");
        assert!(message.contains("reserved"), "{message}");
    }

    #[test]
    fn parsed_services_error_duplicate_across_services() {
        let (field, message) =
            refused("\n[services.api]\nport = 4838\n\n[services.other]\nport = 4838\n");
        assert_eq!(field, "services.other.port");
        assert!(message.starts_with("line 6, column 8 in "), "{message}");
        assert!(
            message.ends_with("port 4838/tcp is already declared by [services.api]; a container port belongs to one service"),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_no_services() {
        let config = load_from_toml("\n[lifecycle]\nsetup_script = \"setup.sh\"\n").unwrap();
        assert!(config.services.is_empty());
    }

    #[test]
    fn parsed_services_url_scheme_http() {
        let found = services("\n[services.api]\nport = 4838\nurl_scheme = \"http\"\n");
        assert_eq!(
            found[0].ports,
            vec![port(4838, Protocol::Tcp, Some(UrlScheme::Http))]
        );
    }

    #[test]
    fn parsed_services_url_scheme_https() {
        let found = services("\n[services.api]\nport = 4838\nurl_scheme = \"https\"\n");
        assert_eq!(
            found[0].ports,
            vec![port(4838, Protocol::Tcp, Some(UrlScheme::Https))]
        );
    }

    #[test]
    fn parsed_services_no_url_scheme() {
        let found = services("\n[services.api]\nport = 4838\n");
        assert_eq!(found[0].ports[0].scheme, None);
    }

    #[test]
    fn parsed_services_error_invalid_scheme() {
        let (field, message) = refused("\n[services.api]\nport = 4838\nurl_scheme = \"ftp\"\n");
        assert_eq!(field, "services.api.url_scheme");
        assert!(message.starts_with("line 4, column 14 in "), "{message}");
        assert!(
            message.ends_with("must be \"http\" or \"https\""),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_multi_port_url_scheme() {
        let found = services(
            "\n[services.web]\nports = [3000, \"3001/tcp\"]\nurl_scheme = [\n  { port = 3000, scheme = \"http\" },\n]\n",
        );
        assert_eq!(
            found[0].ports,
            vec![
                port(3000, Protocol::Tcp, Some(UrlScheme::Http)),
                port(3001, Protocol::Tcp, None),
            ]
        );
    }

    #[test]
    fn parsed_services_port_with_list_scheme() {
        let found = services(
            "\n[services.api]\nport = 4838\nurl_scheme = [\n  { port = 4838, scheme = \"http\" },\n]\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].ports,
            vec![port(4838, Protocol::Tcp, Some(UrlScheme::Http))]
        );
    }

    #[test]
    fn parsed_services_port_with_empty_list_scheme() {
        let found = services("\n[services.api]\nport = 4838\nurl_scheme = []\n");
        assert_eq!(found[0].ports, vec![port(4838, Protocol::Tcp, None)]);
    }

    #[test]
    fn parsed_services_error_port_with_mismatched_list_scheme_port() {
        let (field, message) = refused(
            "\n[services.api]\nport = 4838\nurl_scheme = [\n  { port = 9999, scheme = \"http\" },\n]\n",
        );
        assert_eq!(field, "services.api.url_scheme");
        assert!(message.starts_with("line 5, column 3 in "), "{message}");
        assert!(
            message.ends_with(
                "names port 9999/tcp, which [services.api] does not declare (it declares 4838/tcp)"
            ),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_error_port_with_multiple_list_schemes() {
        let (field, message) = refused(
            "\n[services.api]\nport = 4838\nurl_scheme = [\n  { port = 4838, scheme = \"http\" },\n  \
             { port = 4838, scheme = \"https\" },\n]\n",
        );
        assert_eq!(field, "services.api.url_scheme");
        assert!(message.starts_with("line 6, column 3 in "), "{message}");
        assert!(
            message.ends_with(
                "with `port`, url_scheme may name only that port (4838/tcp): at most one entry"
            ),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_error_ports_with_string_scheme() {
        let (field, message) = refused("\n[services.api]\nports = [4838]\nurl_scheme = \"http\"\n");
        assert_eq!(field, "services.api.url_scheme");
        assert!(
            message.contains("with `ports`, url_scheme must be a list naming the ports"),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_error_scheme_undeclared_port() {
        let (field, message) = refused(
            "\n[services.web]\nports = [3000]\nurl_scheme = [\n  { port = 9999, scheme = \"http\" },\n]\n",
        );
        assert_eq!(field, "services.web.url_scheme");
        assert!(
            message.ends_with(
                "names port 9999/tcp, which [services.web] does not declare (it declares 3000/tcp)"
            ),
            "{message}"
        );
    }

    #[test]
    fn parsed_services_error_duplicate_scheme_port() {
        let (field, message) = refused(
            "\n[services.web]\nports = [3000, 3001]\nurl_scheme = [\n  { port = 3000, scheme = \"http\" },\n  \
             { port = 3000, scheme = \"https\" },\n]\n",
        );
        assert_eq!(field, "services.web.url_scheme");
        assert!(message.starts_with("line 6, column 3 in "), "{message}");
        assert!(message.ends_with("names port 3000/tcp twice"), "{message}");
    }
}
