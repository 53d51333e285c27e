//! `kafkascope steps`, `kafkascope lesson check`, `kafkascope lesson list`
//! and `kafkascope link`: the tools a lesson author needs (which step shows
//! what; does my lesson play to its end; which lessons are built in; what is
//! the link for my scenario file).

use crate::model::{Model, Msg};

/// `kafkascope steps (--preset ID | --link LINK) [--to N] [--lane N]`: the
/// narration of every step from 0 to N (default 120), as the page shows it
/// when the learner presses Step forward (of lane N, side by side).
pub fn steps(args: &[String]) -> Result<String, String> {
    let mut model: Option<Model> = None;
    let mut to: u64 = 120;
    let mut lane: usize = 1;
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
            "--lane" => {
                lane = value()?
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or("--lane needs a lane number from 1")?;
                i += 2;
            }
            other => {
                return Err(format!(
                "unknown argument {other:?} (steps takes --preset ID or --link LINK, --to N and --lane N)"
            ))
            }
        }
    }
    let mut m = model.ok_or("steps needs --preset ID or --link LINK")?;
    if lane > m.lanes.len() + 1 {
        return Err(format!(
            "--lane {lane}: this scenario has {} lane(s)",
            m.lanes.len() + 1
        ));
    }
    let mut out = String::new();
    let mut last = None;
    while m.step < to {
        m.update(Msg::StepForward);
        if Some(m.step) == last {
            break;
        }
        last = Some(m.step);
        // Side by side, lane N (the lanes step together).
        let shown = if lane > 1 { &m.lanes[lane - 2] } else { &m };
        let said = shown
            .headline()
            .map(|h| crate::narration::narrate(&shown.engine, h).plain())
            .unwrap_or_default();
        out.push_str(&format!(
            "step {:>4}  {}  {}\n",
            m.step,
            crate::model::clock(shown.engine.now_ms()),
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
        match crate::model::tour::play_through(&lesson) {
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

/// `kafkascope lesson list [--json]`: the built-in lessons in gallery
/// order ([`crate::lesson::INDEX`]), with the section the gallery files each
/// under, its title and how many stops and questions it has. `--json` prints
/// an array of objects for tools (the end-to-end tests read it instead of the
/// Rust source): `id`, `section`, `title`, `summary`, `scenario`, `url` (where
/// the page fetches the file), `stops`, `questions` and `beats` (each beat's
/// `step` and its `question`: `prompt`, `choices` in file order, `answer`,
/// the index of the right one; or null).
pub fn list(args: &[String]) -> Result<String, String> {
    let json = match args {
        [] => false,
        [flag] if flag == "--json" => true,
        _ => return Err("usage: kafkascope lesson list [--json]".into()),
    };
    let parsed: Vec<crate::lesson::Lesson> = crate::lesson::built_in();
    let mut lessons = Vec::new();
    for (id, section) in crate::lesson::INDEX {
        let lesson = parsed.iter().find(|l| l.id == id).ok_or_else(|| {
            format!(
                "the built-in lesson {id:?} does not parse \
                 (`kafkascope lesson check src/lessons/{id}.lesson` says why)"
            )
        })?;
        lessons.push((section, lesson));
    }
    if json {
        let list: Vec<ListedLesson> = lessons
            .iter()
            .map(|(section, l)| ListedLesson {
                id: &l.id,
                section,
                title: &l.title,
                summary: &l.summary,
                scenario: &l.scenario,
                url: crate::lesson::url_of(&l.id),
                stops: l.beats.len(),
                questions: questions(l),
                beats: l
                    .beats
                    .iter()
                    .map(|b| ListedBeat {
                        step: b.step,
                        question: b.question.as_ref().map(|q| ListedQuestion {
                            prompt: &q.prompt,
                            choices: &q.choices,
                            answer: q.answer,
                        }),
                    })
                    .collect(),
            })
            .collect();
        let mut out = serde_json::to_string_pretty(&list).map_err(|e| e.to_string())?;
        out.push('\n');
        return Ok(out);
    }
    let id_w = lessons.iter().map(|(_, l)| l.id.len()).max().unwrap_or(0);
    let section_w = lessons.iter().map(|(s, _)| s.len()).max().unwrap_or(0);
    let mut out = format!(
        "{:>2}  {:id_w$}  {:section_w$}  {:>5}  {:>9}  title\n",
        "#", "id", "section", "stops", "questions"
    );
    for (i, (section, l)) in lessons.iter().enumerate() {
        out.push_str(&format!(
            "{:>2}  {:id_w$}  {:section_w$}  {:>5}  {:>9}  {}\n",
            i + 1,
            l.id,
            section,
            l.beats.len(),
            questions(l),
            l.title
        ));
    }
    Ok(out)
}

/// One lesson of `lesson list --json` (fields in this order).
#[derive(serde::Serialize)]
struct ListedLesson<'a> {
    id: &'a str,
    section: &'a str,
    title: &'a str,
    summary: &'a str,
    scenario: &'a str,
    url: Option<String>,
    stops: usize,
    questions: usize,
    beats: Vec<ListedBeat<'a>>,
}

#[derive(serde::Serialize)]
struct ListedBeat<'a> {
    step: u64,
    question: Option<ListedQuestion<'a>>,
}

#[derive(serde::Serialize)]
struct ListedQuestion<'a> {
    prompt: &'a str,
    choices: &'a [String],
    answer: usize,
}

/// How many of a lesson's beats ask a question.
fn questions(lesson: &crate::lesson::Lesson) -> usize {
    lesson.beats.iter().filter(|b| b.question.is_some()).count()
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
