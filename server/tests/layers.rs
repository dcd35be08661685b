//! The server's modules depend one way: each may use only modules of lower layers (the order
//! is the `# Layout` in `src/lib.rs`). This reads every `crate::` path in `src/` and checks
//! it against that order, so a new cycle fails here rather than in review.

use std::collections::BTreeMap;
use std::path::Path;

/// Top-level modules, highest layer first. A module may use the modules of the layers below
/// its own, never of its own layer or above.
const LAYERS: &[&[&str]] = &[
    &["server", "fuzzing"],
    &["http", "socket", "listen"],
    &["tls"],
    &["actions", "caller"],
    &["state"],
    &["fanout"],
    &["rooms", "cluster"],
    &[
        "sse_hub",
        "presence",
        "handshakes",
        "metrics",
        "turns",
        "expiry",
    ],
    &["dev", "rate_limit", "json"],
    &["error"],
    &["validation"],
    &["auth", "store"],
    &["config", "listener"],
    &["forwarded"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every top-level module of `src/` with the crate modules its files name.
fn uses_by_module() -> BTreeMap<String, Vec<(String, String)>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut uses: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut pending = vec![src.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src") {
            let path = entry.expect("dir entry").path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src");
            let first = relative.components().next().expect("a component");
            let module = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if module == "lib" || module == "main" {
                continue; // The crate root assembles everything.
            }
            let text = std::fs::read_to_string(&path).expect("read source");
            let entry = uses.entry(module).or_default();
            for used in crate_paths(&text) {
                entry.push((relative.display().to_string(), used));
            }
        }
    }
    uses
}

/// The first segment of each `crate::` path, including each name of `crate::{a, b::c}`.
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices("crate::") {
        let rest = &text[start + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(
                inner
                    .split(',')
                    .filter_map(|item| first_segment(item.trim())),
            );
        } else {
            found.extend(first_segment(rest));
        }
    }
    found
}

fn first_segment(path: &str) -> Option<String> {
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(path.len());
    (end > 0).then(|| path[..end].to_owned())
}

#[test]
fn every_module_uses_only_lower_layers() {
    let uses = uses_by_module();
    let mut wrong = Vec::new();
    for (module, used) in &uses {
        let Some(own) = layer_of(module) else {
            wrong.push(format!("{module} is in no layer: add it to LAYERS"));
            continue;
        };
        for (file, target) in used {
            if target == module {
                continue;
            }
            match layer_of(target) {
                Some(layer) if layer > own => {}
                Some(_) => wrong.push(format!("{file} uses crate::{target} (not a lower layer)")),
                None => wrong.push(format!("{file} uses crate::{target}, which is in no layer")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the layers:\n{}",
        wrong.join("\n")
    );
    // The check read the real tree.
    assert!(uses.contains_key("fanout") && uses.contains_key("http"));
}

#[test]
fn crate_paths_are_read_from_use_lines_and_groups() {
    let text = "use crate::state::AppState;\nuse crate::{http, socket::x};\nlet n = crate::json::encoded_len(&v);";
    assert_eq!(crate_paths(text), ["state", "http", "socket", "json"]);
}
