//! `csep status`: a read-only look at the state folder, as JSON (and text on a
//! terminal). It never creates or changes anything.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use csep::config::Config;
use csep::guest_settings::{self, SettingsCheck};
use csep::guests::{self, Source};
use csep::home::Home;
use csep::recall::{Integrity, Store, heal};
use csep::sandbox::CONTRACT_VERSION;
use csep::timefmt::rfc3339;

/// Hook runs looked at for timings and recent errors.
const RECENT_RUNS: usize = 100;

pub fn run(home_flag: Option<&Path>, json_only: bool) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(anyhow::Error::msg)?;
    let loaded = Config::load(&home.config_path());
    let config = Config::load_or_defaults(&home.config_path()).0;
    let (policy, policy_settings) = guest(
        Source::policy(&home, &config.policy),
        config.policy.sha256.as_deref(),
        &config,
        false,
    );
    let (strategy, strategy_settings) = guest(
        Source::strategy(&home, &config.strategy),
        config.strategy.sha256.as_deref(),
        &config,
        true,
    );
    let config_json = match &loaded {
        Ok(_) => {
            let rejected = [
                ("policy", &policy_settings),
                ("strategy", &strategy_settings),
            ]
            .into_iter()
            .find_map(|(name, check)| match check {
                SettingsCheck::Rejected { message } => Some(format!(
                    "[{name}.settings] rejected by the active {name}: {message} \
                         (the bundled {name} runs with its defaults meanwhile)"
                )),
                _ => None,
            });
            let mut v = json!({
                "path": home.config_path(), "valid": rejected.is_none(),
                "policy_settings": policy_settings, "strategy_settings": strategy_settings,
            });
            if let Some(e) = rejected {
                v["error"] = json!(e);
            }
            v
        }
        Err(e) => json!({
            "path": home.config_path(), "valid": false,
            "error": format!("{e}; the hooks run on the defaults for what is broken"),
        }),
    };
    let status = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "contract_version": CONTRACT_VERSION,
        "state_dir": home.root(),
        "config": config_json,
        "policy": policy,
        "strategy": strategy,
        "drop_ins": drop_ins(&home),
        "recall": recall(&home),
        "reflection": reflection(&home, &config),
        "generated_skills": generated_skills(&home),
        "hooks": hooks(&home),
        "plugin_hooks": plugin_hooks(),
        "claude_hooks": claude_hooks(),
    });
    if json_only || !std::io::stdout().is_terminal() {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_text(&status);
    }
    Ok(ExitCode::SUCCESS)
}

/// The `.wasm` files in `policies/` and `strategies/` (`csep policy list` checks them).
fn drop_ins(home: &Home) -> Value {
    match csep::dropins::discover(home) {
        Ok(found) => Value::Array(
            found
                .iter()
                .map(|d| json!({"kind": d.kind.section(), "name": d.name, "path": d.path}))
                .collect(),
        ),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// Checks the active policy or strategy loads, and what it says of its settings,
/// without writing the compiled cache.
fn guest(
    source: Source,
    pin: Option<&str>,
    config: &Config,
    strategy: bool,
) -> (Value, SettingsCheck) {
    let name = source.name();
    let fallback = if strategy {
        "bundled strategy-default (fallback)"
    } else {
        "bundled policy-default (fallback)"
    };
    let sandbox = match guest_settings::sandbox(config, None) {
        Ok(s) => s,
        Err(e) => {
            let reason = format!("{e:#}");
            return (
                json!({"source": name, "healthy": false, "error": reason}),
                SettingsCheck::Unchecked { reason },
            );
        }
    };
    let checked = guests::load(&sandbox, &source, pin).and_then(|g| {
        if strategy {
            sandbox.strategy(&g).map(|_| g).map_err(Into::into)
        } else {
            sandbox.policy(&g).map(|_| g).map_err(Into::into)
        }
    });
    match checked {
        Ok(g) => {
            let settings = if strategy {
                guest_settings::check_strategy_guest(&sandbox, &g, config)
            } else {
                guest_settings::check_policy_guest(&sandbox, &g, config)
            };
            let v = json!({
                "source": name, "healthy": true, "sha256": g.sha256(),
                "world": g.world(), "contract_version": g.version(),
                "settings": settings,
            });
            (v, settings)
        }
        Err(e) => {
            let reason = format!("{e:#}");
            let v = json!({
                "source": name, "healthy": false, "error": reason, "in_use": fallback,
            });
            (v, SettingsCheck::Unchecked { reason })
        }
    }
}

/// Generated skills on disk for each client, with how often recall saw them used.
fn generated_skills(home: &Home) -> Value {
    let uses: std::collections::HashMap<String, (i64, Option<u64>)> =
        Store::open_readonly(&home.recall_db())
            .ok()
            .flatten()
            .and_then(|s| s.skill_uses().ok())
            .unwrap_or_default()
            .into_iter()
            .map(|(name, n, at)| (name, (n, at)))
            .collect();
    let mut skills = Vec::new();
    let mut never_used = Vec::new();
    for client in ["codex", "claude"] {
        let Some(dir) = csep::reflect::material::skills_path(client) else {
            continue;
        };
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(csep::reflect::material::SKILL_PREFIX))
            .collect();
        names.sort();
        for name in names {
            let (sessions, last) = uses.get(&name).copied().unwrap_or((0, None));
            if sessions == 0 {
                never_used.push(name.clone());
            }
            skills.push(json!({
                "client": client, "name": name, "path": dir.join(&name),
                "sessions_used": sessions, "last_used": last.map(rfc3339),
            }));
        }
    }
    json!({"skills": skills, "never_used": never_used})
}

/// Time `csep status` gives `PRAGMA quick_check` before calling it unfinished.
const QUICK_CHECK_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

fn recall(home: &Home) -> Value {
    let path = home.recall_db();
    let mut v = match Store::open_readonly(&path) {
        Ok(None) => json!({"path": path, "exists": false}),
        Ok(Some(store)) => {
            let integrity = match store.quick_check(QUICK_CHECK_BUDGET) {
                Ok(Integrity::Ok) => json!("ok"),
                Ok(Integrity::Unfinished) => json!("unfinished (a large index: checked for 2 s)"),
                Ok(Integrity::Damaged(why)) => json!(format!(
                    "damaged: {why}; run `csep recall rebuild` to move it aside and rebuild it \
                     from the transcripts on disk"
                )),
                Err(e) => json!(format!("not checked: {}", e.explain(&path))),
            };
            match store.counts() {
                Ok((sessions, messages, errors)) => json!({
                    "path": path, "exists": true, "sessions": sessions, "messages": messages,
                    "ingest_errors": errors, "integrity": integrity,
                    "bytes": std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                }),
                Err(e) => json!({
                    "path": path, "exists": true, "integrity": integrity,
                    "error": e.explain(&path),
                }),
            }
        }
        Err(e) => json!({"path": path, "exists": true, "error": e.explain(&path)}),
    };
    if let Some(damage) = heal::notice(&path) {
        v["damaged"] = json!(damage);
        v["rebuild"] = json!(if heal::rebuilding(&path) {
            "running in the background: search covers only sessions archived since the damage \
             until it ends"
        } else {
            "needed: run `csep recall rebuild`"
        });
    } else if heal::rebuilding(&path) {
        v["rebuild"] = json!("running");
    }
    let moved = heal::damaged_files(&path);
    if !moved.is_empty() {
        v["damaged_files"] = json!(moved);
    }
    if let Ok(report) = std::fs::read(path.with_file_name(heal::REPORT))
        && let Ok(report) = serde_json::from_slice::<Value>(&report)
    {
        v["last_rebuild"] = json!({
            "finished_at": report["finished_at"], "transcripts": report["transcripts"],
            "new_sessions": report["new_sessions"], "error_count": report["error_count"],
        });
    }
    v
}

fn reflection(home: &Home, config: &Config) -> Value {
    match csep::reflect::status::collect(home, config) {
        Ok(mut s) => {
            s.jobs.truncate(20);
            let failed: Vec<_> = s
                .jobs
                .iter()
                .filter(|j| j.status == csep::jobs::Status::Failed)
                .collect();
            let mut v = json!({
                "jobs_dir": s.jobs_dir,
                "counts": s.counts,
                "failed_recent": failed,
                "latest": s.latest,
                "usage_today": s.usage_today,
                "max_calls_per_day": s.max_calls_per_day,
                "unreadable_jobs": s.unreadable,
                "state_size": s.state_size,
            });
            if let Some(receipt) = s.jobs.iter().find_map(|j| j.receipt.clone()) {
                v["last_receipt"] = json!(receipt);
            }
            v
        }
        Err(e) => json!({"error": e}),
    }
}

fn hooks(home: &Home) -> Value {
    let path = home.logs_dir().join("hooks.jsonl");
    let records: Vec<Value> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut out = serde_json::Map::new();
    for hook in ["session-start", "session-stop"] {
        let runs: Vec<&Value> = records
            .iter()
            .filter(|r| r["hook"] == hook)
            .rev()
            .take(RECENT_RUNS)
            .collect();
        let mut ms: Vec<f64> = runs.iter().filter_map(|r| r["ms"].as_f64()).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms.get(((ms.len().max(1) - 1) as f64 * q) as usize).copied();
        let errors: Vec<&Value> = runs
            .iter()
            .filter(|r| r["ok"] == false)
            .take(5)
            .copied()
            .collect();
        let problems: Vec<Value> = runs
            .iter()
            .filter_map(|r| {
                let list = r["problems"].as_array()?;
                Some(json!({"at": r["at"], "problems": list}))
            })
            .take(5)
            .collect();
        out.insert(
            hook.to_string(),
            json!({
                "runs": runs.len(), "median_ms": at(0.5), "p95_ms": at(0.95),
                "failures": runs.iter().filter(|r| r["ok"] == false).count(),
                "recent_errors": errors,
                "recent_problems": problems,
                "last": runs.first(),
            }),
        );
    }
    out.insert("log".into(), json!(path));
    Value::Object(out)
}

/// Whether Codex has the plugin, enables it, and trusts its hooks (an untrusted or
/// modified hook is skipped by Codex without a word).
fn plugin_hooks() -> Value {
    use csep::codex_trust::{PLUGIN_HOOKS_JSON, declared_hashes};
    let Some(codex_home) = csep::home::codex_home() else {
        return json!({"codex_home": null});
    };
    let config_path = codex_home.join("config.toml");
    let config: toml::Table = match std::fs::read_to_string(&config_path) {
        Ok(text) => match text.parse() {
            Ok(t) => t,
            Err(e) => return json!({"codex_config": config_path, "error": e.to_string()}),
        },
        Err(_) => toml::Table::new(),
    };
    let hooks_feature = config
        .get("features")
        .and_then(|f| f.get("hooks"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    let declared: Value = serde_json::from_str(PLUGIN_HOOKS_JSON).unwrap_or_default();
    let mut installs = Vec::new();
    for (key, entry) in config
        .get("plugins")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten()
    {
        let Some(marketplace) = key.strip_prefix("csep@") else {
            continue;
        };
        let enabled = entry
            .get("enabled")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false);
        let cache = codex_home
            .join("plugins/cache")
            .join(marketplace)
            .join("csep");
        let mut versions: Vec<PathBuf> = std::fs::read_dir(&cache)
            .into_iter()
            .flatten()
            .flatten()
            .map(|v| v.path())
            .filter(|v| v.join(".codex-plugin/plugin.json").is_file())
            .collect();
        versions.sort();
        let manifest_exists = !versions.is_empty();
        // The hooks Codex runs are the installed copy's (setup writes absolute
        // commands there); the embedded declaration stands in when there is none.
        let installed: Option<Value> = versions
            .last()
            .and_then(|v| std::fs::read_to_string(v.join("hooks/hooks.json")).ok())
            .and_then(|t| serde_json::from_str(&t).ok());
        let hooks_json = installed.as_ref().unwrap_or(&declared);
        let mut trust = serde_json::Map::new();
        for (hook_key, event, hash) in
            declared_hashes(hooks_json, &format!("csep@{marketplace}:hooks/hooks.json"))
        {
            let stored = config
                .get("hooks")
                .and_then(|h| h.get("state"))
                .and_then(|s| s.get(&hook_key))
                .and_then(|s| s.get("trusted_hash"))
                .and_then(toml::Value::as_str);
            let state = match stored {
                Some(h) if h == hash => "trusted",
                Some(_) => "modified",
                None => "untrusted",
            };
            trust.insert(
                event,
                json!({"key": hook_key, "status": state, "expected_hash": hash}),
            );
        }
        let runs = enabled && hooks_feature && trust.values().all(|t| t["status"] == "trusted");
        installs.push(json!({
            "plugin": key, "enabled": enabled, "manifest_exists": manifest_exists,
            "session_start_declared": trust.contains_key("SessionStart"),
            "stop_declared": trust.contains_key("Stop"),
            "trust": trust, "codex_will_run_hooks": runs,
        }));
    }
    json!({
        "codex_config": config_path,
        "hooks_feature_enabled": hooks_feature,
        "installs": installs,
    })
}

/// Whether Claude Code's settings run csep's hooks (Claude Code has no trust step:
/// hooks in the user's settings run as written, unless `disableAllHooks`).
fn claude_hooks() -> Value {
    let Some(dir) = csep::home::claude_home() else {
        return json!({"settings": null});
    };
    let path = dir.join("settings.json");
    let settings: Value = match std::fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => return json!({"settings": path, "error": e.to_string()}),
        },
        Err(_) => return json!({"settings": path, "exists": false}),
    };
    let declared = |event: &str, sub: &str| {
        settings["hooks"][event]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["hooks"].as_array().into_iter().flatten())
            .filter_map(|h| h["command"].as_str())
            .any(|c| c.contains("csep") && c.contains(sub))
    };
    let disabled = settings["disableAllHooks"] == true;
    let start = declared("SessionStart", "session-start");
    let stop = declared("Stop", "session-stop");
    json!({
        "settings": path, "exists": true,
        "session_start_declared": start, "stop_declared": stop,
        "all_hooks_disabled": disabled,
        "claude_will_run_hooks": start && stop && !disabled,
    })
}

fn print_text(s: &Value) {
    println!(
        "csep {} (contract {})",
        s["version"].as_str().unwrap_or(""),
        s["contract_version"].as_str().unwrap_or("")
    );
    println!("state      {}", s["state_dir"].as_str().unwrap_or(""));
    let c = &s["config"];
    println!(
        "config     {} ({})",
        c["path"].as_str().unwrap_or(""),
        if c["valid"] == true {
            "valid".to_string()
        } else {
            format!("INVALID: {}", c["error"].as_str().unwrap_or(""))
        }
    );
    let p = &s["policy"];
    println!(
        "policy     {} ({})",
        p["source"].as_str().unwrap_or(""),
        if p["settings"]["status"] == "rejected" {
            format!(
                "REJECTS its settings, the bundled one decides with its defaults: {}",
                p["settings"]["message"].as_str().unwrap_or("")
            )
        } else if p["healthy"] == true {
            "healthy".to_string()
        } else {
            format!(
                "BROKEN, using the bundled one: {}",
                p["error"].as_str().unwrap_or("")
            )
        }
    );
    let r = &s["recall"];
    if let Some(e) = r["error"].as_str() {
        println!("recall     BROKEN: {e}");
    } else if r["exists"] == true {
        println!(
            "recall     {} sessions, {} messages, {} ingest errors, integrity {}",
            r["sessions"],
            r["messages"],
            r["ingest_errors"],
            r["integrity"].as_str().unwrap_or("?")
        );
    } else {
        println!("recall     no index yet (csep recall bootstrap)");
    }
    if let Some(d) = r["damaged"].as_object() {
        println!(
            "           the index was damaged at {} and moved to {}; rebuild {}",
            d["at"].as_str().unwrap_or(""),
            d["moved_to"].as_str().unwrap_or(""),
            r["rebuild"].as_str().unwrap_or("")
        );
    }
    println!(
        "reflection {} (csep session-reflect --status for each job)",
        s["reflection"]["counts"]
    );
    let size = &s["reflection"]["state_size"];
    if let Some(parts) = size["parts"].as_object() {
        let mib = |v: &Value| v["bytes"].as_u64().unwrap_or(0) as f64 / 1_048_576.0;
        let listed: Vec<String> = parts
            .iter()
            .map(|(name, v)| format!("{name} {:.1}", mib(v)))
            .collect();
        println!(
            "state      {:.1} MiB in {} files ({} MiB)",
            mib(&size["total"]),
            size["total"]["files"],
            listed.join(", ")
        );
    }
    let installs = s["plugin_hooks"]["installs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if installs.is_empty() {
        println!(
            "codex      the csep plugin is not installed in {}",
            s["plugin_hooks"]["codex_config"]
                .as_str()
                .unwrap_or("Codex")
        );
    }
    for i in &installs {
        println!(
            "codex      {} enabled={} hooks run: {}",
            i["plugin"].as_str().unwrap_or(""),
            i["enabled"],
            i["codex_will_run_hooks"]
        );
    }
    let c = &s["claude_hooks"];
    if c["exists"] == true {
        println!(
            "claude     hooks in {}: run: {}",
            c["settings"].as_str().unwrap_or(""),
            c["claude_will_run_hooks"]
        );
    }
    let st = &s["strategy"];
    println!(
        "strategy   {} ({})",
        st["source"].as_str().unwrap_or(""),
        if st["healthy"] == true {
            "healthy".to_string()
        } else {
            format!(
                "BROKEN, using the bundled one: {}",
                st["error"].as_str().unwrap_or("")
            )
        }
    );
    if let Some(found) = s["drop_ins"].as_array()
        && !found.is_empty()
    {
        let names: Vec<String> = found
            .iter()
            .map(|d| {
                format!(
                    "{} {}",
                    d["kind"].as_str().unwrap_or(""),
                    d["name"].as_str().unwrap_or("")
                )
            })
            .collect();
        println!("drop-ins   {} (csep policy list)", names.join(", "));
    }
    if let Some(never) = s["generated_skills"]["never_used"].as_array()
        && !never.is_empty()
    {
        println!(
            "skills     generated but never used: {}",
            Value::Array(never.clone())
        );
    }
    for hook in ["session-start", "session-stop"] {
        let h = &s["hooks"][hook];
        println!(
            "{hook:<14} {} runs, median {} ms, p95 {} ms, {} failed",
            h["runs"], h["median_ms"], h["p95_ms"], h["failures"]
        );
        for e in h["recent_errors"].as_array().into_iter().flatten() {
            println!(
                "    {} {}",
                e["at"].as_str().unwrap_or(""),
                e["error"].as_str().unwrap_or("")
            );
        }
        for p in h["recent_problems"].as_array().into_iter().flatten() {
            for line in p["problems"].as_array().into_iter().flatten() {
                println!(
                    "    {} {}",
                    p["at"].as_str().unwrap_or(""),
                    line.as_str().unwrap_or("")
                );
            }
        }
    }
}
