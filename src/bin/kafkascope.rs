//! `kafkascope`: the native command-line tool for course authors.

use std::io::Read;
use std::process::ExitCode;

// The engine allocates a little per message and per event; mimalloc does
// that in about half the instructions of glibc's malloc (Cargo.toml). The
// guard maps huge allocations lazily so a malformed Kafka frame in live mode
// cannot abort the process (src/live/alloc_guard.rs).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static GLOBAL: kafkascope::live::alloc_guard::GuardedAlloc<
    kafkascope::live::alloc_guard::MiMalloc,
> = kafkascope::live::alloc_guard::GuardedAlloc(kafkascope::live::alloc_guard::MiMalloc);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{}", kafkascope::cli::USAGE);
        return ExitCode::from(2);
    };
    let rest = &args[1..];
    let result = match cmd.as_str() {
        "partition" => kafkascope::cli::partition::run(rest),
        "offsets-partition" => kafkascope::cli::offsets_partition::run(rest),
        "assign" => {
            let mut input = String::new();
            match std::io::stdin().read_to_string(&mut input) {
                Ok(_) => kafkascope::cli::assign::run(&input),
                Err(e) => Err(format!("could not read the request from stdin: {e}")),
            }
        }
        "run" => kafkascope::cli::run::run(rest, |path| {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
        }),
        "presets" => kafkascope::cli::run::presets_command(rest),
        "steps" => kafkascope::cli::lesson::steps(rest),
        "lesson" => match rest.first().map(String::as_str) {
            Some("check") => kafkascope::cli::lesson::check(&rest[1..], |path| {
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
            }),
            Some("list") => kafkascope::cli::lesson::list(&rest[1..]),
            _ => Err(
                "usage: kafkascope lesson check FILE.lesson... | kafkascope lesson list [--json]"
                    .into(),
            ),
        },
        "link" => kafkascope::cli::lesson::link(rest, |path| {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
        }),
        #[cfg(not(target_arch = "wasm32"))]
        "live" => match kafkascope::cli::live::parse(rest, |path| {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
        }) {
            Ok(a) => kafkascope::cli::live::run(a).map(|()| String::new()),
            Err(e) => Err(e),
        },
        "help" | "--help" | "-h" => Ok(kafkascope::cli::USAGE.to_string()),
        other => Err(format!(
            "unknown command {other:?}\n\n{}",
            kafkascope::cli::USAGE
        )),
    };
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kafkascope: {e}");
            ExitCode::from(2)
        }
    }
}
