//! Tidy checks: the "Architecture invariant:" lines of ARCHITECTURE.md that
//! a grep can hold, so they cannot rot silently.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).expect("readable source tree") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Lines of code (comments dropped) that contain `needle`.
fn offending_lines(files: &[PathBuf], needles: &[&str]) -> Vec<String> {
    let mut hits = Vec::new();
    for f in files {
        let text = fs::read_to_string(f).expect("utf-8 source");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for n in needles {
                if code.contains(n) {
                    hits.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
                }
            }
        }
    }
    hits
}

#[test]
fn the_engine_imports_nothing_from_the_ui_the_browser_or_the_os() {
    let files = rust_files(&root().join("src/engine"));
    assert!(!files.is_empty());
    let hits = offending_lines(
        &files,
        &[
            "yew::",
            "web_sys::",
            "js_sys::",
            "wasm_bindgen",
            "gloo",
            "std::time::Instant",
            "SystemTime",
            "thread_rng",
            "OsRng",
            "getrandom",
            "std::fs",
            "std::net",
        ],
    );
    assert!(
        hits.is_empty(),
        "Architecture invariant broken (pure, sans-IO engine):\n{}",
        hits.join("\n")
    );
}

#[test]
fn no_engine_behaviour_depends_on_hashmap_order() {
    // Rust's HashMap/HashSet iterate in a random order; `JavaHashMap`
    // reproduces Java's order on purpose and is allowed.
    let hits: Vec<String> = offending_lines(
        &rust_files(&root().join("src/engine")),
        &["HashMap", "HashSet"],
    )
    .into_iter()
    .filter(|l| l.replace("JavaHashMap", "").contains("Hash"))
    .collect();
    assert!(
        hits.is_empty(),
        "Architecture invariant broken (no HashMap order): use VecMap / Vec, or assignor/java_hashmap.rs for Java's order:\n{}",
        hits.join("\n")
    );
}

#[test]
fn presentation_logic_outside_ui_stays_free_of_the_browser() {
    // model, narration, links, lessons, the stage's layout and the plots'
    // metrics are natively tested: they may not reach for the DOM.
    let files: Vec<PathBuf> = rust_files(&root().join("src"))
        .into_iter()
        .filter(|p| !p.starts_with(root().join("src/ui")) && !p.starts_with(root().join("src/bin")))
        .collect();
    let hits = offending_lines(&files, &["web_sys::", "js_sys::", "yew::", "gloo"]);
    assert!(hits.is_empty(), "{}", hits.join("\n"));
}

#[test]
fn every_module_explains_itself() {
    // Docs that teach: every source file starts with a `//!` module doc.
    let missing: Vec<String> = rust_files(&root().join("src"))
        .into_iter()
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` module doc:\n{}",
        missing.join("\n")
    );
}

#[test]
fn architecture_md_names_every_module_it_maps() {
    // Each `src/...rs` path the code map names exists.
    let arch = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut missing = Vec::new();
    for word in
        arch.split(|c: char| c == '`' || c.is_whitespace() || c == '(' || c == ')' || c == ',')
    {
        if word.starts_with("src/")
            && word.ends_with(".rs")
            && !word.contains('*')
            && !root().join(word).exists()
        {
            missing.push(word.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names files that do not exist: {missing:?}"
    );
}
