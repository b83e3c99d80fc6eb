//! `csep config path | show | validate`: read-only views of `config.toml`.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;

use csep::config::{Config, DEFAULT_TOML};
use csep::guest_settings::{self, SettingsCheck};
use csep::home::Home;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Where the config file is (it need not exist).
    Path,
    /// The configuration in effect (defaults plus the file), as TOML.
    Show {
        /// The commented default file instead, to start one from.
        #[arg(long)]
        default: bool,
    },
    /// Checks the file, and the policy's and strategy's settings with the guests
    /// they belong to; exits 1 naming the file, line and key when it is not valid.
    Validate {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: ConfigCommand, home_flag: Option<&Path>) -> anyhow::Result<ExitCode> {
    let home = Home::resolve(home_flag).map_err(anyhow::Error::msg)?;
    let path = home.config_path();
    match cmd {
        ConfigCommand::Path => println!("{}", path.display()),
        ConfigCommand::Show { default: true } => print!("{DEFAULT_TOML}"),
        ConfigCommand::Show { default: false } => {
            let config = Config::load(&path)?;
            println!(
                "# in effect: {} (defaults where it is silent)",
                path.display()
            );
            print!("{}", toml::to_string(&config)?);
        }
        ConfigCommand::Validate { json } => {
            let exists = path.exists();
            let result = Config::load(&path).map_err(|e| e.to_string()).and_then(|config| {
                // The file parses: the guests judge their own settings.
                // The compiled-code cache, when the hooks have made one already.
                let cache = home.wasm_cache_dir();
                let cache = cache.is_dir().then_some(cache.as_path());
                let policy = guest_settings::check_policy(&home, &config, cache);
                let strategy = guest_settings::check_strategy(&home, &config, cache);
                match (&policy, &strategy) {
                    (SettingsCheck::Rejected { message }, _) => Err(format!(
                        "{} is not valid: [policy.settings] rejected by the active policy: {message}",
                        path.display()
                    )),
                    (_, SettingsCheck::Rejected { message }) => Err(format!(
                        "{} is not valid: [strategy.settings] rejected by the active strategy: {message}",
                        path.display()
                    )),
                    _ => Ok((policy, strategy)),
                }
            });
            if json {
                let v = match &result {
                    Ok((policy, strategy)) => json!({
                        "path": path, "exists": exists, "valid": true,
                        "policy_settings": policy, "strategy_settings": strategy,
                    }),
                    Err(e) => json!({"path": path, "exists": exists, "valid": false, "error": e}),
                };
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                match &result {
                    Ok(_) if exists => println!("{} is valid", path.display()),
                    Ok(_) => println!("{} does not exist: the defaults apply", path.display()),
                    Err(e) => eprintln!("csep: {e}"),
                }
                if let Ok((policy, strategy)) = &result {
                    for (name, check) in [("policy", policy), ("strategy", strategy)] {
                        if let SettingsCheck::Unchecked { reason } = check {
                            println!(
                                "  [{name}.settings] not checked: the {name} cannot run ({reason})"
                            );
                        }
                    }
                }
            }
            if result.is_err() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
