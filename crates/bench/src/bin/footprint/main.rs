//! `cargo xtask bench --footprint`: the release app against a minimal Tauri 2 + Leptos window (`crates/bench/
//! minimal`), both started the same way under the same X display, in one run:
//!
//! - time to first paint: from asking tauri-driver for the window to the page's first contentful paint; and to
//!   the UI mounted (the mark its module sets once the UI is in the document: the app paints its frame from
//!   `index.html` before that);
//! - idle memory: the PSS of the whole process tree (the binary, WebKitWebProcess, WebKitNetworkProcess) 10 s
//!   after the start (the app on an empty data dir, with the engine answering);
//!
//! each the median of `--runs` launches (alternating), with the ratio to the minimal window; then, on a data dir
//! with 1,000 sandboxes and 10,000 snapshots (`seed`), the time to render the Sandboxes and the Snapshots page
//! (`render`, the median of 5 visits to each). xtask builds both binaries and passes `--app` and `--minimal`.

mod memory;
mod render;
mod seed;
mod window;

use anyhow::{Context, Result, bail};
use sbx_api::Request;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One launch's measurements.
struct Launch {
    first_paint: Duration,
    mounted: Duration,
    processes: Vec<memory::Process>,
}

impl Launch {
    fn pss_kib(&self) -> u64 {
        self.processes.iter().map(|p| p.pss_kib).sum()
    }
}

fn arg(name: &str) -> Option<String> {
    std::env::args().skip_while(|a| a != name).nth(1)
}

#[tokio::main]
async fn main() -> Result<()> {
    let app = PathBuf::from(arg("--app").context("--app PATH is required")?);
    let minimal = PathBuf::from(arg("--minimal").context("--minimal PATH is required")?);
    let runs: usize = arg("--runs").and_then(|v| v.parse().ok()).unwrap_or(3);
    let idle = Duration::from_secs(arg("--idle").and_then(|v| v.parse().ok()).unwrap_or(10));
    for binary in [&app, &minimal] {
        if !binary.is_file() {
            bail!("{} is missing", binary.display());
        }
    }
    let mut ours = Vec::new();
    let mut base = Vec::new();
    for run in 0..runs {
        eprintln!("footprint: run {} of {runs}", run + 1);
        base.push(launch(&minimal, &[], idle, &format!("minimal-{run}")).await?);
        let home = tempfile::tempdir()?;
        let env = [(
            "SANDBOX_DESKTOP_HOME".to_string(),
            home.path().display().to_string(),
        )];
        ours.push(launch(&app, &env, idle, &format!("app-{run}")).await?);
    }
    let render = render_times(&app).await?;
    report(&ours, &base, idle, &render)
}

/// Start `binary`, time its first paint, wait until `idle` after the start and read its tree's memory.
async fn launch(
    binary: &Path,
    env: &[(String, String)],
    idle: Duration,
    name: &str,
) -> Result<Launch> {
    let window = window::open(binary, env, name).await?;
    let result = async {
        let first_paint = window.first_paint().await?;
        let mounted = window.mounted().await?;
        let elapsed = window.started.elapsed().unwrap_or_default();
        tokio::time::sleep(idle.saturating_sub(elapsed)).await;
        let pid = memory::find(binary, &window.mark)
            .with_context(|| format!("no running {} found", binary.display()))?;
        Ok(Launch {
            first_paint,
            mounted,
            processes: memory::tree(pid)?,
        })
    }
    .await;
    window.close().await;
    result
}

/// How many times each page is rendered from nothing; the report gives the median.
const RENDER_VISITS: usize = 5;

/// The Sandboxes page with 1,000 sandboxes and the Snapshots page with 10,000 snapshots, each the median of
/// [`RENDER_VISITS`] visits.
async fn render_times(app: &Path) -> Result<[(String, render::PageTime); 2]> {
    let home = tempfile::tempdir()?;
    eprintln!("footprint: seeding 1,000 sandboxes and 10,000 snapshots");
    let instance = seed::seed(home.path(), 1000, 10_000).await?;
    let result = async {
        let env = [(
            "SANDBOX_DESKTOP_HOME".to_string(),
            home.path().display().to_string(),
        )];
        let window = window::open(app, &env, "app-render").await?;
        let timed = async {
            window
                .client
                .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                    Some(Duration::from_secs(150)),
                    None,
                    None,
                ))
                .await?;
            // The UI itself, not the frame `index.html` paints first.
            window.mounted().await?;
            // Each page: its sidebar button, its rows (the first page of 50; the pager holds the rest) and its
            // request.
            let pages = [
                (
                    "Sandboxes",
                    "tr[data-sandbox]",
                    sbx_api::requests::ListSandboxes::METHOD,
                    serde_json::json!({ "page": 1, "limit": 50 }),
                ),
                (
                    "Snapshots",
                    "tr[data-snapshot]",
                    sbx_api::requests::ListSnapshots::METHOD,
                    serde_json::json!({ "sandbox": null, "page": 1, "limit": 50 }),
                ),
            ];
            let mut times = [Vec::new(), Vec::new()];
            for _ in 0..RENDER_VISITS {
                for ((page, rows, method, params), visits) in pages.iter().zip(&mut times) {
                    let time = render::time_page(
                        &window.client,
                        "Settings",
                        page,
                        rows,
                        50,
                        method,
                        params.clone(),
                    )
                    .await?;
                    visits.push(time);
                }
            }
            let [sandboxes, snapshots] = times.map(|visits| median_time(&visits));
            anyhow::Ok([
                ("Sandboxes, 1,000 sandboxes".to_string(), sandboxes),
                ("Snapshots, 10,000 snapshots".to_string(), snapshots),
            ])
        }
        .await;
        window.close().await;
        timed
    }
    .await;
    seed::clean(&instance).await;
    result
}

/// The median click-to-rows time and the median request time of `times` (not empty).
fn median_time(times: &[render::PageTime]) -> render::PageTime {
    render::PageTime {
        page: median(times.iter().map(|t| t.page).collect()),
        request: median(times.iter().map(|t| t.request).collect()),
    }
}

fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[values.len() / 2]
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// PSS by process name, as the median over the launches.
fn by_name(launches: &[Launch]) -> Vec<(String, u64)> {
    let mut names: Vec<String> = launches
        .iter()
        .flat_map(|l| l.processes.iter().map(|p| p.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let each = launches
                .iter()
                .map(|l| {
                    l.processes
                        .iter()
                        .filter(|p| p.name == name)
                        .map(|p| p.pss_kib)
                        .sum::<u64>()
                })
                .collect();
            (name, median(each))
        })
        .collect()
}

fn report(
    ours: &[Launch],
    base: &[Launch],
    idle: Duration,
    render: &[(String, render::PageTime); 2],
) -> Result<()> {
    let paint = |l: &[Launch]| median(l.iter().map(|l| l.first_paint).collect());
    let mounted = |l: &[Launch]| median(l.iter().map(|l| l.mounted).collect());
    let pss = |l: &[Launch]| median(l.iter().map(Launch::pss_kib).collect());
    let (our_mounted, base_mounted) = (mounted(ours), mounted(base));
    let mounted_ratio = our_mounted.as_secs_f64() / base_mounted.as_secs_f64().max(1e-9);
    let (our_paint, base_paint) = (paint(ours), paint(base));
    let (our_pss, base_pss) = (pss(ours), pss(base));
    let paint_ratio = our_paint.as_secs_f64() / base_paint.as_secs_f64().max(1e-9);
    let pss_ratio = our_pss as f64 / base_pss.max(1) as f64;
    println!(
        "\nfootprint, release builds, median of {} launches each",
        ours.len()
    );
    println!(
        "{:<40} {:>12} {:>12} {:>8} {:>8}",
        "", "app", "minimal", "ratio", "target"
    );
    for (what, app, minimal, ratio, target) in [
        (
            "time to first paint",
            our_paint,
            base_paint,
            paint_ratio,
            "1.20x",
        ),
        (
            "time to the UI mounted",
            our_mounted,
            base_mounted,
            mounted_ratio,
            "-",
        ),
    ] {
        println!(
            "{:<40} {:>9.0} ms {:>9.0} ms {:>7.2}x {:>7}",
            what,
            app.as_secs_f64() * 1000.0,
            minimal.as_secs_f64() * 1000.0,
            ratio,
            target
        );
    }
    println!(
        "{:<40} {:>8.1} MiB {:>8.1} MiB {:>7.2}x {:>7}",
        format!("PSS of the process tree after {} s", idle.as_secs()),
        mib(our_pss),
        mib(base_pss),
        pss_ratio,
        "1.25x"
    );
    for (label, launches) in [("app", ours), ("minimal", base)] {
        for (name, kib) in by_name(launches) {
            println!("{:<40} {:>8.1} MiB", format!("  {label}: {name}"), mib(kib));
        }
    }
    println!(
        "\n{:<40} {:>12} {:>12} {:>12}",
        "render", "click→rows", "request", "rest"
    );
    let mut pages = Vec::new();
    for (what, time) in render {
        let rest = time.page.saturating_sub(time.request);
        println!(
            "{:<40} {:>9.0} ms {:>9.0} ms {:>9.0} ms",
            what,
            time.page.as_secs_f64() * 1000.0,
            time.request.as_secs_f64() * 1000.0,
            rest.as_secs_f64() * 1000.0
        );
        pages.push(serde_json::json!({
            "page": what, "click_to_rows_ms": time.page.as_secs_f64() * 1000.0,
            "request_ms": time.request.as_secs_f64() * 1000.0,
        }));
    }
    let json = serde_json::json!({
        "first_paint_ms": { "app": our_paint.as_secs_f64() * 1000.0, "minimal": base_paint.as_secs_f64() * 1000.0, "ratio": paint_ratio },
        "mounted_ms": { "app": our_mounted.as_secs_f64() * 1000.0, "minimal": base_mounted.as_secs_f64() * 1000.0, "ratio": mounted_ratio },
        "pss_mib": { "app": mib(our_pss), "minimal": mib(base_pss), "ratio": pss_ratio },
        "render": pages,
    });
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/footprint.json");
    std::fs::write(&out, serde_json::to_string_pretty(&json)?)?;
    println!("\nwritten to {}", out.display());
    Ok(())
}
