//! `kafkascope offsets-partition`: which `__consumer_offsets` partition (and
//! so which coordinator) a group id maps to:
//! `Utils.abs(groupId.hashCode()) % offsets.topic.num.partitions`.

use crate::engine::java::{kafka_abs, partition_for_id, string_hash_code};

pub fn run(args: &[String]) -> Result<String, String> {
    let mut partitions: u32 = 50;
    let mut groups = Vec::new();
    let mut i = 0;
    let mut only_groups = false;
    while i < args.len() {
        let a = &args[i];
        if only_groups {
            groups.push(a.clone());
        } else if a == "--" {
            only_groups = true;
        } else if a == "--partitions" || a == "-n" {
            i += 1;
            let v = args
                .get(i)
                .ok_or("--partitions needs a value, e.g. --partitions 50")?;
            partitions = parse(v)?;
        } else if let Some(v) = a.strip_prefix("--partitions=") {
            partitions = parse(v)?;
        } else if a == "--verbose" || a == "-v" {
            // Kept for symmetry with `partition`; the hash is always shown with -v.
            groups.push(String::from("\u{0}verbose"));
        } else if a.starts_with("--") {
            return Err(format!("unknown option {a:?}; expected --partitions N"));
        } else {
            groups.push(a.clone());
        }
        i += 1;
    }
    let verbose = groups.iter().any(|g| g == "\u{0}verbose");
    groups.retain(|g| g != "\u{0}verbose");
    if groups.is_empty() {
        return Err(
            "no group ids given: kafkascope offsets-partition [--partitions 50] GROUP...".into(),
        );
    }
    Ok(groups
        .iter()
        .map(|g| {
            let p = partition_for_id(g, partitions);
            if verbose {
                let h = string_hash_code(g);
                format!(
                    "{g}\t{p}\t(hashCode {h}, abs {}, % {partitions})\n",
                    kafka_abs(h)
                )
            } else {
                format!("{g}\t{p}\n")
            }
        })
        .collect())
}

fn parse(v: &str) -> Result<u32, String> {
    match v.parse::<i64>() {
        Ok(n) if (1..=i32::MAX as i64).contains(&n) => Ok(n as u32),
        Ok(n) => Err(format!(
            "--partitions must be at least 1 (got {n}): offsets.topic.num.partitions is positive"
        )),
        Err(_) => Err(format!("--partitions expects a whole number, got {v:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn maps_group_ids_like_the_group_coordinator() {
        assert_eq!(
            run(&args(&["my-consumer-group"])).unwrap(),
            "my-consumer-group\t13\n"
        );
        // hashCode is Integer.MIN_VALUE: Utils.abs maps it to 0.
        assert_eq!(
            run(&args(&["polygenelubricants"])).unwrap(),
            "polygenelubricants\t0\n"
        );
        assert_eq!(
            run(&args(&["--partitions", "1", "a", "b"])).unwrap(),
            "a\t0\nb\t0\n"
        );
    }

    #[test]
    fn bad_arguments_are_explained() {
        assert!(run(&args(&[])).unwrap_err().contains("no group ids"));
        assert!(run(&args(&["--partitions", "0", "g"]))
            .unwrap_err()
            .contains("at least 1"));
        assert!(run(&args(&["--partitions", "x", "g"]))
            .unwrap_err()
            .contains("whole number"));
        assert!(run(&args(&["--bogus", "g"]))
            .unwrap_err()
            .contains("unknown option"));
    }
}
