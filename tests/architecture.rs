//! The architecture's rules, checked (a tidy test, as rust-analyzer keeps
//! one): the "Architecture invariant:" lines of ARCHITECTURE.md that a grep
//! can hold, the layers of `src/lib.rs`, and the size of a file, so none of
//! them can rot silently.

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

/// The crate's layers, bottom to top (see `src/lib.rs`): a file may name a
/// module (`crate::x`) of its own layer or of a layer below, never above.
/// Each entry is (layer name, paths under `src/` it holds, the top-level
/// module names it owns).
const LAYERS: &[(&str, &[&str], &[&str])] = &[
    ("engine", &["engine/"], &["engine"]),
    ("link codec", &["link.rs"], &["link"]),
    (
        "presets and scenario files",
        &["presets.rs", "presets/", "scenario.rs"],
        &["presets", "scenario"],
    ),
    ("lessons", &["lesson.rs"], &["lesson"]),
    (
        "model",
        &[
            "model/",
            "narration.rs",
            "narration/",
            "metrics.rs",
            "stage_layout.rs",
        ],
        &["model", "narration", "metrics", "stage_layout"],
    ),
    // Live mode (native only): real Kafka clients served by the engine.
    ("live mode", &["live/"], &["live"]),
    (
        "front ends",
        &["ui/", "cli/", "bin/", "lib.rs"],
        &["ui", "cli"],
    ),
];

/// The layer index of a file, from its path under `src/`.
fn layer_of(rel: &str) -> usize {
    LAYERS
        .iter()
        .position(|(_, paths, _)| {
            paths.iter().any(|p| {
                if p.ends_with('/') {
                    rel.starts_with(p)
                } else {
                    rel == *p
                }
            })
        })
        .unwrap_or_else(|| panic!("src/{rel} is in no layer of LAYERS: add it"))
}

/// The layer index of a top-level module name.
fn layer_of_module(name: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, _, mods)| mods.contains(&name))
}

/// `(file, line, module)` for every `crate::module` a file names in code
/// whose module sits in a layer above the file's.
fn upward_uses() -> Vec<String> {
    let src = root().join("src");
    let mut hits = Vec::new();
    for f in rust_files(&src) {
        let rel = f
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let own = layer_of(&rel);
        let text = fs::read_to_string(&f).expect("utf-8 source");
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (at, _) in code.match_indices("crate::") {
                let name: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(l) = layer_of_module(&name) {
                    if l > own {
                        hits.push(format!(
                            "src/{rel}:{}: the {} layer uses `crate::{name}` from the {} layer above it",
                            i + 1,
                            LAYERS[own].0,
                            LAYERS[l].0
                        ));
                    }
                }
            }
        }
    }
    hits
}

#[test]
fn each_layer_uses_only_the_layers_below_it() {
    let hits = upward_uses();
    assert!(
        hits.is_empty(),
        "Architecture invariant broken (layers, see src/lib.rs):\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_link_codec_imports_neither_the_model_nor_the_presets() {
    // Named on its own because it is the rule most easily broken: decoding a
    // link is handed a preset lookup and replays through the engine.
    let hits: Vec<String> = upward_uses()
        .into_iter()
        .filter(|h| h.starts_with("src/link.rs:"))
        .collect();
    assert!(hits.is_empty(), "{}", hits.join("\n"));
    let text = fs::read_to_string(root().join("src/link.rs")).expect("src/link.rs");
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("use crate::presets")
                || l.trim_start().starts_with("use crate::model")),
        "src/link.rs imports the presets or the model"
    );
}

#[test]
fn the_layer_check_sees_an_upward_use() {
    // The checker itself can fail: a line of the engine naming the model is
    // caught, and one naming the engine is not.
    let engine = layer_of("engine/broker.rs");
    assert_eq!(engine, 0);
    assert!(layer_of_module("model").is_some_and(|l| l > engine));
    assert!(layer_of_module("link").is_some_and(|l| l > engine));
    assert_eq!(layer_of_module("engine"), Some(0));
    assert_eq!(layer_of("link.rs"), 1);
    assert!(layer_of("ui/stage.rs") > layer_of("model/timeline.rs"));
}

/// The longest a source file may grow without saying why.
const MAX_LINES: usize = 1_600;
/// The line that says why a file is longer than `MAX_LINES`.
const SIZE_REASON: &str = "//! Size:";

#[test]
fn no_file_grows_past_its_size_without_a_reason_recorded_in_it() {
    // A long file is allowed when its module doc says why, on a line starting
    // `//! Size:` (one concept that reads best whole, a format whose encoder
    // and decoder must stay side by side, …).
    let mut long = Vec::new();
    for f in rust_files(&root().join("src")) {
        let text = fs::read_to_string(&f).expect("utf-8 source");
        let lines = text.lines().count();
        if lines > MAX_LINES && !text.lines().any(|l| l.starts_with(SIZE_REASON)) {
            long.push(format!("{}: {lines} lines", f.display()));
        }
    }
    assert!(
        long.is_empty(),
        "files past {MAX_LINES} lines without a `{SIZE_REASON}` line saying why (split them, or record the reason):\n{}",
        long.join("\n")
    );
}

#[test]
fn architecture_md_states_no_first_load_figure_that_can_go_stale() {
    // The first-load size is printed by scripts/test.sh on every run; the
    // document says where, not a number.
    let arch = fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    // A measured figure reads like "299.6 KB"; the budget ("300 KB") is a
    // round number and may stay.
    let measured = |l: &str| {
        l.match_indices(" KB").any(|(at, _)| {
            let before = l[..at].rsplit(' ').next().unwrap_or("");
            before.contains('.') && before.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
    };
    let stale: Vec<&str> = arch.lines().filter(|l| measured(l)).collect();
    assert!(
        measured("prints 299.6 KB brotli"),
        "the check itself sees a figure"
    );
    assert!(
        stale.is_empty(),
        "ARCHITECTURE.md hard-codes a measured size:\n{}",
        stale.join("\n")
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

#[test]
fn the_live_view_is_compiled_only_for_the_live_page_and_natively() {
    // The course page's budgeted bundle carries nothing of live mode: the
    // live view's modules are declared under cfg(live_engine), which
    // build.rs sets natively and for `--features live-page` only.
    for (file, module) in [
        ("src/model/mod.rs", "pub mod live;"),
        ("src/ui/mod.rs", "pub mod live;"),
    ] {
        let text = fs::read_to_string(root().join(file)).expect(file);
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.trim() == module)
            .unwrap_or_else(|| panic!("{file} declares no `{module}`"));
        assert_eq!(
            lines[at.saturating_sub(1)].trim(),
            "#[cfg(live_engine)]",
            "Architecture invariant broken: {file}'s `{module}` must be under #[cfg(live_engine)]"
        );
    }
    let build = fs::read_to_string(root().join("build.rs")).expect("build.rs");
    assert!(
        build.contains("CARGO_FEATURE_LIVE_PAGE") && build.contains("wasm32"),
        "build.rs sets cfg(live_engine) natively and for the live-page feature only"
    );
}
