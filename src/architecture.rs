//! Tests of the crate's shape, read from the sources: the top-level modules form no import
//! cycle, `config` imports nothing it configures, and the conversation's features use each
//! other only through their public items, without a cycle. (ARCHITECTURE.md draws the
//! layers.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The Rust files in `dirs` (folders of `src/`, `""` for all of it) and below them.
pub fn source_files(dirs: &[&str]) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack: Vec<PathBuf> = dirs.iter().map(|d| src.join(d)).collect();
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// Top-level module -> the top-level modules its code (not its tests, not its comments)
/// names through `crate::`.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in source_files(&[""]) {
        let rel = path.strip_prefix(&src).expect("under src");
        let top = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_string()
            })
            .unwrap_or_default();
        if matches!(top.as_str(), "lib" | "main" | "architecture") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let deps = graph.entry(top.clone()).or_default();
        for line in code.lines() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                // `$crate::i18n` in macros and `crate::t!` name modules too.
                if !name.is_empty() && name != top && src_has_module(&src, &name) {
                    deps.insert(name);
                }
            }
        }
    }
    graph
}

fn src_has_module(src: &Path, name: &str) -> bool {
    src.join(format!("{name}.rs")).is_file() || src.join(name).join("mod.rs").is_file()
}

/// A cycle in `graph`, if it has one (depth-first search for a back edge).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for dep in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(dep, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_form_no_cycle() {
    let graph = dependencies();
    assert!(graph.len() > 10, "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

/// The code of a file: without its tests and its comment lines.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("a source file");
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a file's code names after `prefix` (`super::`, `features::`), also in a
/// group such as `super::{a::A, b}`.
fn named_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                names.extend(group.split(',').map(ident));
            }
            None => {
                names.insert(ident(rest));
            }
        }
    }
    names.remove("");
    names
}

/// Feature -> the other features its code names. The features are the files of
/// `src/conversation/features/` but `mod.rs`, which wires them.
fn feature_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/conversation/features");
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("the features are readable") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        if path.extension().is_some_and(|e| e == "rs") && name != "mod" {
            files.insert(name, path);
        }
    }
    files
        .iter()
        .map(|(name, path)| {
            let code = code_of(path);
            let mut named = named_after(&code, "super::");
            named.extend(named_after(&code, "features::"));
            let deps = named
                .into_iter()
                .filter(|n| n != name && files.contains_key(n))
                .collect();
            (name.clone(), deps)
        })
        .collect()
}

#[test]
fn features_form_no_cycle() {
    let graph = feature_dependencies();
    assert!(graph.len() >= 10, "{graph:?}");
    // The scan sees the dependencies there are.
    assert!(graph["lessons"].contains("quizzes"), "{graph:?}");
    assert!(graph["venues"].contains("migrants"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the features depend on each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

/// A feature reaches another only through what that one declares `pub` (its interface):
/// no feature widens an item to its parent modules (`pub(super)`, `pub(crate)`,
/// `pub(in ...)`), where every other feature could use it, so the compiler's privacy
/// keeps each feature's internals its own. Features do not reach up into the router or
/// the facade either, and the shared context and the typed commands and actions know no
/// feature.
#[test]
fn features_use_each_other_only_through_their_public_items() {
    let conversation = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/conversation");
    for (name, _) in feature_dependencies() {
        let path = conversation.join("features").join(format!("{name}.rs"));
        let code = code_of(&path);
        for widened in ["pub(super)", "pub(crate)", "pub(in "] {
            assert!(
                !code.contains(widened),
                "{name}.rs widens an item with {widened}: make it pub (part of the feature's \
                 interface) or keep it private"
            );
        }
        let up = named_after(&code, "conversation::");
        assert!(
            !up.contains("router") && !code.contains("Conversation::") && !code.contains("Router"),
            "{name}.rs reaches into the router or the facade"
        );
    }
    for shared in ["ctx.rs", "command.rs", "action.rs"] {
        let code = code_of(&conversation.join(shared));
        assert!(
            named_after(&code, "features::").is_empty() && !code.contains("super::features"),
            "{shared} names a feature"
        );
    }
}

#[test]
fn config_imports_nothing_it_configures() {
    let graph = dependencies();
    let config = graph.get("config").expect("a config module");
    let allowed: BTreeSet<String> = ["domain".to_string()].into();
    assert!(
        config.is_subset(&allowed),
        "config may use only pure domain rules, but uses {config:?}"
    );
}
