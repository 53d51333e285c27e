//! The one seed-sweep driver of the tests.

/// Runs `check` for seeds `0..n` (`SWEEP_SEEDS`, default `default_seeds`),
/// or for the one seed `SWEEP_SEED` names, and fails listing the first five
/// failing seeds so each can be replayed alone. Shared by the sweeps.
pub fn sweep(default_seeds: u64, check: impl Fn(u64) -> Result<(), String>) {
    if let Ok(one) = std::env::var("SWEEP_SEED") {
        let seed: u64 = one.parse().expect("SWEEP_SEED is a number");
        check(seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        return;
    }
    let n: u64 = std::env::var("SWEEP_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_seeds);
    let mut failures = Vec::new();
    for seed in 0..n {
        if let Err(e) = check(seed) {
            failures.push(format!("seed {seed}: {e}"));
            if failures.len() >= 5 {
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing seeds (replay with SWEEP_SEED=<n>):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Whether `SWEEP_SEED` asks for one seed (a replay) rather than a sweep.
pub fn single_seed() -> bool {
    std::env::var("SWEEP_SEED").is_ok()
}
