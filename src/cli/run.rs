//! `kafkascope run FILE.json | --preset NAME [--json]` and `kafkascope presets`:
//! run a scenario headless to its end and print the delivery ledger.

use crate::engine::ids::GroupIdx;
use crate::engine::{Engine, ScenarioConfig, StepOutcome};

/// Stops a runaway scenario (a producer that never finishes, say).
pub const MAX_STEPS: u64 = 5_000_000;

/// `kafkascope presets [--json]`: the presets in menu order. Without
/// `--json`, one line each (id and summary); with it, an array of objects
/// for tools (the end-to-end tests read it instead of the Rust source):
/// `id`, `title`, `summary` and `lanes` (the lane labels of a side-by-side
/// preset, empty otherwise).
pub fn presets_command(args: &[String]) -> Result<String, String> {
    match args {
        [] => Ok(presets()),
        [flag] if flag == "--json" => presets_json(),
        _ => Err("usage: kafkascope presets [--json]".into()),
    }
}

fn presets_json() -> Result<String, String> {
    /// One preset of `presets --json` (fields in this order).
    #[derive(serde::Serialize)]
    struct Listed {
        id: &'static str,
        title: &'static str,
        summary: &'static str,
        lanes: Vec<&'static str>,
        /// Where the page runs it: "" (the course page) or "full/" (Kafka
        /// 4's consumer protocol, which the course page's bundle lacks).
        page: &'static str,
    }
    let list: Vec<Listed> = crate::presets::all()
        .iter()
        .map(|p| Listed {
            id: p.id,
            title: p.title,
            summary: p.summary,
            lanes: p.lanes.iter().map(|(label, _)| *label).collect(),
            // The table's flag, which a restart onto the consumer protocol
            // sets too (a group's starting protocol alone misses the rolling
            // upgrade).
            page: if crate::presets::is_full_page(p.id) {
                "full/"
            } else {
                ""
            },
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?;
    out.push('\n');
    Ok(out)
}

pub fn presets() -> String {
    let all = crate::presets::all();
    let width = all.iter().map(|p| p.id.len()).max().unwrap_or(0);
    all.iter()
        .map(|p| format!("{:width$}  {}\n", p.id, p.summary, width = width))
        .collect()
}

/// `read_file` is injected so the function stays testable without files.
pub fn run(
    args: &[String],
    read_file: impl Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut json = false;
    let mut preset: Option<String> = None;
    let mut file: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--json" => json = true,
            "--preset" => {
                i += 1;
                preset = Some(
                    args.get(i)
                        .cloned()
                        .ok_or("--preset needs a name (see `kafkascope presets`)")?,
                );
            }
            a if a.starts_with("--") => {
                return Err(format!(
                    "unknown option {a:?}; expected FILE.json, --preset NAME or --json"
                ))
            }
            a => {
                if file.is_some() {
                    return Err("give one scenario file".into());
                }
                file = Some(a.to_string());
            }
        }
        i += 1;
    }
    let (config, name) = match (file, preset) {
        (Some(_), Some(_)) => return Err("give a scenario file or --preset, not both".into()),
        (Some(f), None) => {
            let text = read_file(&f)?;
            (
                crate::scenario::ScenarioFile::parse(&text).map_err(|e| format!("{f}: {e}"))?,
                f,
            )
        }
        (None, Some(id)) => {
            let p = crate::presets::by_id(&id)
                .ok_or_else(|| format!("unknown preset {id:?}; `kafkascope presets` lists them"))?;
            if !p.lanes.is_empty() {
                // A side-by-side preset: run every lane.
                let mut reports = Vec::new();
                for (label, cfg) in &p.lanes {
                    reports.push((label.to_string(), run_config(cfg.clone())?));
                }
                return Ok(if json {
                    let lanes: Vec<serde_json::Value> = reports
                        .iter()
                        .map(|(label, r)| {
                            let mut v: serde_json::Value =
                                serde_json::from_str(&render_json(r)).unwrap_or_default();
                            if let Some(o) = v.as_object_mut() {
                                o.insert("lane".into(), serde_json::json!(label));
                            }
                            v
                        })
                        .collect();
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "preset": id, "lanes": lanes }),
                    )
                    .unwrap_or_default()
                        + "\n"
                } else {
                    reports
                        .iter()
                        .map(|(label, r)| render_text(r, &format!("{id} [{label}]")))
                        .collect()
                });
            }
            (p.config, id)
        }
        (None, None) => {
            return Err("usage: kafkascope run FILE.json | --preset NAME [--json]".into())
        }
    };
    let report = run_config(config)?;
    Ok(if json {
        render_json(&report)
    } else {
        render_text(&report, &name)
    })
}

pub struct Report {
    pub engine: Engine,
    pub steps: u64,
    pub finished: bool,
}

pub fn run_config(config: ScenarioConfig) -> Result<Report, String> {
    let mut engine = Engine::new(config).map_err(|errs| {
        errs.iter()
            .map(|e| format!("config.{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let mut steps = 0;
    let mut finished = false;
    while steps < MAX_STEPS {
        let out = engine.step();
        engine.clear_events();
        if out == StepOutcome::Idle {
            finished = true;
            break;
        }
        steps += 1;
    }
    Ok(Report {
        engine,
        steps,
        finished,
    })
}

fn group_json(e: &Engine, g: GroupIdx) -> serde_json::Value {
    let s = e.delivery_summary(g);
    let grp = &e.groups()[g.0 as usize];
    let mut offsets = serde_json::Map::new();
    for (tp, off) in grp.committed.iter() {
        offsets.insert(
            format!("{}-{}", e.topic(tp.topic).name, tp.partition),
            serde_json::json!(off.0),
        );
    }
    serde_json::json!({
        "group": grp.group_id,
        "produced": s.produced,
        "processed_once": s.processed_once,
        "lost": s.lost,
        "duplicated": s.duplicated,
        "in_flight": s.in_flight,
        "aborted": s.aborted,
        "duplicate_writes": s.duplicate_writes,
        "acked_then_lost": s.acked_then_lost,
        "committed_offsets": offsets,
        "group_protocol": if grp.consumer_group().is_some() { "consumer" } else { "classic" },
        // Partition-milliseconds without a live owner (engine::ownership).
        "unowned_partition_ms": e.unowned_partition_ms(g),
    })
}

pub fn render_json(r: &Report) -> String {
    let e = &r.engine;
    let groups: Vec<serde_json::Value> = (0..e.groups().len())
        .map(|g| group_json(e, GroupIdx(g as u16)))
        .collect();
    let first = groups.first().cloned().unwrap_or(serde_json::json!({}));
    let mut end_offsets = serde_json::Map::new();
    for tp in e.all_partitions() {
        if e.topic(tp.topic).internal {
            continue;
        }
        let leo = e
            .leader_of(tp)
            .and_then(|l| e.brokers()[l.0 as usize].replica(tp))
            .map(|r| serde_json::json!({"high_watermark": r.log.hw().0, "log_end_offset": r.log.leo().0}))
            .unwrap_or(serde_json::json!(null));
        end_offsets.insert(format!("{}-{}", e.topic(tp.topic).name, tp.partition), leo);
    }
    let mut out = serde_json::json!({
        "produced": first["produced"],
        "processed_once": first["processed_once"],
        "lost": first["lost"],
        "duplicated": first["duplicated"],
        "in_flight": first["in_flight"],
        "aborted": first["aborted"],
        "duplicate_writes": first["duplicate_writes"],
        "acked_then_lost": first["acked_then_lost"],
        "steps": r.steps,
        "simulated_ms": e.now_ms(),
        "finished": r.finished,
        "groups": groups,
        "partitions": end_offsets,
    });
    if let Some(o) = out.as_object_mut() {
        o.insert(
            "committed_offsets".into(),
            first["committed_offsets"].clone(),
        );
    }
    serde_json::to_string_pretty(&out).unwrap_or_default() + "\n"
}

pub fn render_text(r: &Report, name: &str) -> String {
    let e = &r.engine;
    let mut s = format!(
        "{name}: {} steps, {}.{:03} s simulated{}\n",
        r.steps,
        e.now_ms() / 1000,
        e.now_ms() % 1000,
        if r.finished {
            ""
        } else {
            " (stopped: step limit reached)"
        }
    );
    for g in 0..e.groups().len() {
        let sum = e.delivery_summary(GroupIdx(g as u16));
        s.push_str(&format!(
            "group {}: produced {}, processed once {}, lost {}, duplicated {}, in flight {}, aborted {}; partitions without an owner {} partition-ms\n",
            e.groups()[g].group_id,
            sum.produced,
            sum.processed_once,
            sum.lost,
            sum.duplicated,
            sum.in_flight,
            sum.aborted,
            e.unowned_partition_ms(GroupIdx(g as u16))
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_preset_runs_to_its_end_and_reports_json() {
        let out = run(
            &args(&["--preset", "at-least-once-duplicates", "--json"]),
            |_| Err("no files".into()),
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["lost"], 0);
        assert!(v["duplicated"].as_u64().unwrap() >= 1);
        assert_eq!(v["finished"], true);
        assert!(v["committed_offsets"]["events-0"].as_i64().unwrap() > 0);
    }

    #[test]
    fn a_file_is_read_and_its_errors_name_the_file_and_field() {
        let out = run(&args(&["s.json"]), |_| {
            Ok(r#"{"version": 1, "preset": "exactly-once-survives"}"#.into())
        })
        .unwrap();
        assert!(out.contains("lost 0, duplicated 0"), "{out}");
        let e = run(&args(&["bad.json"]), |_| {
            Ok(r#"{"version": 1, "config": {"groups": [{"consumers": "two"}]}}"#.into())
        })
        .unwrap_err();
        assert!(
            e.starts_with("bad.json: config.groups[0].consumers: invalid type"),
            "{e}"
        );
    }

    #[test]
    fn presets_are_listed_with_a_summary() {
        let out = presets();
        assert!(out.lines().count() >= 20);
        assert!(out.contains("acks1-failover-loss"));
    }
}
