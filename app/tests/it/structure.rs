//! The shape of `app/src/services`: no import circle between service modules.
//!
//! Reads the sources (no build tooling needed) and builds the graph "module A names module
//! B" from every path that starts with `crate::services::`, `super::` or `self::`, from
//! `use` trees with braces, and from a folder module naming one of its own children
//! (`sandbox::run` in `executors/mod.rs`). A folder's `mod.rs` declaring its children
//! (`pub mod x;`) is not a dependency. Any cycle in that graph fails the test and prints it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn services_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/services")
}

/// Every `.rs` file under `dir` with its module path below `services`.
fn modules(dir: &Path, prefix: &Module, out: &mut BTreeMap<Module, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read services dir").map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.is_dir() {
            let mut m = prefix.clone();
            m.push(name);
            modules(&path, &m, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut m = prefix.clone();
            if name != "mod" {
                m.push(name);
            }
            out.insert(m, std::fs::read_to_string(&path).expect("read source"));
        }
    }
}

/// The source without comments, string and char-free of literals, as tokens: identifiers,
/// `::` and single punctuation characters.
fn tokens(src: &str) -> Vec<String> {
    let b = src.as_bytes();
    let (mut i, mut out) = (0, Vec::new());
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                i += 1;
            }
            i += 2;
        } else if c == b'r' && (b.get(i + 1) == Some(&b'#') || b.get(i + 1) == Some(&b'"')) {
            // raw string r#"…"# (or r"…")
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push("r".to_string());
                i += 1;
                continue;
            }
            j += 1;
            let end: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            while j < b.len() && !b[j..].starts_with(&end) {
                j += 1;
            }
            i = j + end.len();
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(src[start..i].to_string());
        } else if c == b':' && b.get(i + 1) == Some(&b':') {
            out.push("::".into());
            i += 2;
        } else {
            if !c.is_ascii_whitespace() {
                out.push((c as char).to_string());
            }
            i += 1;
        }
    }
    out
}

/// Reads a path (and a `{…}` tree after it) starting at `toks[i]`; pushes every full path.
fn read_path(toks: &[String], mut i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    loop {
        match toks.get(i).map(String::as_str) {
            Some("{") => {
                i += 1;
                loop {
                    match toks.get(i).map(String::as_str) {
                        Some("}") => return i + 1,
                        Some(",") => i += 1,
                        None => return i,
                        _ => i = read_path(toks, i, path.clone(), out),
                    }
                }
            }
            Some(t) if t.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') => {
                path.push(t.to_string());
                i += 1;
                if toks.get(i).map(String::as_str) == Some("::") {
                    i += 1;
                } else {
                    out.push(path);
                    return i;
                }
            }
            _ => {
                out.push(path);
                return i;
            }
        }
    }
}

/// What each module names, resolved to the longest known module path.
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let mut files = BTreeMap::new();
    modules(&services_dir(), &Vec::new(), &mut files);
    let known: BTreeSet<Module> = files.keys().cloned().collect();
    // Names the root re-exports (`pub use actor::{Actor, …}`) stand for their module.
    let mut reexports: BTreeMap<String, Module> = BTreeMap::new();
    let root_toks = tokens(&files[&Vec::new()]);
    for (i, t) in root_toks.iter().enumerate() {
        if t == "use" && root_toks.get(i - 1).map(String::as_str) == Some("pub") {
            let mut paths = Vec::new();
            read_path(&root_toks, i + 1, Vec::new(), &mut paths);
            for p in paths {
                if let Some(name) = p.last() {
                    reexports.insert(name.clone(), p[..p.len() - 1].to_vec());
                }
            }
        }
    }
    let resolve = |abs: &[String]| -> Option<Module> {
        let longest = (0..=abs.len()).rev().map(|n| abs[..n].to_vec()).find(|m| known.contains(m))?;
        if longest.is_empty() {
            return abs.first().and_then(|n| reexports.get(n).cloned());
        }
        Some(longest)
    };

    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, src) in &files {
        let children: BTreeSet<&str> = files
            .keys()
            .filter(|m| m.len() == module.len() + 1 && m.starts_with(module))
            .map(|m| m[module.len()].as_str())
            .collect();
        let toks = tokens(src);
        let mut paths: Vec<(Vec<String>, Module)> = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let t = toks[i].as_str();
            let after_colons = i > 0 && toks[i - 1] == "::";
            let next_colons = toks.get(i + 1).map(String::as_str) == Some("::");
            // `mod x;` declarations are containment, not use; an inline `mod tests { … }`
            // is the module's own test code, whose `super` is the module itself: skipped.
            if t == "mod" {
                if toks.get(i + 2).map(String::as_str) == Some("{") {
                    let mut depth = 0;
                    i += 2;
                    while i < toks.len() {
                        match toks[i].as_str() {
                            "{" => depth += 1,
                            "}" => depth -= 1,
                            _ => {}
                        }
                        i += 1;
                        if depth == 0 {
                            break;
                        }
                    }
                } else {
                    i += 2;
                }
                continue;
            }
            // (where the path's segments start, what they are relative to)
            let start: Option<(usize, Module)> = if after_colons || !next_colons {
                None
            } else if t == "crate" && toks.get(i + 2).map(String::as_str) == Some("services") {
                Some((i + 4, Vec::new()))
            } else if t == "super" {
                // a file's `super` and a folder's (`mod.rs`) are both the folder above
                Some((i + 2, module[..module.len().saturating_sub(1)].to_vec()))
            } else if t == "self" {
                Some((i + 2, module.clone()))
            } else if children.contains(t) {
                Some((i, module.clone()))
            } else {
                None
            };
            match start {
                Some((at, base)) => {
                    let mut found = Vec::new();
                    i = read_path(&toks, at, Vec::new(), &mut found);
                    for p in found {
                        paths.push((p, base.clone()));
                    }
                }
                None => i += 1,
            }
        }
        for (p, base) in paths {
            let mut abs = base;
            let mut segs = p.as_slice();
            while let Some((first, rest)) = segs.split_first() {
                if first == "super" {
                    abs.pop();
                    segs = rest;
                } else {
                    break;
                }
            }
            abs.extend(segs.iter().cloned());
            if let Some(target) = resolve(&abs) {
                if &target != module {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
        edges.entry(module.clone()).or_default();
    }
    edges
}

fn name(m: &Module) -> String {
    if m.is_empty() {
        "services".into()
    } else {
        m.join("::")
    }
}

/// Every elementary cycle found by depth-first search (each reported once, from its
/// smallest module).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    fn visit(
        at: &Module,
        start: &Module,
        edges: &BTreeMap<Module, BTreeSet<Module>>,
        stack: &mut Vec<Module>,
        out: &mut Vec<Vec<Module>>,
    ) {
        for next in edges.get(at).into_iter().flatten() {
            if next == start {
                out.push(stack.clone());
            } else if next > start && !stack.contains(next) && out.len() < 20 {
                stack.push(next.clone());
                visit(next, start, edges, stack, out);
                stack.pop();
            }
        }
    }
    let mut out = Vec::new();
    for start in edges.keys() {
        visit(start, start, edges, &mut vec![start.clone()], &mut out);
    }
    out
}

#[test]
fn no_import_circle_between_service_modules() {
    let edges = graph();
    // The reader sees what it must: these edges exist today, so a broken reader fails here.
    let has = |a: &str, b: &str| {
        let m = |s: &str| s.split("::").map(String::from).collect::<Module>();
        edges.get(&m(a)).is_some_and(|t| t.contains(&m(b)))
    };
    assert!(has("gateway::actions", "audit"), "reads `use crate::services::audit::{{…}}`");
    assert!(has("gateway::actions", "actor"), "reads the root re-export `services::{{Actor, …}}`");
    assert!(has("gateway::executors::webhook", "gateway::executors::contract"), "reads `super::contract::…`");
    assert!(has("gateway::executors", "gateway::executors::sandbox"), "reads a folder naming its own child");
    assert!(edges.len() > 30, "found {} modules", edges.len());

    let found = cycles(&edges);
    let text: Vec<String> =
        found.iter().map(|c| c.iter().chain(c.first()).map(name).collect::<Vec<_>>().join(" → ")).collect();
    assert!(text.is_empty(), "import circles between service modules:\n{}", text.join("\n"));
}

#[test]
fn the_reader_finds_a_circle() {
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let m = |s: &str| vec![s.to_string()];
    edges.entry(m("a")).or_default().insert(m("b"));
    edges.entry(m("b")).or_default().insert(m("c"));
    edges.entry(m("c")).or_default().insert(m("a"));
    edges.entry(m("d")).or_default().insert(m("a"));
    assert_eq!(cycles(&edges), vec![vec![m("a"), m("b"), m("c")]]);

    let toks = tokens(
        "use crate::services::{audit::{self, NewEvent}, infra::db}; // crate::services::x\n\"crate::services::y\"",
    );
    let mut paths = Vec::new();
    read_path(&toks, 5, Vec::new(), &mut paths);
    assert_eq!(
        paths,
        vec![
            vec!["audit".to_string(), "self".into()],
            vec!["audit".to_string(), "NewEvent".into()],
            vec!["infra".to_string(), "db".into()]
        ]
    );
    assert!(!toks.iter().any(|t| t == "x" || t == "y"), "comments and strings are skipped: {toks:?}");
}
