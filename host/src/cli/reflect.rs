//! `csep session-reflect`: run a queued reflection job (what the Stop hook starts,
//! detached), run every pending job, or list jobs with their outcomes.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::output::{Failure, OutputArgs};
use csep::config::Config;
use csep::home::Home;
use csep::jobs::JobError;
use csep::reflect::status;
use csep::reflect::worker::{self, Ran, WorkerError};

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["job", "pending", "status", "prune", "hook_payload"])))]
pub struct ReflectArgs {
    /// Run this job (a file name under session_reflection/jobs/, without `.json`).
    #[arg(long, value_name = "ID")]
    job: Option<String>,
    /// After the job, go on with other queued jobs (what the Stop hook asks for).
    #[arg(long, requires = "job")]
    and_pending: bool,
    /// Run every queued, deferred or orphaned job.
    #[arg(long)]
    pending: bool,
    /// List jobs (queued, running, finished, failed) with their reasons.
    #[arg(long)]
    status: bool,
    /// Remove what the [retention] settings no longer keep (the worker also does
    /// this on its own, at most once an hour).
    #[arg(long)]
    prune: bool,
    /// The original's form: a saved Stop hook payload. Does what the Stop hook
    /// does with it (archive, ask the trigger policy, queue a job when it says so)
    /// and runs the queued job here, in the foreground, instead of detached.
    #[arg(long, value_name = "FILE")]
    hook_payload: Option<std::path::PathBuf>,
    #[command(flatten)]
    out: OutputArgs,
}

pub fn run(args: ReflectArgs, home: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home)?;
    let json = args.out.json();
    let model = &csep::reflect::provider_setup::model;
    if args.status {
        let config = Config::load(&home.config_path())?;
        let s = status::collect(&home, &config)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&s)?);
        } else {
            print!("{s}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.prune {
        let config = Config::load(&home.config_path())?;
        let pruned =
            csep::reflect::retention::prune(&home, &config.retention, csep::timefmt::now_ms())?;
        if json {
            println!("{}", serde_json::to_string_pretty(&pruned)?);
        } else {
            println!(
                "removed {} run folder(s), cleared {} more, {} job file(s), {} trigger state folder(s): {} bytes",
                pruned.runs, pruned.runs_cleared, pruned.jobs, pruned.triggers, pruned.bytes
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.pending {
        let ran = worker::run_all_pending(&home, model)?;
        if json {
            println!("{}", serde_json::json!({"ran": ran}));
        } else {
            println!("ran {ran} job(s)");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let id = match (&args.hook_payload, args.job) {
        (Some(payload), _) => match super::legacy::queue_from_payload(&home, payload)? {
            (Some(id), _) => id,
            (None, summary) => {
                // Nothing queued: say why, as the original printed its enqueue result.
                if json {
                    println!("{}", serde_json::to_string_pretty(&summary)?);
                } else {
                    println!("no job queued: {}", super::legacy::why_not_queued(&summary));
                }
                return Ok(ExitCode::SUCCESS);
            }
        },
        (None, job) => job.expect("clap requires one of job, pending, status"),
    };
    let ran = worker::run(&home, &id, args.and_pending, model).map_err(|e| match e {
        WorkerError::Job(JobError::NotFound { .. }) => {
            Failure::not_found("unknown-job", e.to_string())
                .hint("`csep session-reflect --status` lists the jobs")
                .into()
        }
        WorkerError::Job(JobError::BadId(_)) => Failure::usage("bad-job-id", e.to_string()).into(),
        other => anyhow::Error::from(other),
    })?;
    let (job, note) = match ran {
        Ran::Done(job) => (job, None),
        Ran::Busy(job) => (job, Some("another worker is running this job")),
        Ran::Waiting(job) => (
            job,
            Some(
                "every worker slot is busy (reflection.max_concurrent_workers): the job stays queued and the running worker takes it next",
            ),
        ),
    };
    if json {
        if let Some(note) = note {
            eprintln!("csep: {note}");
        }
        println!("{}", serde_json::to_string_pretty(&job)?);
    } else {
        println!("job {}: {}", job.job_id, job.status.name());
        for line in [job.reason.as_deref(), job.outcome.as_deref(), note]
            .into_iter()
            .flatten()
        {
            println!("  {line}");
        }
        if let Some(r) = &job.receipt {
            println!("  receipt: {}", r.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
