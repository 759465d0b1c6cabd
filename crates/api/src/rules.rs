//! The input rules of the app, the same for the CLI, the core and the window: names, environment variables, port
//! bindings, resources, lifetimes, settings and snapshot schedules. Pure functions: every failure is an
//! [`ApiError::InvalidInput`] naming the flag, the value and the reason, and the ranges are the constants here.
//!
//! The core adds only what needs the machine (a host port in use, the engine's CPUs) in `sbx_core::validate`.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;

use crate::{ApiError, Field, PortBinding, Protocol, RefreshSchedule, Settings};

mod running;
pub use running::*;

/// Container ports the app keeps for its own services inside a sandbox.
pub const RESERVED_PORTS: RangeInclusive<u16> = 60899..=60999;

/// Longest sandbox or snapshot name.
pub const NAME_MAX_LEN: usize = 40;

/// Host address a port binding gets when the user names none: a sandbox is not reachable from the network unless
/// the user asks for it.
pub const DEFAULT_HOST_IP: &str = "127.0.0.1";

/// CPUs a sandbox may have.
pub const CPUS: RangeInclusive<u32> = 1..=32;
/// Memory a sandbox may have, in MiB.
pub const MEMORY_MIB: RangeInclusive<u32> = 128..=32768;
/// Minutes of idleness before auto-stop (0 turns it off), and minutes after stopping before auto-delete: 7 days.
pub const LIFETIME_MINUTES: RangeInclusive<u32> = 0..=10080;
/// Days a snapshot may be kept before the reaper deletes it (the setting; empty keeps snapshots forever).
pub const RETENTION_DAYS: RangeInclusive<u32> = 1..=3650;
/// The largest setup script, from the repository, a file or an imported snapshot (1 MiB).
pub const SETUP_SCRIPT_MAX_BYTES: u64 = 1024 * 1024;

/// Check a sandbox or snapshot name: 1–40 of lowercase letters, digits and `-`, not starting or ending with `-`.
///
/// `field` is the flag the name came from: `name`, `snapshot-name`, `sandbox.snapshot`, ...
pub fn name(field: Field, value: &str) -> Result<(), ApiError> {
    let bad = |message: String| Err(ApiError::invalid(field.clone(), value, message));
    if value.is_empty() {
        return bad("must not be empty".into());
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return bad(format!(
            "may contain only lowercase letters a-z, digits 0-9 and '-', not {}",
            describe_char(c)
        ));
    }
    // Only ASCII is left, so bytes are characters.
    if value.len() > NAME_MAX_LEN {
        return bad(format!(
            "must be at most {NAME_MAX_LEN} characters long (it has {})",
            value.len()
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return bad("must not start or end with '-'".into());
    }
    Ok(())
}

fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".into()
    } else if c.is_control() {
        format!("the control character {}", c.escape_default())
    } else {
        format!("'{c}'")
    }
}

const ADJECTIVES: [&str; 50] = [
    "amber", "azure", "bold", "brave", "bright", "brisk", "calm", "clever", "coral", "cosmic",
    "crimson", "cyan", "daring", "eager", "emerald", "fancy", "fuzzy", "gentle", "golden", "happy",
    "hazel", "indigo", "ivory", "jade", "jolly", "keen", "lemon", "lilac", "lively", "lucky",
    "magenta", "mellow", "misty", "navy", "olive", "plum", "proud", "quiet", "rapid", "rosy",
    "ruby", "sandy", "silver", "sunny", "swift", "teal", "tidy", "violet", "witty", "zesty",
];

const CITIES: [&str; 50] = [
    "accra",
    "athens",
    "austin",
    "bangkok",
    "berlin",
    "bogota",
    "boston",
    "cairo",
    "chicago",
    "dakar",
    "delhi",
    "denver",
    "dublin",
    "geneva",
    "hanoi",
    "havana",
    "helsinki",
    "istanbul",
    "jakarta",
    "kyoto",
    "lagos",
    "lima",
    "lisbon",
    "london",
    "madrid",
    "manila",
    "melbourne",
    "miami",
    "milan",
    "montreal",
    "mumbai",
    "nairobi",
    "osaka",
    "oslo",
    "paris",
    "porto",
    "prague",
    "quito",
    "riga",
    "rome",
    "santiago",
    "seoul",
    "sydney",
    "taipei",
    "tokyo",
    "toronto",
    "vienna",
    "warsaw",
    "zagreb",
    "zurich",
];

/// A generated sandbox name such as `teal-tokyo`: a colour or adjective and a city, chosen by `random`.
///
/// The caller passes the randomness, so the same number always gives the same name.
pub fn generate_name(random: u64) -> String {
    // Both lists have 50 words, which fits in any usize.
    let count = ADJECTIVES.len() as u64;
    let adjective = ADJECTIVES[(random % count) as usize];
    let city = CITIES[((random / count) % CITIES.len() as u64) as usize];
    format!("{adjective}-{city}")
}

/// Check an environment variable name: a letter or `_`, then letters, digits and `_`.
///
/// `field` is where the name came from: `env` for the flag, `env.NAME` for the repository configuration.
pub fn env_name(field: Field, value: &str) -> Result<(), ApiError> {
    if value.is_empty() {
        return Err(ApiError::invalid(
            field,
            value,
            "the variable name must not be empty",
        ));
    }
    if !is_env_name(value) {
        return Err(ApiError::invalid(
            field,
            value,
            format!(
                "the variable name '{value}' must start with a letter or '_' and contain only letters, digits and '_'"
            ),
        ));
    }
    Ok(())
}

fn is_env_name(value: &str) -> bool {
    let mut chars = value.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Split `--env NAME=VALUE` into name and value. The value may be empty and may itself contain `=`.
///
/// When the name looks secret (see [`is_secret_name`]), an error shows the value as `***` rather than repeating it.
pub fn env_var(value: &str) -> Result<(String, String), ApiError> {
    let Some((key, val)) = value.split_once('=') else {
        return Err(ApiError::invalid(
            Field::Env,
            value,
            "must be NAME=VALUE (the value may be empty, as in NAME=)",
        ));
    };
    let shown = if is_secret_name(key) && !val.is_empty() {
        format!("{key}=***")
    } else {
        value.to_string()
    };
    if key.is_empty() {
        return Err(ApiError::invalid(
            Field::Env,
            shown,
            "the variable name before '=' is empty; it must be NAME=VALUE",
        ));
    }
    if !is_env_name(key) {
        return Err(ApiError::invalid(
            Field::Env,
            shown,
            format!(
                "the variable name '{key}' must start with a letter or '_' and contain only letters, digits and '_'"
            ),
        ));
    }
    Ok((key.to_string(), val.to_string()))
}

const SECRET_WORDS: [&str; 9] = [
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "ACCESS_KEY",
];

/// Whether an environment variable holds a secret, judging by its name (`GITHUB_TOKEN`, `DB_PASSWORD`,
/// `OPENAI_API_KEY`, `SSH_KEY`, ...). Case does not matter.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_WORDS.iter().any(|word| upper.contains(word)) || upper.ends_with("_KEY")
}

/// Parse `--port [IP:]HOST:CONTAINER[/udp|/tcp]`. The host address is 127.0.0.1 unless one is given.
pub fn port_binding(value: &str) -> Result<PortBinding, ApiError> {
    let bad = |message: String| ApiError::invalid(Field::Port, value, message);
    let (addr, protocol) = split_protocol(value.trim()).map_err(bad)?;
    let parts: Vec<&str> = addr.split(':').collect();
    let (host_ip, host, container) = match parts.as_slice() {
        [host, container] => (DEFAULT_HOST_IP, *host, *container),
        [ip, host, container] => (*ip, *host, *container),
        [_] => {
            return Err(bad(
                "must be HOST:CONTAINER or IP:HOST:CONTAINER, optionally followed by /udp or /tcp (e.g. 8080:80)"
                    .into(),
            ));
        }
        _ => {
            return Err(bad(
                "must be HOST:CONTAINER or IP:HOST:CONTAINER (only IPv4 host addresses are supported)".into(),
            ));
        }
    };
    if host_ip.parse::<Ipv4Addr>().is_err() {
        return Err(bad(format!(
            "the host address '{host_ip}' is not an IPv4 address such as 127.0.0.1 or 0.0.0.0"
        )));
    }
    let host_port = port_number(host).map_err(|why| bad(format!("the host port {why}")))?;
    let container_port =
        port_number(container).map_err(|why| bad(format!("the container port {why}")))?;
    check_not_reserved(container_port).map_err(bad)?;
    Ok(PortBinding {
        host_ip: host_ip.to_string(),
        host_port,
        container_port,
        protocol,
    })
}

/// A container port of a repository service, published on the same port of 127.0.0.1.
///
/// `field` is where it came from, e.g. `services.web.port`.
pub fn service_port(field: Field, port: u16, protocol: Protocol) -> Result<PortBinding, ApiError> {
    let shown = match protocol {
        Protocol::Tcp => port.to_string(),
        Protocol::Udp => format!("{port}/udp"),
    };
    if port == 0 {
        return Err(ApiError::invalid(
            field,
            shown,
            "must be a port number between 1 and 65535",
        ));
    }
    check_not_reserved(port).map_err(|message| ApiError::invalid(field, shown, message))?;
    Ok(PortBinding {
        host_ip: DEFAULT_HOST_IP.to_string(),
        host_port: port,
        container_port: port,
        protocol,
    })
}

/// Parse a service port given as text: `8080`, `53/udp` or `53/tcp`.
pub fn service_port_text(field: Field, value: &str) -> Result<PortBinding, ApiError> {
    let bad = |message: String| ApiError::invalid(field.clone(), value, message);
    let (number, protocol) = split_protocol(value.trim()).map_err(bad)?;
    let port = port_number(number).map_err(|why| {
        bad(format!(
            "the port {why}; write it as 8080, \"8080/tcp\" or \"53/udp\""
        ))
    })?;
    check_not_reserved(port).map_err(bad)?;
    Ok(PortBinding {
        host_ip: DEFAULT_HOST_IP.to_string(),
        host_port: port,
        container_port: port,
        protocol,
    })
}

/// Split off a trailing `/udp` or `/tcp`; no suffix means TCP.
fn split_protocol(value: &str) -> Result<(&str, Protocol), String> {
    match value.rsplit_once('/') {
        None => Ok((value, Protocol::Tcp)),
        Some((rest, proto)) => match proto.to_ascii_lowercase().as_str() {
            "tcp" => Ok((rest, Protocol::Tcp)),
            "udp" => Ok((rest, Protocol::Udp)),
            _ => Err(format!("the protocol '{proto}' must be tcp or udp")),
        },
    }
}

/// A port number 1–65535 written in decimal digits only; the error completes "the ... port ...".
fn port_number(text: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err("is missing".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' is not a number"));
    }
    match text.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        _ => Err(format!("{text} is not between 1 and 65535")),
    }
}

fn check_not_reserved(container_port: u16) -> Result<(), String> {
    if RESERVED_PORTS.contains(&container_port) {
        return Err(format!(
            "container port {container_port} is in the range {}–{}, which is reserved for the app's own services \
             inside the sandbox; pick a port outside it",
            RESERVED_PORTS.start(),
            RESERVED_PORTS.end()
        ));
    }
    Ok(())
}

/// Check that no host port is bound twice for the same protocol.
///
/// A binding on 0.0.0.0 takes the port on every address, so it also clashes with the same port on any other address.
pub fn no_duplicate_host_ports(ports: &[PortBinding]) -> Result<(), ApiError> {
    for (i, later) in ports.iter().enumerate() {
        let clash = ports[..i].iter().find(|earlier| {
            earlier.host_port == later.host_port
                && earlier.protocol == later.protocol
                && (earlier.host_ip == later.host_ip
                    || is_any(&earlier.host_ip)
                    || is_any(&later.host_ip))
        });
        if let Some(earlier) = clash {
            let message = if earlier.host_ip == later.host_ip {
                format!(
                    "host port {}:{}/{} is bound twice",
                    later.host_ip,
                    later.host_port,
                    later.protocol.as_str()
                )
            } else {
                format!(
                    "host port {}/{} is bound on {} and on {}; 0.0.0.0 already covers every address",
                    later.host_port,
                    later.protocol.as_str(),
                    earlier.host_ip,
                    later.host_ip
                )
            };
            return Err(ApiError::invalid(Field::Port, later.to_string(), message));
        }
    }
    Ok(())
}

fn is_any(ip: &str) -> bool {
    ip.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_unspecified())
}

/// Check a CPU limit: 1–32.
pub fn cpus(value: u32) -> Result<(), ApiError> {
    in_range(Field::Cpus, value, CPUS, "")
}

/// Check a memory limit in MiB: 128–32768.
pub fn memory_mib(value: u32) -> Result<(), ApiError> {
    in_range(Field::Memory, value, MEMORY_MIB, " MiB")
}

/// Check the idle minutes before auto-stop: 0–10080 (7 days); 0 turns auto-stop off.
pub fn auto_stop_minutes(value: u32) -> Result<(), ApiError> {
    in_range(
        Field::AutoStop,
        value,
        LIFETIME_MINUTES,
        " minutes (7 days); 0 turns auto-stop off",
    )
}

/// Check the minutes after stopping before auto-delete: 0–10080 (7 days).
pub fn auto_delete_minutes(value: u32) -> Result<(), ApiError> {
    in_range(
        Field::AutoDelete,
        value,
        LIFETIME_MINUTES,
        " minutes (7 days)",
    )
}

/// Check the snapshot retention setting: 1–3650 days (no value keeps snapshots forever).
pub fn retention_days(value: u32) -> Result<(), ApiError> {
    in_range(
        Field::SnapshotRetentionDays,
        value,
        RETENTION_DAYS,
        " days, or empty to keep snapshots forever",
    )
}

/// Check the default auto-stop setting: 0–10080 minutes.
pub fn default_auto_stop_minutes(value: u32) -> Result<(), ApiError> {
    in_range(
        Field::DefaultAutoStopMinutes,
        value,
        LIFETIME_MINUTES,
        " minutes (0 disables auto-stop)",
    )
}

/// Check every value of `settings`; the error names the offending one. (Whether the default preset exists is
/// the core's to check.)
pub fn settings(settings: &Settings) -> Result<(), ApiError> {
    if let Some(days) = settings.snapshot_retention_days {
        retention_days(days)?;
    }
    default_auto_stop_minutes(settings.default_auto_stop_minutes)?;
    automatic_snapshots_kept(settings.automatic_snapshots_kept)?;
    if settings.default_preset.trim().is_empty() {
        return Err(ApiError::invalid(
            Field::DefaultPreset,
            "",
            "must name a preset",
        ));
    }
    Ok(())
}

fn in_range(
    field: Field,
    value: u32,
    range: RangeInclusive<u32>,
    unit: &str,
) -> Result<(), ApiError> {
    if range.contains(&value) {
        return Ok(());
    }
    Err(ApiError::invalid(
        field,
        value.to_string(),
        format!(
            "must be between {} and {}{unit}",
            range.start(),
            range.end()
        ),
    ))
}

/// Check a five-field cron expression (minute hour day-of-month month day-of-week) for automatic snapshots.
///
/// Six-field expressions (with seconds), `@daily`-style shortcuts and expressions that can never fire (such as
/// 30 February) are refused.
pub fn cron_schedule(value: &str) -> Result<(), ApiError> {
    cron_for(Field::SnapshotSchedule, value)
}

/// [`cron_schedule`], naming `field` in its errors.
fn cron_for(field: Field, value: &str) -> Result<(), ApiError> {
    let cron =
        parse_cron(value).map_err(|message| ApiError::invalid(field.clone(), value, message))?;
    // Any fixed start works: a schedule that fires at all fires within a few years of it.
    let start = DateTime::<Utc>::UNIX_EPOCH;
    if cron.find_next_occurrence(&start, false).is_err() {
        return Err(ApiError::invalid(
            field,
            value,
            "never fires: no date matches it (e.g. 30 February)",
        ));
    }
    Ok(())
}

/// A profile's refresh schedule as typed: `manual` (or nothing), `base-image` (when the base image changes), or a
/// five-field cron expression (by the rules of [`cron_schedule`]).
pub fn refresh_schedule(value: &str) -> Result<RefreshSchedule, ApiError> {
    let text = value.trim();
    if text.is_empty() || text.eq_ignore_ascii_case(RefreshSchedule::MANUAL) {
        return Ok(RefreshSchedule::Manual);
    }
    if text.eq_ignore_ascii_case(RefreshSchedule::BASE_IMAGE) {
        return Ok(RefreshSchedule::BaseImage);
    }
    if !text.contains(char::is_whitespace) {
        return Err(ApiError::invalid(
            Field::RefreshSchedule,
            value,
            "must be 'manual', 'base-image' (refresh when the base image changes) or a five-field cron \
             expression such as \"0 3 * * *\"",
        ));
    }
    cron_for(Field::RefreshSchedule, text)?;
    Ok(RefreshSchedule::Cron(
        text.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

/// A profile, or one of its versions, as typed: `NAME` (the newest usable version) or `NAME@N` (version N, from 1).
pub fn profile_ref(value: &str) -> Result<(String, Option<u32>), ApiError> {
    let text = value.trim();
    let (profile, version) = match text.split_once('@') {
        Some((profile, number)) => {
            let version = number
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| {
                    ApiError::invalid(
                        Field::Profile,
                        value,
                        format!("'{number}' after '@' must be a version number, from 1"),
                    )
                })?;
            (profile, Some(version))
        }
        None => (text, None),
    };
    name(Field::Profile, profile).map_err(|e| match e {
        ApiError::InvalidInput { message, .. } => ApiError::invalid(Field::Profile, value, message),
        other => other,
    })?;
    Ok((profile.to_string(), version))
}

/// The next time a five-field cron expression fires, strictly after `after` (UTC). `None` if the expression is not
/// valid or never fires again.
pub fn cron_next(value: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = parse_cron(value).ok()?;
    // Cron has minute resolution; drop the fraction so "one second later" never lands mid-second.
    let whole = after.duration_trunc(TimeDelta::seconds(1)).ok()?;
    let next = cron.find_next_occurrence(&whole, false).ok()?;
    (next > after).then_some(next)
}

fn parse_cron(value: &str) -> Result<croner::Cron, String> {
    let fields = value.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "must have exactly five fields separated by spaces: minute hour day-of-month month day-of-week \
             (e.g. \"0 3 * * *\" for 03:00 every day); this has {fields}"
        ));
    }
    croner::Cron::new(value)
        .parse()
        .map_err(|e| format!("is not a valid cron expression: {e}"))
}

/// Check a page request of a list: pages start at 1, a page holds 1–1000 items.
pub fn page_and_limit(page: u32, limit: u32) -> Result<(), ApiError> {
    if page == 0 {
        return Err(ApiError::invalid(Field::Page, "0", "pages start at 1"));
    }
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid(
            Field::Limit,
            limit.to_string(),
            "must be between 1 and 1000",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn invalid(err: ApiError) -> (String, String, String) {
        match err {
            ApiError::InvalidInput {
                field,
                value,
                message,
            } => (field.to_string(), value, message),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    fn binding(ip: &str, host: u16, container: u16, protocol: Protocol) -> PortBinding {
        PortBinding {
            host_ip: ip.into(),
            host_port: host,
            container_port: container,
            protocol,
        }
    }

    #[test]
    fn names_that_pass() {
        for ok in [
            "a",
            "teal-tokyo",
            "web-2",
            "0",
            "a-b-c",
            "x--y",
            &"a".repeat(40),
        ] {
            assert_eq!(name(Field::Name, ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn names_that_fail_say_why() {
        let cases = [
            ("", "must not be empty"),
            ("Teal", "not 'T'"),
            ("teal_tokyo", "not '_'"),
            ("teal tokyo", "not a space"),
            ("tëal", "not 'ë'"),
            ("-teal", "must not start or end with '-'"),
            ("teal-", "must not start or end with '-'"),
            ("-", "must not start or end with '-'"),
        ];
        for (value, why) in cases {
            let (field, shown, message) = invalid(name(Field::SnapshotName, value).unwrap_err());
            assert_eq!(field, "snapshot-name");
            assert_eq!(shown, value);
            assert!(message.contains(why), "{value}: {message}");
        }
        let long = "a".repeat(41);
        let (_, shown, message) = invalid(name(Field::Name, &long).unwrap_err());
        assert_eq!(shown, long);
        assert_eq!(message, "must be at most 40 characters long (it has 41)");
    }

    #[test]
    fn generated_names_are_valid_and_deterministic() {
        assert_eq!(generate_name(0), "amber-accra");
        assert_eq!(generate_name(45 + 50 * 44), "teal-tokyo");
        assert_eq!(generate_name(45 + 50 * 44), generate_name(45 + 50 * 44));
        assert_eq!(generate_name(49 + 50 * 49), "zesty-zurich");
        // The two choices wrap around independently.
        assert_eq!(generate_name(2500), generate_name(0));
        for random in [0, 1, 49, 50, 2499, u64::MAX, u64::MAX / 3, 0xdead_beef] {
            let generated = generate_name(random);
            assert_eq!(name(Field::Name, &generated), Ok(()), "{generated}");
        }
        let mut seen = std::collections::HashSet::new();
        for random in 0..2500 {
            seen.insert(generate_name(random));
        }
        assert_eq!(seen.len(), 2500, "every pair of words is reachable");
    }

    #[test]
    fn word_lists_are_plain_lowercase_and_unique() {
        for list in [&ADJECTIVES[..], &CITIES[..]] {
            let unique: std::collections::HashSet<_> = list.iter().collect();
            assert_eq!(unique.len(), list.len());
            for word in list {
                assert!(
                    !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase()),
                    "{word}"
                );
            }
        }
    }

    #[test]
    fn env_vars_split_at_the_first_equals() {
        assert_eq!(env_var("FOO=bar"), Ok(("FOO".into(), "bar".into())));
        assert_eq!(env_var("FOO="), Ok(("FOO".into(), String::new())));
        assert_eq!(env_var("_X1=a=b=c"), Ok(("_X1".into(), "a=b=c".into())));
        assert_eq!(
            env_var("lower_case=1"),
            Ok(("lower_case".into(), "1".into()))
        );
        assert_eq!(env_var("A= spaced "), Ok(("A".into(), " spaced ".into())));
    }

    #[test]
    fn bad_env_vars() {
        let (field, value, message) = invalid(env_var("FOO").unwrap_err());
        assert_eq!((field.as_str(), value.as_str()), ("env", "FOO"));
        assert!(message.starts_with("must be NAME=VALUE"), "{message}");

        let (_, value, message) = invalid(env_var("=bar").unwrap_err());
        assert_eq!(value, "=bar");
        assert!(message.contains("name before '=' is empty"), "{message}");

        for bad in ["1FOO=x", "FOO-BAR=x", "FOO BAR=x", "FÖO=x"] {
            let (field, value, message) = invalid(env_var(bad).unwrap_err());
            assert_eq!(field, "env");
            assert_eq!(value, bad);
            assert!(
                message.contains("must start with a letter or '_'"),
                "{message}"
            );
        }
    }

    #[test]
    fn bad_env_var_errors_do_not_repeat_secret_values() {
        let (_, value, _) = invalid(env_var("MY-TOKEN=hunter2").unwrap_err());
        assert_eq!(value, "MY-TOKEN=***");
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name(Field::Key("env.FOO".into()), "FOO"), Ok(()));
        let (field, value, message) =
            invalid(env_name(Field::Key("env.9".into()), "9").unwrap_err());
        assert_eq!((field.as_str(), value.as_str()), ("env.9", "9"));
        assert!(message.contains("must start with a letter"), "{message}");
        assert!(env_name(Field::Env, "").is_err());
    }

    #[test]
    fn secret_names() {
        for secret in [
            "GITHUB_TOKEN",
            "github_token",
            "CLIENT_SECRET",
            "DB_PASSWORD",
            "MYSQL_PASSWD",
            "OPENAI_API_KEY",
            "STRIPE_APIKEY",
            "SSH_PRIVATE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "AWS_ACCESS_KEY_ID",
            "SSH_KEY",
            "Tokenizer",
        ] {
            assert!(is_secret_name(secret), "{secret}");
        }
        for plain in [
            "PATH", "HOME", "KEYBOARD", "KEY", "MONKEY", "KEYS_DIR", "PORT", "",
        ] {
            assert!(!is_secret_name(plain), "{plain}");
        }
    }

    #[test]
    fn port_bindings() {
        assert_eq!(
            port_binding("8080:80"),
            Ok(binding("127.0.0.1", 8080, 80, Protocol::Tcp))
        );
        assert_eq!(
            port_binding("5353:53/udp"),
            Ok(binding("127.0.0.1", 5353, 53, Protocol::Udp))
        );
        assert_eq!(
            port_binding("5432:5432/tcp"),
            Ok(binding("127.0.0.1", 5432, 5432, Protocol::Tcp))
        );
        assert_eq!(
            port_binding("0.0.0.0:3000:3000"),
            Ok(binding("0.0.0.0", 3000, 3000, Protocol::Tcp))
        );
        assert_eq!(
            port_binding("192.168.1.5:1:65535/UDP"),
            Ok(binding("192.168.1.5", 1, 65535, Protocol::Udp))
        );
        // The ports just outside the reserved range are fine.
        assert!(port_binding("60898:60898").is_ok());
        assert!(port_binding("61000:61000").is_ok());
        // Reserved range applies to the container port only.
        assert!(port_binding("60900:80").is_ok());
    }

    #[test]
    fn bad_port_bindings_say_why() {
        let cases = [
            ("8080", "must be HOST:CONTAINER"),
            ("", "must be HOST:CONTAINER"),
            ("1:2:3:4", "only IPv4"),
            ("::1:80:80", "only IPv4"),
            ("localhost:80:80", "'localhost' is not an IPv4 address"),
            ("300.1.1.1:80:80", "'300.1.1.1' is not an IPv4 address"),
            (":80:80", "'' is not an IPv4 address"),
            ("127.0.0.1::80", "the host port is missing"),
            ("80:", "the container port is missing"),
            ("0:80", "the host port 0 is not between 1 and 65535"),
            (
                "80:65536",
                "the container port 65536 is not between 1 and 65535",
            ),
            (
                "80:99999999999",
                "the container port 99999999999 is not between 1 and 65535",
            ),
            ("+80:80", "the host port '+80' is not a number"),
            ("80:http", "the container port 'http' is not a number"),
            ("80:80/sctp", "the protocol 'sctp' must be tcp or udp"),
            ("80:80/", "the protocol '' must be tcp or udp"),
        ];
        for (value, why) in cases {
            let (field, shown, message) = invalid(port_binding(value).unwrap_err());
            assert_eq!(field, "port", "{value}");
            assert_eq!(shown, value);
            assert!(message.contains(why), "{value}: {message}");
        }
    }

    #[test]
    fn reserved_container_ports_are_refused() {
        for value in ["8080:60899", "8080:60999", "0.0.0.0:1:60950/udp"] {
            let (field, shown, message) = invalid(port_binding(value).unwrap_err());
            assert_eq!(field, "port");
            assert_eq!(shown, value);
            assert!(message.contains("60899–60999"), "{message}");
            assert!(
                message.contains("reserved for the app's own services"),
                "{message}"
            );
        }
    }

    #[test]
    fn service_ports() {
        assert_eq!(
            service_port(Field::Key("services.web.port".into()), 8080, Protocol::Tcp),
            Ok(binding("127.0.0.1", 8080, 8080, Protocol::Tcp))
        );
        assert_eq!(
            service_port(Field::Key("services.dns.ports".into()), 53, Protocol::Udp),
            Ok(binding("127.0.0.1", 53, 53, Protocol::Udp))
        );
        let (field, value, message) = invalid(
            service_port(Field::Key("services.x.port".into()), 60900, Protocol::Udp).unwrap_err(),
        );
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("services.x.port", "60900/udp")
        );
        assert!(message.contains("reserved"), "{message}");
        let (_, value, message) = invalid(
            service_port(Field::Key("services.x.port".into()), 0, Protocol::Tcp).unwrap_err(),
        );
        assert_eq!(value, "0");
        assert_eq!(message, "must be a port number between 1 and 65535");
    }

    #[test]
    fn service_ports_as_text() {
        let f = "services.dns.ports";
        assert_eq!(
            service_port_text(Field::Key(f.into()), "8080"),
            Ok(binding("127.0.0.1", 8080, 8080, Protocol::Tcp))
        );
        assert_eq!(
            service_port_text(Field::Key(f.into()), "53/udp"),
            Ok(binding("127.0.0.1", 53, 53, Protocol::Udp))
        );
        assert_eq!(
            service_port_text(Field::Key(f.into()), "53/tcp"),
            Ok(binding("127.0.0.1", 53, 53, Protocol::Tcp))
        );
        for (bad, why) in [
            ("", "the port is missing"),
            ("http", "'http' is not a number"),
            ("8080:80", "'8080:80' is not a number"),
            ("0", "0 is not between 1 and 65535"),
            ("53/icmp", "'icmp' must be tcp or udp"),
            ("60999/udp", "reserved"),
        ] {
            let (field, value, message) =
                invalid(service_port_text(Field::Key(f.into()), bad).unwrap_err());
            assert_eq!(field, f);
            assert_eq!(value, bad);
            assert!(message.contains(why), "{bad}: {message}");
        }
    }

    #[test]
    fn duplicate_host_ports() {
        let a = binding("127.0.0.1", 8080, 80, Protocol::Tcp);
        let b = binding("127.0.0.1", 8080, 81, Protocol::Tcp);
        let udp = binding("127.0.0.1", 8080, 80, Protocol::Udp);
        let other_ip = binding("192.168.1.5", 8080, 80, Protocol::Tcp);
        let any = binding("0.0.0.0", 8080, 80, Protocol::Tcp);

        assert_eq!(no_duplicate_host_ports(&[]), Ok(()));
        assert_eq!(no_duplicate_host_ports(&[a.clone(), udp.clone()]), Ok(()));
        assert_eq!(
            no_duplicate_host_ports(&[a.clone(), other_ip.clone()]),
            Ok(())
        );

        let (field, value, message) =
            invalid(no_duplicate_host_ports(&[a.clone(), udp, b]).unwrap_err());
        assert_eq!(field, "port");
        assert_eq!(value, "127.0.0.1:8080:81");
        assert_eq!(message, "host port 127.0.0.1:8080/tcp is bound twice");

        let (_, value, message) = invalid(no_duplicate_host_ports(&[other_ip, any]).unwrap_err());
        assert_eq!(value, "0.0.0.0:8080:80");
        assert!(
            message.contains("bound on 192.168.1.5 and on 0.0.0.0"),
            "{message}"
        );
    }

    #[test]
    fn resources_and_lifetimes() {
        assert_eq!(cpus(1), Ok(()));
        assert_eq!(cpus(32), Ok(()));
        assert_eq!(
            cpus(0),
            Err(ApiError::invalid(
                crate::Field::Cpus,
                "0",
                "must be between 1 and 32"
            ))
        );
        assert!(cpus(33).is_err());

        assert_eq!(memory_mib(128), Ok(()));
        assert_eq!(memory_mib(32768), Ok(()));
        assert_eq!(
            memory_mib(64),
            Err(ApiError::invalid(
                crate::Field::Memory,
                "64",
                "must be between 128 and 32768 MiB"
            ))
        );
        assert!(memory_mib(32769).is_err());

        assert_eq!(auto_stop_minutes(0), Ok(()));
        assert_eq!(auto_stop_minutes(10080), Ok(()));
        let (field, value, message) = invalid(auto_stop_minutes(10081).unwrap_err());
        assert_eq!((field.as_str(), value.as_str()), ("auto-stop", "10081"));
        assert!(
            message.starts_with("must be between 0 and 10080 minutes"),
            "{message}"
        );

        assert_eq!(auto_delete_minutes(0), Ok(()));
        assert_eq!(auto_delete_minutes(10080), Ok(()));
        let (field, value, _) = invalid(auto_delete_minutes(u32::MAX).unwrap_err());
        assert_eq!(
            (field.as_str(), value.as_str()),
            ("auto-delete", "4294967295")
        );
    }

    #[test]
    fn settings_ranges() {
        assert_eq!(settings(&Settings::default()), Ok(()));
        let days = |d| Settings {
            snapshot_retention_days: d,
            ..Settings::default()
        };
        assert_eq!(settings(&days(Some(1))), Ok(()));
        assert_eq!(settings(&days(Some(3650))), Ok(()));
        assert_eq!(
            settings(&days(Some(0))),
            Err(ApiError::invalid(
                crate::Field::SnapshotRetentionDays,
                "0",
                "must be between 1 and 3650 days, or empty to keep snapshots forever"
            ))
        );
        let auto_stop = Settings {
            default_auto_stop_minutes: 10081,
            ..Settings::default()
        };
        assert_eq!(
            settings(&auto_stop),
            Err(ApiError::invalid(
                crate::Field::DefaultAutoStopMinutes,
                "10081",
                "must be between 0 and 10080 minutes (0 disables auto-stop)"
            ))
        );
        let preset = Settings {
            default_preset: " ".into(),
            ..Settings::default()
        };
        assert_eq!(
            settings(&preset),
            Err(ApiError::invalid(
                crate::Field::DefaultPreset,
                "",
                "must name a preset"
            ))
        );
    }

    #[test]
    fn cron_schedules() {
        for ok in [
            "* * * * *",
            "0 3 * * *",
            "*/15 9-17 * * MON-FRI",
            "0 0 1 1 *",
            "0 0 29 2 *",
            "  30   2 * * 0  ",
        ] {
            assert_eq!(cron_schedule(ok), Ok(()), "{ok}");
        }
        let cases = [
            ("", "this has 0"),
            ("* * * *", "this has 4"),
            ("0 * * * * *", "this has 6"),
            ("@daily", "this has 1"),
            ("61 * * * *", "is not a valid cron expression"),
            ("a b c d e", "is not a valid cron expression"),
            ("0 24 * * *", "is not a valid cron expression"),
            ("* * * 13 *", "is not a valid cron expression"),
            ("0 0 30 2 *", "never fires"),
        ];
        for (value, why) in cases {
            let (field, shown, message) = invalid(cron_schedule(value).unwrap_err());
            assert_eq!(field, "snapshot-schedule");
            assert_eq!(shown, value);
            assert!(message.contains(why), "{value:?}: {message}");
        }
    }

    #[test]
    fn next_cron_time_is_strictly_after() {
        let at = |h, m, s| Utc.with_ymd_and_hms(2024, 3, 1, h, m, s).unwrap();
        assert_eq!(cron_next("0 12 * * *", at(11, 59, 59)), Some(at(12, 0, 0)));
        assert_eq!(
            cron_next("0 12 * * *", at(12, 0, 0)),
            Some(Utc.with_ymd_and_hms(2024, 3, 2, 12, 0, 0).unwrap())
        );
        assert_eq!(cron_next("* * * * *", at(10, 0, 0)), Some(at(10, 1, 0)));
        let half = at(11, 59, 59) + TimeDelta::milliseconds(500);
        assert_eq!(cron_next("0 12 * * *", half), Some(at(12, 0, 0)));
        let just_after = at(12, 0, 0) + TimeDelta::milliseconds(1);
        assert_eq!(
            cron_next("0 12 * * *", just_after).map(|t| t.date_naive().to_string()),
            Some("2024-03-02".into())
        );
        // Leap day: the next 29 February after March 2024 is in 2028.
        assert_eq!(
            cron_next("0 0 29 2 *", at(0, 0, 0)),
            Some(Utc.with_ymd_and_hms(2028, 2, 29, 0, 0, 0).unwrap())
        );
        assert_eq!(cron_next("0 0 30 2 *", at(0, 0, 0)), None);
        assert_eq!(cron_next("0 * * * * *", at(0, 0, 0)), None);
        assert_eq!(cron_next("nonsense", at(0, 0, 0)), None);
    }
}
