//! The part of `csep setup` that chooses how reflection reaches a model: with the
//! user's Codex login (`codex exec`), or none. Asked on a terminal when Codex is
//! logged in and the config says nothing yet; `--reflect-with` otherwise.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use csep::config::Config;
use csep::home::Home;
use csep::reflect::provider_setup::{self, ReflectWith};

/// `codex`: `Some(true)` for Codex, `Some(false)` for none, `None` to ask or offer.
/// With `quiet` (JSON output) nothing is printed or asked: only a given choice is recorded.
pub fn offer(
    home_flag: Option<&Path>,
    codex: Option<bool>,
    dry_run: bool,
    quiet: bool,
) -> anyhow::Result<()> {
    let home = Home::resolve(home_flag)?;
    let (config, _) = Config::load_or_defaults(&home.config_path());
    let choice = match codex {
        Some(true) => ReflectWith::Codex,
        Some(false) => ReflectWith::None,
        None if quiet => return Ok(()),
        None => {
            if !provider_setup::codex_logged_in() || provider_setup::choice_recorded(&home) {
                return Ok(());
            }
            let cost = provider_setup::codex_cost(&config);
            let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
            if !interactive || dry_run {
                println!(
                    "\nCodex is logged in: `csep setup --reflect-with codex` lets reflection use it; \
                     {cost}. `--reflect-with none` keeps reflection without a model."
                );
                return Ok(());
            }
            print!("\nReflect with your Codex login? {cost}. [y/N] ");
            std::io::stdout().flush()?;
            let mut answer = String::new();
            std::io::stdin().lock().read_line(&mut answer)?;
            if matches!(answer.trim().to_lowercase().as_str(), "y" | "yes") {
                ReflectWith::Codex
            } else {
                ReflectWith::None
            }
        }
    };
    let changed = provider_setup::record_choice(&home, choice, dry_run)?;
    let what = match choice {
        ReflectWith::Codex => format!(
            "reflection through Codex (`codex exec`, model {}); {}",
            provider_setup::CODEX_REFLECTION_MODEL,
            provider_setup::codex_cost(&config)
        ),
        ReflectWith::None => "reflection without a model".to_string(),
    };
    let how = match (changed, dry_run) {
        (false, _) => "already recorded",
        (true, true) => "would be recorded",
        (true, false) => "recorded",
    };
    if !quiet {
        println!("{what}: {how} in {}", home.config_path().display());
    }
    Ok(())
}
