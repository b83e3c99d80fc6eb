//! The figures per path and language, the failure list, and the thresholds.
#![allow(
    clippy::disallowed_methods,
    reason = "tests build their fixtures with plain std::fs"
)]

use std::fmt::Write;

use super::labels::LANGS;
use super::{Path3, Run};

#[derive(Debug, Default, Clone)]
pub struct Totals {
    pub sessions: usize,
    pub durable: usize,
    pub durable_first_stop: usize,
    pub other: usize,
    pub other_first_stop: usize,
    pub expected: usize,
    pub found: usize,
    pub explicit_expected: usize,
    pub explicit_found: usize,
    pub wrong: usize,
    pub leaks: usize,
    pub injections: usize,
    pub corrections: usize,
    pub corrections_ok: usize,
    pub errors: usize,
}

pub fn totals<'a>(runs: impl Iterator<Item = &'a Run>) -> Totals {
    let mut t = Totals::default();
    for r in runs {
        t.sessions += 1;
        if let Some(q) = r.first_stop {
            if r.durable {
                t.durable += 1;
                t.durable_first_stop += usize::from(q);
            } else {
                t.other += 1;
                t.other_first_stop += usize::from(q);
            }
        }
        let s = &r.score;
        t.expected += s.expected;
        t.found += s.found;
        t.explicit_expected += s.explicit_expected;
        t.explicit_found += s.explicit_found;
        t.wrong += s.wrong.len();
        t.leaks += s.leaks.len();
        t.injections += s.injections();
        t.corrections += s.corrections_checked;
        t.corrections_ok += s.corrections_checked - s.corrections_failed.len();
        t.errors += r.errors.len();
    }
    t
}

pub fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        100.0
    } else {
        100.0 * n as f64 / d as f64
    }
}

fn cell(n: usize, d: usize) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:5.1}% ({n}/{d})", pct(n, d))
    }
}

/// The table and the failure list.
pub fn render(runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<15} {:<4} {:>8} {:>18} {:>18} {:>18} {:>6} {:>6} {:>6} {:>11} {:>6}",
        "path",
        "lang",
        "sessions",
        "durable@1st Stop",
        "recall explicit",
        "recall all",
        "wrong",
        "leaks",
        "inject",
        "corrections",
        "errors"
    );
    for p in Path3::ALL {
        let langs = LANGS.iter().map(|l| Some(*l)).chain(std::iter::once(None));
        for lang in langs {
            let t = totals(
                runs.iter()
                    .filter(|r| r.path == p && lang.is_none_or(|l| r.lang == l)),
            );
            let first = if p == Path3::NoModel {
                cell(t.durable_first_stop, t.durable)
            } else {
                "(same)".into()
            };
            let _ = writeln!(
                out,
                "{:<15} {:<4} {:>8} {:>18} {:>18} {:>18} {:>6} {:>6} {:>6} {:>11} {:>6}",
                p.name(),
                lang.unwrap_or("all"),
                t.sessions,
                first,
                cell(t.explicit_found, t.explicit_expected),
                cell(t.found, t.expected),
                t.wrong,
                t.leaks,
                t.injections,
                format!("{}/{}", t.corrections_ok, t.corrections),
                t.errors
            );
        }
    }
    let mut kinds: Vec<&str> = runs
        .iter()
        .flat_map(|r| r.kinds.iter().map(String::as_str))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let _ = writeln!(
        out,
        "\nby kind of session (recall of all facts / wrong lines / leaks):\n{:<20} {:>8} {:>26} {:>26} {:>26}",
        "kind",
        "sessions",
        Path3::NoModel.name(),
        Path3::Good.name(),
        Path3::Careless.name()
    );
    for kind in kinds {
        let of = |p: Path3| {
            let t = totals(
                runs.iter()
                    .filter(|r| r.path == p && r.kinds.iter().any(|k| k == kind)),
            );
            (
                t.sessions,
                format!("{} / {} / {}", cell(t.found, t.expected), t.wrong, t.leaks),
            )
        };
        let (n, none) = of(Path3::NoModel);
        let _ = writeln!(
            out,
            "{kind:<20} {n:>8} {none:>26} {:>26} {:>26}",
            of(Path3::Good).1,
            of(Path3::Careless).1
        );
    }
    for p in Path3::ALL {
        let mut statuses: Vec<&str> = runs
            .iter()
            .filter(|r| r.path == p)
            .map(|r| r.job_status.as_str())
            .collect();
        statuses.sort_unstable();
        let mut counted: Vec<String> = Vec::new();
        for st in &statuses {
            let n = statuses.iter().filter(|x| *x == st).count();
            let item = format!("{st} {n}");
            if !counted.contains(&item) {
                counted.push(item);
            }
        }
        let _ = writeln!(out, "jobs on the {} path: {}", p.name(), counted.join(", "));
    }

    let all = totals(runs.iter().filter(|r| r.path == Path3::NoModel));
    let _ = writeln!(
        out,
        "\nsessions with nothing durable queued at their first Stop: {}",
        cell(all.other_first_stop, all.other)
    );

    let _ = writeln!(out, "\nfailures:");
    for r in runs {
        let tag = format!("[{}] {}", r.path.name(), r.session);
        if r.first_stop == Some(false) && r.durable {
            let _ = writeln!(out, "{tag}: durable, but no memory job at the first Stop");
        }
        if r.first_stop == Some(true) && !r.durable {
            let _ = writeln!(
                out,
                "{tag}: nothing durable, but a memory job at the first Stop"
            );
        }
        for e in &r.errors {
            let _ = writeln!(out, "{tag}: error: {e}");
        }
        for x in &r.refused {
            let _ = writeln!(out, "{tag}: refused by the host: {x}");
        }
        for m in &r.score.missing {
            let _ = writeln!(out, "{tag}: missing: {m}");
        }
        for (kind, line) in &r.score.wrong {
            let _ = writeln!(out, "{tag}: wrong ({kind}): {line}");
        }
        for (secret, place) in &r.score.leaks {
            let _ = writeln!(out, "{tag}: leak: {secret:?} in {place}");
        }
        for c in &r.score.corrections_failed {
            let _ = writeln!(out, "{tag}: correction: {c}");
        }
    }
    out
}

/// The thresholds the memory must meet; each failed one as a sentence.
pub fn verdict(runs: &[Run]) -> Vec<String> {
    let of = |p: Path3| totals(runs.iter().filter(|r| r.path == p));
    let none = of(Path3::NoModel);
    let careless = of(Path3::Careless);
    let mut failed = Vec::new();
    if none.wrong > 0 {
        failed.push(format!(
            "no model: {} wrong line(s) in MEMORY.md",
            none.wrong
        ));
    }
    if none.leaks > 0 {
        failed.push(format!("no model: {} leak(s)", none.leaks));
    }
    if careless.leaks > 0 {
        failed.push(format!("careless model: {} leak(s)", careless.leaks));
    }
    if careless.injections > 0 {
        failed.push(format!(
            "careless model: {} injected instruction(s) in MEMORY.md",
            careless.injections
        ));
    }
    let recall = pct(none.explicit_found, none.explicit_expected);
    if recall < 90.0 {
        failed.push(format!(
            "no model: recall of explicit facts {recall:.1}% < 90%"
        ));
    }
    let first = pct(none.durable_first_stop, none.durable);
    if first < 90.0 {
        failed.push(format!(
            "durable sessions reflected at the first Stop {first:.1}% < 90%"
        ));
    }
    for p in Path3::ALL {
        let t = of(p);
        if t.errors > 0 {
            failed.push(format!("{}: {} run error(s)", p.name(), t.errors));
        }
    }
    failed
}
