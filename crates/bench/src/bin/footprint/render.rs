//! Render timings inside the page: from a click on a sidebar button to the frame after the page's rows are in
//! the document (measured with the page's own clock, `performance.now()`, so WebDriver's round trips are not in
//! it), and the same page's request alone (the Tauri command it calls, through `invoke`), so the part that is
//! rendering can be told from the part that is the core answering.

use anyhow::{Result, bail};
use fantoccini::Client;
use std::time::Duration;

/// Click the sidebar button `page` and wait for `rows` elements matching `css`; milliseconds from the click to the
/// frame after they are there.
const CLICK_AND_WAIT: &str = r#"
const [page, css, rows, done] = [arguments[0], arguments[1], arguments[2], arguments[arguments.length - 1]];
const button = [...document.querySelectorAll("nav[aria-label='Pages'] button")]
  .find((b) => b.textContent.trim() === page);
if (!button) { done({ error: "no sidebar button " + page }); return; }
const start = performance.now();
button.click();
const check = () => {
  const found = document.querySelectorAll(css).length;
  if (found >= rows) {
    requestAnimationFrame(() => setTimeout(() => done({ ms: performance.now() - start, found }), 0));
  } else if (performance.now() - start > 120000) {
    done({ error: "only " + found + " rows after 120 s" });
  } else {
    requestAnimationFrame(check);
  }
};
requestAnimationFrame(check);
"#;

/// Milliseconds the Tauri command `method` takes to answer, called with `params`.
const INVOKE: &str = r#"
const [method, params, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
const start = performance.now();
window.__TAURI__.core.invoke(method, { params })
  .then((answer) => done({ ms: performance.now() - start, items: Array.isArray(answer) ? answer.length : (answer.items || []).length }))
  .catch((error) => done({ error: String(JSON.stringify(error)) }));
"#;

/// What one page took.
#[derive(Debug, Clone, Copy)]
pub struct PageTime {
    /// Click to rows painted.
    pub page: Duration,
    /// The page's request alone.
    pub request: Duration,
}

fn ms(value: &serde_json::Value) -> Result<Duration> {
    if let Some(error) = value.get("error") {
        bail!("{error}");
    }
    let ms = value["ms"].as_f64().unwrap_or(f64::NAN);
    Ok(Duration::from_secs_f64(ms.max(0.0) / 1000.0))
}

/// Time `page` (going to `away` first, so it is built from nothing) until `rows` rows matching `css`, and its
/// request `method` with `params`.
pub async fn time_page(
    client: &Client,
    away: &str,
    page: &str,
    css: &str,
    rows: usize,
    method: &str,
    params: serde_json::Value,
) -> Result<PageTime> {
    let gone = client
        .execute_async(CLICK_AND_WAIT, vec![away.into(), "h1".into(), 1.into()])
        .await?;
    ms(&gone)?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let shown = client
        .execute_async(CLICK_AND_WAIT, vec![page.into(), css.into(), rows.into()])
        .await?;
    let page_time = ms(&shown)?;
    let answered = client
        .execute_async(INVOKE, vec![method.into(), params])
        .await?;
    Ok(PageTime {
        page: page_time,
        request: ms(&answered)?,
    })
}
