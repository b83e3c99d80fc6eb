//! `config.toml`, through `csep::config::Config::parse`.
//!
//! Properties: parsing never panics; a config that parses can be written back
//! as TOML, and that text parses to the same config (written the same way).
#![no_main]

use csep::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = Config::parse(text) else {
        return;
    };
    let written = toml::to_string(&config).expect("a parsed config serializes");
    let again = Config::parse(&written)
        .unwrap_or_else(|e| panic!("the written config does not parse: {e}\n{written}"));
    let rewritten = toml::to_string(&again).expect("a parsed config serializes");
    assert_eq!(written, rewritten, "the config changed on a round trip");
    // The settings a guest receives survive the round trip too (compared as
    // text, so a `nan` setting equals itself).
    let shown = |c: &Config| format!("{:?} {:?}", c.policy_settings(), c.strategy_settings());
    assert_eq!(shown(&config), shown(&again));
});
