//! English cues, read on the folded sentence (lower case, one space, plain apostrophes).

mod words;

use super::signals::Signals;
use crate::keywords::contains_word;
use words::*;

pub fn read(folded: &str, sig: &mut Signals) {
    let words = split_words(folded);
    let has = |phrases: &[&str]| phrases.iter().any(|p| contains_word(folded, p));

    let (lead, request) = opening(&words);
    sig.request |= request;
    let first = lead.first().copied().unwrap_or("");

    // "..., always start it with X": a rule may open any clause.
    sig.rule |= has(RULE_PHRASES)
        || normative_modal(&words)
        || clauses(folded).any(|clause| {
            let words = split_words(clause);
            let (lead, _) = opening(&words);
            rule_opening(lead)
        });

    let contrast_after_use = first == "use" && lead.contains(&"not");
    sig.contrast |= contrast_after_use
        || noun_not_noun(&words)
        || folded.contains(", not ")
        || has(&["instead of", "rather than"])
        || (lead.contains(&"prefer") && (lead.contains(&"over") || lead.contains(&"to")));

    for clause in clauses(folded) {
        let (fact, named) = fact_statement(&split_words(clause));
        sig.fact |= fact;
        sig.named_value |= named;
    }
    sig.fact |= location(folded, &words)
        || has(FACT_PHRASES)
        || use_for_a_chore(lead)
        || labelled_value(folded)
        || passive_practice(&words)
        || tool_does(&words)
        || there_is_a(&words);

    sig.language |= language(lead);
    sig.preference |= has(PREFERENCES) || keep_answers_short(lead);
    sig.correction |= has(CORRECTIONS)
        || ["no,", "nope", "wrong,", "wrong.", "incorrect"]
            .iter()
            .any(|p| folded.starts_with(p));
    // An opening "remember" asks for the rest to be kept; "I remember" does not.
    sig.marker |= has(MARKERS)
        || words.iter().take(3).any(|w| *w == "remember")
        || ["all", "every", "each"].contains(&first);
    sig.domain |= words.iter().any(|w| DOMAIN.contains(w));
    // "Refactor X to Y instead of Z", "use X instead of Y in foo.rs": work on one
    // thing now, unless a rule word says it lasts.
    let task = TASK_VERBS.contains(&first) || (in_one_file(folded) && !sig.fact);
    let ends_now = words.last() == Some(&"now");
    sig.one_off |= has(ONE_OFF) || (task && !sig.rule) || ends_now;
    sig.transient |= has(TRANSIENT);
    sig.aside |= has(ASIDES);
    sig.asks |= is_question(folded, lead, request, sig);
}

/// Words, with `don't` and `stg-eu-1` kept whole.
fn split_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || "'=-".contains(c)))
        .map(|w| w.trim_matches('-'))
        .filter(|w| w.chars().any(|c| c.is_alphanumeric() || c == '='))
        .collect()
}

fn clauses(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split([',', ':', '(', '—'])
        .flat_map(|c| c.split(" - "))
}

/// `yarn dlx not npx`: `not` after a noun, not after a verb, sets one thing against another.
fn noun_not_noun(words: &[&str]) -> bool {
    const BEFORE_A_VERB: &[&str] = &[
        "i'm",
        "it's",
        "that's",
        "we're",
        "you're",
        "they're",
        "there's",
        "also",
        "not",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "must",
        "have",
        "has",
        "had",
        "may",
        "might",
        "am",
        "be",
        "been",
        "why",
        "if",
        "or",
        "and",
        "but",
        "it",
        "i",
        "we",
        "you",
        "they",
        "that",
        "this",
        "to",
        "just",
        "still",
        "why",
        "or",
        "else",
        "yet",
        "probably",
        "definitely",
        "really",
        "certainly",
        "need",
        "there",
        "so",
        "maybe",
        "whether",
        "if",
        "shall",
        "by",
        "at",
        "of",
        "in",
        "on",
    ];
    words.windows(3).any(|w| {
        w[1] == "not"
            && !BEFORE_A_VERB.contains(&w[0])
            && !w[0].ends_with("n't")
            && !TRANSIENT_NOUNS.contains(&w[0])
    })
}

/// `prettier runs on pre-commit`, `ruff handles formatting`: what a tool does here.
fn tool_does(words: &[&str]) -> bool {
    const DOES: &[&str] = &[
        "runs",
        "is",
        "handles",
        "formats",
        "checks",
        "lints",
        "builds",
        "deploys",
        "manages",
        "generates",
        "owns",
        "takes",
        "covers",
        "replaces",
        "does",
    ];
    words
        .windows(2)
        .any(|w| crate::durable::anchor::TOOLS.contains(&w[0]) && DOES.contains(&w[1]))
}

/// `is formatted by black`, `are deployed with helm`: how the project is run.
fn passive_practice(words: &[&str]) -> bool {
    words.windows(3).enumerate().any(|(i, w)| {
        ["is", "are", "gets", "get"].contains(&w[0])
            && (w[1].ends_with("ed") || w[1].ends_with("en") || w[1] == "built" || w[1] == "run")
            && ["by", "with", "via", "using", "through", "from"].contains(&w[2])
            && !words[..i].iter().any(|s| TRANSIENT_NOUNS.contains(s))
    })
}

/// `there's a Makefile target for everything`: something the project has, for a purpose
/// or in a place ("there's a new version out" is news).
fn there_is_a(words: &[&str]) -> bool {
    let opens = words.starts_with(&["there's"]) || words.starts_with(&["there", "is"]);
    opens
        && words.iter().any(|w| ["for", "in", "under"].contains(w))
        && !words.iter().any(|w| TRANSIENT_NOUNS.contains(w))
}

/// `Test command: make check`, `Ports: api on 8000`: a fact noun labelling a value.
fn labelled_value(folded: &str) -> bool {
    let Some((label, value)) = folded.split_once(':') else {
        return false;
    };
    let label = split_words(label);
    !value.trim().is_empty()
        && (1..=3).contains(&label.len())
        && label.last().is_some_and(|w| FACT_NOUNS.contains(w))
}

/// `use X to run tests`, `use X for formatting`: the tool for a recurring chore.
fn use_for_a_chore(lead: &[&str]) -> bool {
    const CHORES: &[&str] = &[
        "run",
        "test",
        "tests",
        "testing",
        "build",
        "builds",
        "lint",
        "linting",
        "format",
        "formatting",
        "install",
        "deploy",
        "deploys",
        "release",
        "migrate",
        "migrations",
        "start",
        "bundle",
        "typecheck",
        "dependencies",
        "deps",
        "packages",
        "commit",
        "commits",
    ];
    lead.first() == Some(&"use")
        && lead
            .windows(2)
            .skip(1)
            .any(|w| ["to", "for", "when"].contains(&w[0]) && CHORES.contains(&w[1]))
}

/// `in src/api.js`: the statement is about one file.
fn in_one_file(folded: &str) -> bool {
    let words: Vec<&str> = folded.split_whitespace().collect();
    words.windows(2).any(|w| {
        let target = w[1].trim_matches(|c: char| "`'\",.;:()".contains(c));
        ["in", "for", "inside"].contains(&w[0])
            && target.rsplit_once('.').is_some_and(|(stem, ext)| {
                !stem.is_empty()
                    && (1..=4).contains(&ext.len())
                    && ext.chars().all(char::is_alphanumeric)
            })
    })
}

/// `commits should follow X`, `all code must pass X`: a modal after a project noun.
fn normative_modal(words: &[&str]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        let next = words.get(i + 1).copied().unwrap_or("");
        let modal = match *w {
            "should" => !["be", "have", "work", "fix", "pass", "fail", "i", "we"].contains(&next),
            "must" => !["be", "have"].contains(&next),
            _ => false,
        };
        let subject = &words[i.saturating_sub(2)..i];
        modal
            && subject
                .iter()
                .any(|s| DOMAIN.contains(s) || *s == "all" || *s == "every")
    })
}

/// never X, don't X (but not "don't worry"), always X, avoid X, stop doing X.
fn rule_opening(lead: &[&str]) -> bool {
    let first = lead.first().copied().unwrap_or("");
    let second = lead.get(1).copied().unwrap_or("");
    (first == "never" && second != "mind" && !is_past(second))
        || ((first == "don't" || first == "dont") && !NOT_RULES_AFTER_DONT.contains(&second))
        || (first == "do" && second == "not")
        || (first == "always" && !NOT_RULES_AFTER_ALWAYS.contains(&second))
        || first == "avoid"
        || (first == "stop" && second.ends_with("ing"))
        || (first == "no" && !second.is_empty() && !NOT_RULES_AFTER_NO.contains(&second))
}

/// `never thought`, `never worked`: a past event, not a rule.
fn is_past(word: &str) -> bool {
    const IRREGULAR: &[&str] = &[
        "thought",
        "knew",
        "saw",
        "got",
        "had",
        "was",
        "were",
        "been",
        "did",
        "heard",
        "understood",
        "made",
        "ran",
        "went",
        "said",
        "told",
        "came",
        "found",
        "became",
        "seen",
        "done",
        "gone",
        "meant",
    ];
    word.ends_with("ed") || IRREGULAR.contains(&word)
}

/// The words after any fillers and polite openings, and whether one was a request.
fn opening<'a>(words: &'a [&'a str]) -> (&'a [&'a str], bool) {
    let mut lead = words;
    let mut request = false;
    loop {
        if let Some((first, rest)) = lead.split_first()
            && FILLERS.contains(first)
        {
            lead = rest;
            continue;
        }
        if let Some(open) = REQUEST_OPENINGS.iter().find(|o| lead.starts_with(o)) {
            lead = &lead[open.len()..];
            request = true;
            continue;
        }
        return (lead, request);
    }
}

/// `the test command is X`: a fact noun, then a copula within three words, and
/// whether the value after it is one bare name.
fn fact_statement(words: &[&str]) -> (bool, bool) {
    for (i, w) in words.iter().enumerate() {
        if !FACT_NOUNS.contains(w) {
            continue;
        }
        // The subject must not be a reported problem ("the error in the config is ...").
        if words[..i].iter().any(|w| TRANSIENT_NOUNS.contains(w)) {
            continue;
        }
        let Some(c) = (i + 1..(i + 6).min(words.len())).find(|&j| COPULAS.contains(&words[j]))
        else {
            continue;
        };
        let value: Vec<&str> = words[c + 1..]
            .iter()
            .copied()
            .skip_while(|v| ["to", "be", "on", "set", "at", "called", "named"].contains(v))
            .collect();
        if value
            .first()
            .is_some_and(|v| NOT_VALUES.contains(v) || *v == "not")
        {
            continue;
        }
        let named = value.len() == 1;
        return (true, named);
    }
    (false, false)
}

/// `migrations live in db/migrations`: a location verb with a non-problem subject.
fn location(folded: &str, words: &[&str]) -> bool {
    let folded = folded.replace(" in use", " ").replace(" in progress", " ");
    LOCATIONS.iter().any(|l| contains_word(&folded, l))
        && !words.iter().any(|w| TRANSIENT_NOUNS.contains(w))
}

/// `reply in Chinese`, `use English`, `in Japanese please`.
fn language(lead: &[&str]) -> bool {
    lead.iter().enumerate().any(|(i, w)| {
        if !LANGUAGES.contains(w) {
            return false;
        }
        let before = &lead[i.saturating_sub(4)..i];
        let around = &lead[i.saturating_sub(5)..(i + 4).min(lead.len())];
        (before.last() == Some(&"in") || before.last() == Some(&"use"))
            && (i <= 1 || around.iter().any(|v| REPLY_VERBS.contains(v)))
    })
}

fn keep_answers_short(lead: &[&str]) -> bool {
    lead.first() == Some(&"keep")
        && lead.iter().any(|w| {
            [
                "answers",
                "replies",
                "responses",
                "messages",
                "explanations",
                "summaries",
            ]
            .contains(w)
        })
}

/// A question: a question mark, or a question word first; a polite request is a
/// question only when it asks for nothing lasting.
fn is_question(folded: &str, lead: &[&str], request: bool, sig: &Signals) -> bool {
    let asks = folded.trim_end().ends_with('?');
    if request {
        // "Could you reply in Chinese from now on?" asks for something lasting.
        return asks && !(sig.marker || sig.language || sig.rule || sig.preference);
    }
    let first = lead.first().copied().unwrap_or("");
    let second = lead.get(1).copied().unwrap_or("");
    asks || (QUESTION_OPENINGS.contains(&first) && !(first == "do" && second == "not"))
}
