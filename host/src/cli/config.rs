//! `csep config path | show | validate`: read-only views of `config.toml`.

use std::path::Path;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;

use csep::config::{Config, DEFAULT_TOML};
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
    /// Checks the file; exits 1 with the file, line and key when it is not valid.
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
            let result = Config::load(&path);
            let exists = path.exists();
            if json {
                let v = match &result {
                    Ok(_) => json!({"path": path, "exists": exists, "valid": true}),
                    Err(e) => {
                        json!({"path": path, "exists": exists, "valid": false, "error": e.to_string()})
                    }
                };
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                match &result {
                    Ok(_) if exists => println!("{} is valid", path.display()),
                    Ok(_) => println!("{} does not exist: the defaults apply", path.display()),
                    Err(e) => eprintln!("csep: {e}"),
                }
            }
            if result.is_err() {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
