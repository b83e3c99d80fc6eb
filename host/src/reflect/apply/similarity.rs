//! Cheap resemblance between two skills, to warn when a job adds a skill that
//! repeats one already live. Set overlap (Jaccard) on words is enough here:
//! skills are short, and the result only feeds a note, never a rejection.

use std::collections::HashSet;

/// Name-token overlap at or above this flags a near-duplicate.
pub const NAME_THRESHOLD: f64 = 0.6;
/// Description-word or body-shingle overlap at or above this flags one.
pub const TEXT_THRESHOLD: f64 = 0.7;
/// Words per body shingle: pairs of skills sharing vocabulary but not
/// phrasing stay apart.
const SHINGLE: usize = 3;

/// Words too common in skill descriptions to say anything.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "into", "is",
    "it", "of", "on", "or", "that", "the", "this", "to", "use", "when", "with",
];

pub struct SkillText<'a> {
    /// The folder name, with its generated prefix.
    pub folder: &'a str,
    pub description: &'a str,
    pub body: &'a str,
}

pub struct Resemblance {
    pub score: f64,
    pub detail: String,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn word_set(text: &str) -> HashSet<String> {
    words(text)
        .into_iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

fn shingles(text: &str) -> HashSet<String> {
    let w = words(text);
    if w.len() < SHINGLE {
        return w.into_iter().collect();
    }
    w.windows(SHINGLE).map(|s| s.join(" ")).collect()
}

fn name_tokens(folder: &str) -> HashSet<String> {
    let kebab = folder.strip_prefix(super::SKILL_PREFIX).unwrap_or(folder);
    kebab.split('-').map(str::to_string).collect()
}

pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// `Some` when any measure reaches its threshold; the score is the highest.
pub fn resemblance(new: &SkillText, old: &SkillText) -> Option<Resemblance> {
    let measures = [
        (
            "name",
            jaccard(&name_tokens(new.folder), &name_tokens(old.folder)),
            NAME_THRESHOLD,
        ),
        (
            "description",
            jaccard(&word_set(new.description), &word_set(old.description)),
            TEXT_THRESHOLD,
        ),
        (
            "body",
            jaccard(&shingles(new.body), &shingles(old.body)),
            TEXT_THRESHOLD,
        ),
    ];
    let high: Vec<String> = measures
        .iter()
        .filter(|(_, v, t)| v >= t)
        .map(|(k, v, _)| format!("{k} {v:.2}"))
        .collect();
    if high.is_empty() {
        return None;
    }
    let score = measures.iter().map(|m| m.1).fold(0.0, f64::max);
    Some(Resemblance {
        score,
        detail: format!("similar {}", high.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill<'a>(folder: &'a str, description: &'a str, body: &'a str) -> SkillText<'a> {
        SkillText {
            folder,
            description,
            body,
        }
    }

    #[test]
    fn flags_shared_name_tokens() {
        let a = skill("csep-reflect-run-cargo-tests", "x", "alpha");
        let b = skill("csep-reflect-run-cargo-test-suite", "y", "beta");
        assert!(resemblance(&a, &b).is_none(), "2 of 5 tokens shared");
        let c = skill("csep-reflect-cargo-tests-run", "y", "beta");
        let r = resemblance(&a, &c).unwrap();
        assert_eq!(r.score, 1.0);
        assert!(r.detail.contains("name"));
    }

    #[test]
    fn flags_same_description_and_body() {
        let body = "Run cargo test with the workspace flag and read the first failure.";
        let a = skill(
            "csep-reflect-alpha",
            "Run the Rust tests of this repo",
            body,
        );
        let b = skill("csep-reflect-beta", "Run the rust tests of the repo", body);
        let r = resemblance(&a, &b).unwrap();
        assert!(r.detail.contains("description") && r.detail.contains("body"));
        let c = skill(
            "csep-reflect-gamma",
            "Format SQL migrations",
            "Use sqlfmt on every file.",
        );
        assert!(resemblance(&a, &c).is_none());
    }
}
