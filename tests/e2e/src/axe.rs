//! Accessibility checked by a real tool: axe-core (the npm package, installed by `cargo xtask test` into its
//! cache dir and named by `SBX_AXE_JS`), injected into the window through WebDriver and run on whatever shows —
//! a page, or a page with a dialog open. Any serious or critical violation fails the check with its rule, what it
//! asks for and the elements it found; minor and moderate ones are printed.

use anyhow::{Context, Result, bail};
use std::sync::OnceLock;

use crate::app::App;

/// The source of `axe.min.js` (`SBX_AXE_JS`), read once.
fn axe_source() -> Result<&'static str> {
    static SOURCE: OnceLock<String> = OnceLock::new();
    if let Some(source) = SOURCE.get() {
        return Ok(source);
    }
    let path = std::env::var_os("SBX_AXE_JS")
        .context("SBX_AXE_JS is not set: run the end-to-end tests through `cargo xtask test`")?;
    let source = std::fs::read_to_string(&path)
        .with_context(|| format!("reading axe-core from {}", path.to_string_lossy()))?;
    Ok(SOURCE.get_or_init(|| source))
}

/// Runs axe on the document and answers its violations, each with the elements it names.
const RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then((result) => done(result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + "  " + (n.failureSummary || "").replace(/\s+/g, " ")),
  }))))
  .catch((error) => done([{ id: "axe-error", impact: "critical", help: String(error), nodes: [] }]));
"#;

/// One rule axe found broken.
#[derive(Debug, Clone)]
pub struct Violation {
    pub id: String,
    pub impact: String,
    pub help: String,
    pub nodes: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}: {}", self.impact, self.id, self.help)?;
        for node in &self.nodes {
            write!(f, "\n      {node}")?;
        }
        Ok(())
    }
}

impl App {
    /// Every axe violation on what the window shows now.
    pub async fn axe_violations(&self) -> Result<Vec<Violation>> {
        let present = self
            .client
            .execute("return typeof window.axe === 'object';", vec![])
            .await?;
        if present != serde_json::Value::Bool(true) {
            let inject = format!("{}\nreturn typeof window.axe === 'object';", axe_source()?);
            let injected = self.client.execute(&inject, vec![]).await?;
            if injected != serde_json::Value::Bool(true) {
                bail!("axe-core did not load into the window");
            }
        }
        let found = self.client.execute_async(RUN, vec![]).await?;
        let list = found.as_array().cloned().unwrap_or_default();
        Ok(list
            .iter()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or_default().to_string(),
                impact: v["impact"].as_str().unwrap_or("unknown").to_string(),
                help: v["help"].as_str().unwrap_or_default().to_string(),
                nodes: v["nodes"]
                    .as_array()
                    .map(|n| {
                        n.iter()
                            .filter_map(|s| s.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect())
    }

    /// Run axe on what shows (`what` names it in the output); fail on a serious or critical violation.
    pub async fn check_accessibility(&self, what: &str) -> Result<()> {
        let violations = self.axe_violations().await?;
        let (blocking, minor): (Vec<_>, Vec<_>) = violations
            .into_iter()
            .partition(|v| v.impact == "serious" || v.impact == "critical");
        for violation in &minor {
            eprintln!("axe, {what} (not failing): {violation}");
        }
        if !blocking.is_empty() {
            let list: Vec<String> = blocking.iter().map(|v| format!("  {v}")).collect();
            bail!(
                "axe-core: {} serious or critical violation(s) on {what}:\n{}",
                blocking.len(),
                list.join("\n")
            );
        }
        eprintln!("axe, {what}: no serious or critical violation");
        Ok(())
    }
}
