//! `kafkascope steps`, `kafkascope lesson check` and `kafkascope link`:
//! the tools a lesson author needs (which step shows what; does my lesson
//! play to its end; what is the link for my scenario file).

use crate::model::{Model, Msg};

/// `kafkascope steps (--preset ID | --link LINK) [--to N]`: the narration
/// of every step from 0 to N (default 120), as the page shows it when the
/// learner presses Step forward.
pub fn steps(args: &[String]) -> Result<String, String> {
    let mut model: Option<Model> = None;
    let mut to: u64 = 120;
    let mut i = 0;
    while i < args.len() {
        let value = || {
            args.get(i + 1)
                .cloned()
                .ok_or(format!("{} needs a value", args[i]))
        };
        match args[i].as_str() {
            "--preset" => {
                let id = value()?;
                let mut m = Model::default();
                if !m.load_preset(&id) {
                    return Err(m.error.unwrap_or_default());
                }
                model = Some(m);
                i += 2;
            }
            "--link" => {
                let l = crate::link::decode(&value()?, &crate::presets::config_by_id)
                    .map_err(|e| e.message)?;
                let mut at_start = l.clone();
                at_start.at_calls = 0;
                at_start.commands.clear();
                let mut m = Model::from_link(&at_start).map_err(|e| e.message)?;
                m.commands = l.commands.iter().cloned().collect();
                model = Some(m);
                i += 2;
            }
            "--to" => {
                to = value()?
                    .parse()
                    .map_err(|_| "--to needs a step number".to_string())?;
                i += 2;
            }
            other => {
                return Err(format!(
                "unknown argument {other:?} (steps takes --preset ID or --link LINK, and --to N)"
            ))
            }
        }
    }
    let mut m = model.ok_or("steps needs --preset ID or --link LINK")?;
    let mut out = String::new();
    let mut last = None;
    while m.step < to {
        m.update(Msg::StepForward);
        if Some(m.step) == last {
            break;
        }
        last = Some(m.step);
        let said = m
            .headline()
            .map(|h| crate::narration::narrate(&m.engine, h).plain())
            .unwrap_or_default();
        out.push_str(&format!(
            "step {:>4}  {}  {}\n",
            m.step,
            crate::model::clock(m.engine.now_ms()),
            said
        ));
    }
    Ok(out)
}

/// `kafkascope lesson check FILE...`: parses each lesson and plays it to
/// its end, answering every question right; prints each beat's step and
/// narration. Reads files through `read` (so it is testable).
pub fn check(
    args: &[String],
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    if args.is_empty() {
        return Err("lesson check needs one or more lesson files".into());
    }
    let mut out = String::new();
    let mut failed = Vec::new();
    for path in args {
        let text = read(path)?;
        let lesson = match crate::lesson::parse(&text) {
            Ok(l) => l,
            Err(errs) => {
                for e in &errs {
                    failed.push(format!("{path}: {e}"));
                }
                continue;
            }
        };
        match crate::tour::play_through(&lesson) {
            Ok(beats) => {
                out.push_str(&format!(
                    "{path}: \"{}\", {} beats, ok\n",
                    lesson.title,
                    beats.len()
                ));
                for (step, said) in beats {
                    out.push_str(&format!("  step {step:>4}: {said}\n"));
                }
            }
            Err(e) => failed.push(format!("{path}: {e}")),
        }
    }
    if failed.is_empty() {
        Ok(out)
    } else {
        Err(format!("{out}{}", failed.join("\n")))
    }
}

/// `kafkascope link FILE.json`: the scenario link (the part after `#`)
/// for a scenario file, for a lesson's `scenario:` line or a course page.
pub fn link(
    args: &[String],
    read: impl Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let [path] = args else {
        return Err("link needs exactly one scenario file".into());
    };
    let config =
        crate::scenario::ScenarioFile::parse(&read(path)?).map_err(|e| format!("{path}: {e}"))?;
    let l = crate::link::Link::custom(config, Vec::new(), 0);
    crate::link::encode_checked(&l, &crate::presets::config_by_id)
        .map(|s| format!("{s}\n"))
        .map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_prints_the_narration_of_each_step() {
        let out = steps(&[
            "--preset".into(),
            "nine-stages".into(),
            "--to".into(),
            "9".into(),
        ])
        .unwrap();
        assert_eq!(out.lines().count(), 9);
        assert!(
            out.lines().next().unwrap().starts_with("step    1"),
            "{out}"
        );
        assert!(out.to_lowercase().contains("commit"), "{out}");
    }

    #[test]
    fn a_lesson_that_expects_the_wrong_thing_fails_its_check() {
        let text = "lesson: t\ntitle: T\nsection: S\nscenario: nine-stages\n\nstep 0\nStart.\n\nstep 3\nexpect: this words never appear\nText.\n";
        let err = check(&["t.lesson".into()], |_| Ok(text.into())).unwrap_err();
        assert!(err.contains("expects \"this words never appear\""), "{err}");
    }
}
