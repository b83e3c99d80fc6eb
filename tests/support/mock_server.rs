//! A loopback mock model server (a script of tests/fixtures/clients), stopped when
//! dropped.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Mock(Child);

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `script` answering in `mode`, logging the requests it gets to `log` (and
/// its own errors beside it, `<log>.stderr`), and waits for the port it writes to
/// `port_file`.
pub fn start(script: &Path, mode: &str, port_file: &Path, log: &Path) -> (Mock, String) {
    let stderr_path = log.with_extension("stderr");
    let stderr = std::fs::File::create(&stderr_path).expect("the mock's stderr file");
    let mut mock = Mock(
        Command::new("python3")
            .arg(script)
            .env("MOCK_MODE", mode)
            .env("MOCK_PORTFILE", port_file)
            .env("MOCK_LOG", log)
            .env("MOCK_LIFETIME", "120")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("python3 runs the mock"),
    );
    let started = Instant::now();
    loop {
        if let Ok(p) = std::fs::read_to_string(port_file)
            && !p.trim().is_empty()
        {
            return (mock, p.trim().to_string());
        }
        let exited = mock.0.try_wait().ok().flatten();
        // A loaded machine can take a while to start Python; an exit is final.
        if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
            panic!(
                "the mock {} did not start ({}): {}",
                script.display(),
                exited.map_or("no port after 60 s".to_string(), |s| s.to_string()),
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
