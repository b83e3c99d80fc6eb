//! The stated architecture, checked against the source tree: every module sits in one
//! layer of the list in `lib.rs` and in the same block of the diagram in
//! `docs/architecture.md`, no module names one of a layer above it, wasmtime appears
//! only in `sandbox`, and the hooks catch panics (fail open) in one place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The library's modules, as `lib.rs` declares them.
fn modules() -> Vec<String> {
    read(&src().join("lib.rs"))
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .map(String::from)
        .collect()
}

/// Layer number of each module, from the numbered list in `lib.rs`'s header: every
/// `` `name` `` in item N that names a module puts that module in layer N.
fn layer_table(modules: &[String]) -> BTreeMap<String, u32> {
    let mut table = BTreeMap::new();
    let mut layer = None;
    for line in read(&src().join("lib.rs")).lines() {
        let Some(text) = line.strip_prefix("//!") else {
            break;
        };
        let text = text.trim();
        if text.is_empty() {
            layer = None;
            continue;
        }
        if let Some((n, _)) = text.split_once(". ")
            && let Ok(n) = n.parse::<u32>()
        {
            layer = Some(n);
        }
        let Some(n) = layer else { continue };
        for name in text.split('`').skip(1).step_by(2) {
            if modules.iter().any(|m| m == name) {
                let before = table.insert(name.to_string(), n);
                assert!(
                    before.is_none_or(|b| b == n),
                    "`{name}` is in layers {} and {n} of lib.rs",
                    before.unwrap_or(n)
                );
            }
        }
    }
    table
}

/// Every `.rs` file of a module, with its depth in the module tree (`x.rs` and
/// `x/mod.rs` are 1, `x/y.rs` is 2).
fn files_of(module: &str) -> Vec<(PathBuf, usize)> {
    let single = src().join(format!("{module}.rs"));
    if single.is_file() {
        return vec![(single, 1)];
    }
    let mut out: Vec<_> = rust_files(&src().join(module))
        .into_iter()
        .map(|path| {
            let parts = path.strip_prefix(src()).unwrap().components().count();
            let depth = if path.file_name().is_some_and(|n| n == "mod.rs") {
                parts - 1
            } else {
                parts
            };
            (path, depth)
        })
        .collect();
    out.sort();
    out
}

/// Every `.rs` file under `dir`, at any depth.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The code of a file without its comments (line comments and doc comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split_once("//").map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a file names: `crate::x`, `crate::{x, y::z}` and a
/// `super::` chain that climbs to the crate root from the file's depth.
fn named_modules(code: &str, depth: usize) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        // `csep::crate` never occurs; skip `$crate::` and words ending in "crate".
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(group.split(',').map(|p| ident(p.trim())));
        } else {
            out.push(ident(rest));
        }
    }
    let mut rest = code;
    while let Some(i) = rest.find("super::") {
        let mut chain = &rest[i..];
        let mut n = 0;
        while let Some(r) = chain.strip_prefix("super::") {
            chain = r;
            n += 1;
        }
        if n >= depth {
            out.push(ident(chain));
        }
        rest = chain;
    }
    out.retain(|m| !m.is_empty());
    out
}

#[test]
fn every_module_has_one_layer_in_lib_rs() {
    let modules = modules();
    let table = layer_table(&modules);
    let missing: Vec<_> = modules.iter().filter(|m| !table.contains_key(*m)).collect();
    assert!(
        missing.is_empty(),
        "modules with no layer in lib.rs: {missing:?}"
    );
}

#[test]
fn layers_run_one_way() {
    let modules = modules();
    let table = layer_table(&modules);
    let mut upward = Vec::new();
    for (module, &layer) in &table {
        for (file, depth) in files_of(module) {
            for named in named_modules(&code(&read(&file)), depth) {
                if let Some(&other) = table.get(&named)
                    && other < layer
                {
                    let rel = file.strip_prefix(src()).unwrap().display().to_string();
                    upward.push(format!(
                        "{rel}: `{module}` (layer {layer}) uses `{named}` (layer {other})"
                    ));
                }
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "uses of a higher layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_diagram_places_each_module_in_its_layer() {
    let modules = modules();
    let table = layer_table(&modules);
    let doc = read(&src().join("../../docs/architecture.md"));
    let diagram: Vec<&str> = doc
        .split("```")
        .nth(1)
        .expect("the diagram opens docs/architecture.md")
        .lines()
        .collect();
    // Blocks of the box, split at its `├───┤` rules: the binary, then layers 2 to 5.
    let mut blocks: Vec<String> = vec![String::new()];
    for line in diagram {
        if line.trim_start().starts_with('├') {
            blocks.push(String::new());
        } else {
            blocks.last_mut().unwrap().push_str(line);
            blocks.last_mut().unwrap().push('\n');
        }
    }
    assert_eq!(
        blocks.len(),
        5,
        "the diagram has the binary and four layers"
    );
    let words = |block: &str| -> Vec<String> {
        block
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(String::from)
            .collect()
    };
    let mut misplaced = Vec::new();
    for (module, &layer) in &table {
        let block = &blocks[layer as usize - 1];
        if !words(block).contains(module) {
            misplaced.push(format!("`{module}` (layer {layer})"));
        }
    }
    assert!(
        misplaced.is_empty(),
        "not in their layer's block of the diagram: {}",
        misplaced.join(", ")
    );
}

#[test]
fn only_the_sandbox_names_wasmtime() {
    let mut outside = Vec::new();
    for module in modules().iter().filter(|m| *m != "sandbox") {
        for (file, _) in files_of(module) {
            if code(&read(&file)).contains("wasmtime") {
                outside.push(file.strip_prefix(src()).unwrap().display().to_string());
            }
        }
    }
    assert!(outside.is_empty(), "wasmtime outside sandbox/: {outside:?}");
}

#[test]
fn hooks_fail_open_in_one_function() {
    // Spelled in two halves so this file does not count itself.
    const CATCH: &str = concat!("catch_", "unwind(");
    let mut catching = Vec::new();
    for path in rust_files(&src()) {
        let n = code(&read(&path)).matches(CATCH).count();
        if n > 0 {
            let rel = path.strip_prefix(src()).unwrap().display().to_string();
            catching.push((rel, n));
        }
    }
    assert_eq!(catching, vec![("cli/hooks.rs".to_string(), 1)]);
}
