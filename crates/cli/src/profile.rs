//! `sbx profile …`: sandbox profiles — create and edit the draft, test it, publish it (a version and its snapshot
//! job), refresh a version, list, show, read a job's output, delete. `--wait` runs a queued job here when no
//! background runner (the app, `sbx serve`) is alive, printing its output as it grows; the exit code is then 0 only
//! when the job ends ready (or a refresh was skipped as unchanged: the snapshot is ready as it is).

use clap::{Args, Subcommand};
use sbx_api::{
    ApiError, Profile, ProfileJob, ProfileJobStatus, ProfileRecipe, ProfileRequest,
    RefreshProfileRequest, TestProfileRequest,
};
use sbx_core::Core;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use crate::output;
use crate::sandbox::current_dir;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Create a profile; its recipe is the draft of version 1.
    Create(RecipeArgs),
    /// Change a profile's draft (started from its newest version if it has none) or its refresh schedule.
    Edit(RecipeArgs),
    /// Create a sandbox from the draft that runs its setup script, to try it before publishing.
    Test(TestArgs),
    /// Publish the draft as the next version and queue its snapshot job.
    Publish(PublishArgs),
    /// Queue a new snapshot job for a published version (NAME: the newest).
    Refresh(RefreshArgs),
    /// List profiles.
    List(JsonArg),
    /// Show a profile: its schedule, draft and versions, each with its snapshot status and whether it is usable.
    Show(NameArgs),
    /// Print the output of a version's newest snapshot job (NAME: the newest version).
    Logs(LogsArgs),
    /// Delete a profile: its draft, versions, jobs and images (sandboxes launched from it keep running).
    Delete(DeleteArgs),
}

/// The recipe's flags, as `sbx sandbox create` has them.
#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  sbx profile create web --preset coder --setup-script ./install.sh --env NODE_ENV=development
  sbx profile create tools --image ubuntu:24.04 --refresh-schedule '0 3 * * 1'
  sbx profile edit web --cpus 4 --memory 8192
  sbx profile edit web --refresh-schedule base-image")]
pub struct RecipeArgs {
    /// The profile: 1-40 lowercase letters, digits and hyphens.
    name: String,
    /// Preset image definition (default: the app's default preset).
    #[arg(long, value_name = "NAME", conflicts_with = "image")]
    preset: Option<String>,
    /// A custom image instead of a preset.
    #[arg(long, value_name = "IMAGE")]
    image: Option<String>,
    /// Setup script, run once when a version's snapshot is made (not when sandboxes launch from it).
    #[arg(long, value_name = "FILE")]
    setup_script: Option<String>,
    /// Environment variable (repeatable; given, they replace the draft's).
    #[arg(long = "env", value_name = "K=V")]
    env: Vec<String>,
    /// A variable among --env to keep secret (repeatable; names like *_TOKEN are secret anyway).
    #[arg(long = "secret", value_name = "NAME")]
    secret: Vec<String>,
    /// Publish a port (repeatable; given, they replace the draft's); container ports 60899-60999 are reserved.
    #[arg(long = "port", value_name = "HOST:CONTAINER[/udp]")]
    ports: Vec<String>,
    /// CPU limit, 1-32.
    #[arg(long, value_name = "N")]
    cpus: Option<u32>,
    /// Memory limit in MiB, 128-32768.
    #[arg(long, value_name = "MIB")]
    memory: Option<u32>,
    /// Launched sandboxes stop after this many idle minutes (0-10080, 0 disables).
    #[arg(long, value_name = "MIN")]
    auto_stop: Option<u32>,
    /// Launched sandboxes are deleted this many minutes after stopping (0-10080).
    #[arg(long, value_name = "MIN")]
    auto_delete: Option<u32>,
    /// When the newest version is refreshed: manual, base-image (when the base image changes) or a five-field cron
    /// expression.
    #[arg(long, value_name = "CRON")]
    refresh_schedule: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// The profile.
    name: String,
    /// Name of the test sandbox (generated when omitted).
    #[arg(long = "sandbox", value_name = "NAME")]
    sandbox: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The profile.
    name: String,
    /// Wait until the snapshot job ends (running it here when no background runner is alive); exit 0 only when it
    /// ends ready.
    #[arg(long)]
    wait: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// NAME (its newest version) or NAME@N.
    profile: String,
    /// Wait until the snapshot job ends (running it here when no background runner is alive); exit 0 only when it
    /// ends ready.
    #[arg(long)]
    wait: bool,
    /// Make the snapshot again even when the recipe and the base image did not change.
    #[arg(long)]
    force: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Only `--json`.
#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The profile.
    name: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// NAME (its newest version) or NAME@N.
    profile: String,
    /// Keep printing the output until the job ends.
    #[arg(long, short = 'f')]
    follow: bool,
    /// Print the job and its output as JSON.
    #[arg(long, conflicts_with = "follow")]
    json: bool,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The profile.
    name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
}

pub async fn run(core: &Arc<Core>, command: ProfileCommand) -> Result<ExitCode, ApiError> {
    match command {
        ProfileCommand::Create(args) => {
            let json = args.json;
            let profile = core.create_profile(&recipe_request(args, true)).await?;
            print_profile(&profile, json, "created")
        }
        ProfileCommand::Edit(args) => {
            let json = args.json;
            let profile = core.edit_profile(&recipe_request(args, false)).await?;
            print_profile(&profile, json, "changed")
        }
        ProfileCommand::Test(args) => {
            let request = TestProfileRequest {
                profile: args.name,
                name: args.sandbox,
            };
            let sandbox = core.test_profile(&request).await?;
            let sandbox = core
                .wait_until_ready(&sandbox.name, std::time::Duration::from_secs(3600))
                .await?;
            crate::sandbox::ready(core, sandbox, false, args.json, "created").await
        }
        ProfileCommand::Publish(args) => {
            let job = core.publish_profile(&args.name).await?;
            finish(core, job, args.wait, args.json).await
        }
        ProfileCommand::Refresh(args) => {
            let request = RefreshProfileRequest {
                profile: args.profile,
                force: args.force,
            };
            let job = core.refresh_profile(&request).await?;
            finish(core, job, args.wait, args.json).await
        }
        ProfileCommand::List(args) => list(core, args.json).await,
        ProfileCommand::Show(args) => {
            let profile = core.get_profile(&args.name).await?;
            print_profile(&profile, args.json, "")
        }
        ProfileCommand::Logs(args) => logs(core, args).await,
        ProfileCommand::Delete(args) => delete(core, args).await,
    }
}

/// The create or edit request of the flags (`create`: the whole recipe).
fn recipe_request(args: RecipeArgs, create: bool) -> ProfileRequest {
    let some = |list: Vec<String>| (!list.is_empty() || create).then_some(list);
    ProfileRequest {
        name: args.name,
        preset: args.preset,
        image: args.image,
        setup_script: args.setup_script,
        setup_script_text: None,
        env: some(args.env),
        secret_env: args.secret,
        ports: some(args.ports),
        cpus: args.cpus,
        memory_mib: args.memory,
        auto_stop_minutes: args.auto_stop,
        auto_delete_minutes: args.auto_delete,
        refresh_schedule: args.refresh_schedule,
        replace: false,
        cwd: current_dir(),
    }
}

/// Print a queued job, or wait for it (`--wait`) and exit by how it ended.
async fn finish(
    core: &Arc<Core>,
    job: ProfileJob,
    wait: bool,
    json: bool,
) -> Result<ExitCode, ApiError> {
    if job.status == ProfileJobStatus::Unchanged {
        return print_job(&job, json, true);
    }
    if !wait {
        if !json {
            let runner = core.lease_holder(sbx_core::runner::RUNNER_LEASE).await?;
            println!(
                "queued snapshot job {} for {}@{}",
                job.id, job.profile, job.version
            );
            if runner.is_none() {
                println!(
                    "no background runner is alive: it runs when the app or `sbx serve` starts, or now with --wait"
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        return print_job(&job, json, true);
    }
    let mut stderr = std::io::stderr();
    let ended = core
        .wait_profile_job(&job.id, true, |text| {
            let _ = stderr.write_all(text.as_bytes());
            let _ = stderr.flush();
        })
        .await?;
    print_job(&ended, json, ended.status == ProfileJobStatus::Ready)
}

/// Print a job (`ok`: exit 0, else 1).
fn print_job(job: &ProfileJob, json: bool, ok: bool) -> Result<ExitCode, ApiError> {
    if json {
        output::json(job)?;
    } else {
        let what = format!("snapshot job {} of {}@{}", job.id, job.profile, job.version);
        match (job.status, &job.error, &job.image) {
            (_, Some(error), _) => println!("{what}: {}: {error}", job.status),
            (_, None, Some(image)) => println!("{what}: {} ({image})", job.status),
            _ => println!("{what}: {}", job.status),
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn list(core: &Core, json: bool) -> Result<ExitCode, ApiError> {
    let profiles = core.list_profiles().await?;
    if json {
        output::json(&profiles)?;
        return Ok(ExitCode::SUCCESS);
    }
    if profiles.is_empty() {
        println!(
            "No profiles yet. Create one with: sbx profile create NAME --preset coder --setup-script FILE"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = profiles
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.newest_usable()
                    .map(|v| format!("v{}", v.number))
                    .unwrap_or_else(|| "-".into()),
                p.newest()
                    .map(|v| format!("v{} {}", v.number, v.status))
                    .unwrap_or_else(|| "draft only".into()),
                output::or_dash(p.last_refreshed.map(|t| output::date(&t)).as_deref()),
                p.refresh_schedule.describe(),
            ]
        })
        .collect();
    output::table(
        &["NAME", "USABLE", "SNAPSHOT", "LAST REFRESHED", "SCHEDULE"],
        &rows,
    );
    Ok(ExitCode::SUCCESS)
}

/// Print a profile: facts, the draft's recipe, the versions.
fn print_profile(profile: &Profile, json: bool, verb: &str) -> Result<ExitCode, ApiError> {
    if json {
        output::json(&masked(profile.clone()))?;
        return Ok(ExitCode::SUCCESS);
    }
    if !verb.is_empty() {
        println!("{verb} profile {}", profile.name);
    }
    output::facts(&[
        ("name", profile.name.clone()),
        ("schedule", profile.refresh_schedule.describe()),
        ("created", output::date(&profile.created_at)),
        (
            "last refreshed",
            output::or_dash(profile.last_refreshed.map(|t| output::date(&t)).as_deref()),
        ),
        (
            "usable",
            profile
                .newest_usable()
                .map(|v| format!("version {}", v.number))
                .unwrap_or_else(|| "no version yet".into()),
        ),
    ]);
    if let Some(draft) = &profile.draft {
        println!();
        match draft.based_on {
            Some(n) => println!("draft (from version {n}, not published):"),
            None => println!("draft (not published):"),
        }
        recipe_facts(&draft.recipe);
    }
    println!();
    if profile.versions.is_empty() {
        println!(
            "no published version: publish the draft with `sbx profile publish {}`",
            profile.name
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = profile
        .versions
        .iter()
        .map(|v| {
            let last = v.last_job.as_ref().map(|j| {
                let when = j.finished_at.unwrap_or(j.queued_at);
                format!("{} {} ({})", j.trigger, j.status, output::date(&when))
            });
            vec![
                format!("{}", v.number),
                output::date(&v.published_at),
                v.status.to_string(),
                if v.usable { "yes" } else { "no" }.to_string(),
                output::or_dash(last.as_deref()),
            ]
        })
        .collect();
    output::table(
        &["VERSION", "PUBLISHED", "SNAPSHOT", "USABLE", "LAST JOB"],
        &rows,
    );
    for version in &profile.versions {
        if let Some(reason) = &version.unusable_reason {
            println!("  {reason}");
        }
        if let Some(job) = &version.last_job
            && version.usable
            && job.status == ProfileJobStatus::Failed
        {
            println!(
                "  version {}: the last refresh failed ({}); it still launches from its snapshot",
                version.number,
                job.error.as_deref().unwrap_or("no reason")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A recipe's values as `key  value` lines.
fn recipe_facts(recipe: &ProfileRecipe) {
    let env: Vec<String> = recipe
        .env
        .iter()
        .map(|v| {
            if v.secret {
                format!("{}={}", v.name, output::MASK)
            } else {
                format!("{}={}", v.name, v.value)
            }
        })
        .collect();
    let script = recipe
        .setup_script
        .as_ref()
        .map(|s| format!("{} lines", s.lines().count()));
    output::facts(&[
        (
            "  image",
            recipe
                .image
                .clone()
                .or(recipe.preset.as_ref().map(|p| format!("preset {p}")))
                .unwrap_or_default(),
        ),
        ("  setup script", output::or_dash(script.as_deref())),
        (
            "  env",
            output::or_dash(Some(env.join(" ")).filter(|e| !e.is_empty()).as_deref()),
        ),
        ("  ports", output::ports(&recipe.ports)),
        (
            "  cpus",
            output::or_dash(recipe.cpus.map(|c| c.to_string()).as_deref()),
        ),
        (
            "  memory",
            output::or_dash(recipe.memory_mib.map(|m| format!("{m} MiB")).as_deref()),
        ),
    ]);
}

/// Secret values masked, as everywhere the CLI prints.
fn masked(mut profile: Profile) -> Profile {
    let mask = |recipe: &mut ProfileRecipe| {
        for var in recipe.env.iter_mut().filter(|v| v.secret) {
            var.value = output::MASK.to_string();
        }
    };
    if let Some(draft) = &mut profile.draft {
        mask(&mut draft.recipe);
    }
    for version in &mut profile.versions {
        mask(&mut version.recipe);
    }
    profile
}

async fn logs(core: &Arc<Core>, args: LogsArgs) -> Result<ExitCode, ApiError> {
    let (name, number) = sbx_api::rules::profile_ref(&args.profile)?;
    let profile = core.get_profile(&name).await?;
    let version = match number {
        Some(n) => profile.versions.iter().find(|v| v.number == n),
        None => profile.newest(),
    }
    .ok_or_else(|| {
        ApiError::invalid(
            sbx_api::Field::Profile,
            &args.profile,
            "no such published version",
        )
    })?;
    let job = version.last_job.as_ref().ok_or_else(|| {
        ApiError::conflict(format!(
            "version {} of profile '{name}' has no snapshot job",
            version.number
        ))
    })?;
    if args.json {
        output::json(&core.profile_job(&job.id).await?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !args.follow {
        print!("{}", core.profile_job(&job.id).await?.output);
        let _ = std::io::stdout().flush();
        return Ok(ExitCode::SUCCESS);
    }
    let mut stdout = std::io::stdout();
    let ended = core
        .wait_profile_job(&job.id, false, |text| {
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        })
        .await?;
    eprintln!("job {} ended {}", ended.id, ended.status);
    Ok(ExitCode::SUCCESS)
}

async fn delete(core: &Core, args: DeleteArgs) -> Result<ExitCode, ApiError> {
    let profile = core.get_profile(&args.name).await?;
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(ApiError::conflict(format!(
                "deleting profile '{}' removes its draft, {} version(s), their jobs and images: confirm with --yes",
                args.name,
                profile.versions.len()
            )));
        }
        eprint!(
            "Delete profile '{}' with its draft, {} version(s), their jobs and images? Sandboxes launched from it keep running. [y/N] ",
            args.name,
            profile.versions.len()
        );
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            println!("kept profile {}", args.name);
            return Ok(ExitCode::FAILURE);
        }
    }
    core.delete_profile(&args.name).await?;
    println!("deleted profile {}", args.name);
    Ok(ExitCode::SUCCESS)
}
