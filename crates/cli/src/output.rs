//! Printing: JSON for `--json`, aligned tables and `key  value` facts for people, and the small formatters
//! (dates, sizes, ports, masked secrets) the commands share.

use chrono::{DateTime, Utc};
use sbx_api::{PortBinding, Protocol, Sandbox, Snapshot};
use serde::Serialize;

/// What secret environment values are replaced with in everything the CLI prints.
pub const MASK: &str = "****";

/// Print `value` as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> Result<(), sbx_api::ApiError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| sbx_api::ApiError::internal(e.to_string()))?;
    println!("{text}");
    Ok(())
}

/// Print rows under a header, columns padded to the widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}

/// `key: value` lines, keys padded.
pub fn facts(pairs: &[(&str, String)]) {
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in pairs {
        println!("{key:<width$}  {value}");
    }
}

/// A UTC time as `YYYY-MM-DD HH:MM`.
pub fn date(time: &DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M").to_string()
}

/// A time in this machine's time zone as `YYYY-MM-DD HH:MM ±HH:MM`.
pub fn local_date(time: &DateTime<Utc>) -> String {
    time.with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

/// An engine timestamp (RFC 3339) as `YYYY-MM-DD HH:MM` UTC; the text as given when it does not parse.
pub fn engine_date(text: &str) -> String {
    match DateTime::parse_from_rfc3339(text.trim()) {
        Ok(time) => date(&time.with_timezone(&Utc)),
        Err(_) => text.to_string(),
    }
}

/// Bytes in powers of 1000: `512 B`, `12.3 MB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A port binding as `HOST:CONTAINER[/udp]`, with the host address when it is not the loopback default.
pub fn port(binding: &PortBinding) -> String {
    let mut text = if binding.host_ip.is_empty() || binding.host_ip == "127.0.0.1" {
        format!("{}:{}", binding.host_port, binding.container_port)
    } else {
        format!(
            "{}:{}:{}",
            binding.host_ip, binding.host_port, binding.container_port
        )
    };
    if binding.protocol == Protocol::Udp {
        text.push_str("/udp");
    }
    text
}

/// Ports joined with commas, `-` when there are none.
pub fn ports(bindings: &[PortBinding]) -> String {
    if bindings.is_empty() {
        "-".to_string()
    } else {
        bindings.iter().map(port).collect::<Vec<_>>().join(", ")
    }
}

/// `text`, or `-` when absent.
pub fn or_dash(text: Option<&str>) -> String {
    text.filter(|t| !t.is_empty()).unwrap_or("-").to_string()
}

/// The sandbox with the values of its secret environment variables replaced by [`MASK`].
pub fn masked(mut sandbox: Sandbox) -> Sandbox {
    for var in &mut sandbox.env {
        if var.secret {
            var.value = MASK.to_string();
        }
    }
    sandbox
}

/// The facts of a sandbox (secret values masked).
pub fn sandbox_facts(sandbox: &Sandbox) {
    let mut pairs: Vec<(&str, String)> = vec![
        ("name", sandbox.name.clone()),
        ("id", sandbox.id.clone()),
        ("state", sandbox.state.to_string()),
    ];
    if let Some(reason) = sandbox.state_reason.as_deref().filter(|r| !r.is_empty()) {
        pairs.push(("reason", reason.to_string()));
    }
    match &sandbox.preset {
        Some(preset) => pairs.push(("preset", preset.clone())),
        None => pairs.push(("image", sandbox.image.clone())),
    }
    if let Some(snapshot) = &sandbox.from_snapshot {
        pairs.push(("from snapshot", snapshot.clone()));
    }
    match &sandbox.repo {
        Some(repo) => {
            let mut text = format!("{} ({})", repo.name, repo.source);
            if let Some(branch) = &repo.branch {
                text.push_str(&format!(", branch {branch}"));
            }
            if repo.no_clean {
                text.push_str(", with uncommitted files");
            }
            pairs.push(("repository", text));
            pairs.push(("volume", repo.volume.clone()));
            pairs.push(("mount path", repo.mount_path.clone()));
        }
        None => pairs.push(("repository", "none".to_string())),
    }
    pairs.push(("ports", ports(&sandbox.ports)));
    if !sandbox.services.is_empty() {
        let services: Vec<String> = sandbox.services.iter().map(|s| s.shown()).collect();
        pairs.push(("services", services.join("; ")));
    }
    if !sandbox.env.is_empty() {
        let env = sandbox
            .env
            .iter()
            .map(|v| {
                let value = if v.secret { MASK } else { v.value.as_str() };
                format!("{}={value}", v.name)
            })
            .collect::<Vec<_>>()
            .join(" ");
        pairs.push(("env", env));
    }
    pairs.push((
        "cpus",
        sandbox
            .cpus
            .map(|c| c.to_string())
            .unwrap_or_else(|| "no limit".into()),
    ));
    pairs.push((
        "memory",
        sandbox
            .memory_mib
            .map(|m| format!("{m} MiB"))
            .unwrap_or_else(|| "no limit".into()),
    ));
    pairs.push(("processes", format!("at most {}", sandbox.pids_limit)));
    pairs.push((
        "setup script",
        if sandbox.setup_skipped {
            "skipped (no-op script)".to_string()
        } else {
            "not skipped".to_string()
        },
    ));
    pairs.push((
        "credentials",
        if sandbox.credentials.is_empty() {
            "none mounted".to_string()
        } else {
            sandbox.credentials.join(", ")
        },
    ));
    pairs.push((
        "auto-stop",
        if sandbox.auto_stop_minutes == 0 {
            "off".to_string()
        } else {
            format!("after {} idle min", sandbox.auto_stop_minutes)
        },
    ));
    pairs.push((
        "auto-delete",
        sandbox
            .auto_delete_minutes
            .map(|m| format!("{m} min after stopping"))
            .unwrap_or_else(|| "keep".into()),
    ));
    pairs.push(("main command", sandbox.main_command.describe()));
    pairs.push((
        "snapshots",
        match (&sandbox.snapshot_schedule, &sandbox.next_snapshot_at) {
            (Some(cron), Some(next)) => {
                format!("automatic ({cron}, local time; next {})", local_date(next))
            }
            (Some(cron), None) => format!("automatic ({cron}, local time)"),
            (None, _) => "manual".to_string(),
        },
    ));
    pairs.push(("created", date(&sandbox.created_at)));
    facts(&pairs);
}

/// The facts of a snapshot.
pub fn snapshot_facts(snapshot: &Snapshot) {
    let mut pairs: Vec<(&str, String)> = vec![
        ("name", snapshot.name.clone()),
        ("id", snapshot.id.clone()),
        ("status", snapshot.status.as_str().to_string()),
    ];
    if let Some(reason) = snapshot.failure_reason.as_deref().filter(|r| !r.is_empty()) {
        pairs.push(("reason", reason.to_string()));
    }
    pairs.push(("source sandbox", snapshot.source_sandbox_name.clone()));
    pairs.push(("template", snapshot.source_template.clone()));
    pairs.push(("repository", or_dash(snapshot.repository.as_deref())));
    pairs.push((
        "mode",
        if snapshot.automatic {
            format!("{} (automatic)", snapshot.mode.as_str())
        } else {
            snapshot.mode.as_str().to_string()
        },
    ));
    pairs.push(("consistency", snapshot.consistency.as_str().to_string()));
    pairs.push(("created", date(&snapshot.created_at)));
    pairs.push((
        "expires",
        snapshot
            .expires_at
            .as_ref()
            .map(date)
            .unwrap_or_else(|| "never".into()),
    ));
    pairs.push((
        "size",
        snapshot.size_bytes.map(size).unwrap_or_else(|| "-".into()),
    ));
    pairs.push(("image", or_dash(snapshot.image.as_deref())));
    facts(&pairs);
}

/// What a scrub would remove: one finding a line (kind, then the path or variable name, escaped so a name with a
/// newline or a control character stays on its line), then the notes.
pub fn scrub_preview(preview: &sbx_api::ScrubPreview) {
    if preview.findings.is_empty() {
        println!("the scrub of {} finds nothing to remove", preview.sandbox);
    } else {
        println!(
            "the scrub of {} removes {} item(s):",
            preview.sandbox,
            preview.findings.len()
        );
        for finding in &preview.findings {
            println!(
                "  {:<20} {}",
                finding.kind.as_str(),
                finding.path.escape_debug()
            );
        }
    }
    for note in &preview.notes {
        println!("note: {note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_powers_of_1000() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1000), "1.0 kB");
        assert_eq!(size(12_345_678), "12.3 MB");
        assert_eq!(size(999_960), "1.0 MB");
        assert_eq!(size(3_000_000_000), "3.0 GB");
    }

    #[test]
    fn ports_are_short_on_loopback() {
        let binding = PortBinding {
            host_ip: "127.0.0.1".into(),
            host_port: 8080,
            container_port: 80,
            protocol: Protocol::Tcp,
        };
        assert_eq!(port(&binding), "8080:80");
        let udp = PortBinding {
            host_ip: "0.0.0.0".into(),
            host_port: 53,
            container_port: 53,
            protocol: Protocol::Udp,
        };
        assert_eq!(port(&udp), "0.0.0.0:53:53/udp");
        assert_eq!(ports(&[]), "-");
    }

    #[test]
    fn engine_dates_are_shortened() {
        assert_eq!(
            engine_date("2024-05-01T10:20:30.123456789Z"),
            "2024-05-01 10:20"
        );
        assert_eq!(engine_date("yesterday"), "yesterday");
    }
}
