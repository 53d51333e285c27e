//! Narrated lessons: a scenario plus a sequence of beats, each pinned to a
//! step of the (deterministic) run, some asking the learner to predict what
//! happens next before it is played.
//!
//! A lesson is plain text, so a course author can write one in any editor.
//! The built-in lessons (one per section of the course text) are files of
//! this format in `src/lessons/`, and the page opens any other one pasted
//! into the lesson gallery. The format, line by line:
//!
//! ```text
//! # A comment (a line starting with #).
//! lesson: acks                      an id: lowercase letters, digits and '-'
//! title: Producer acknowledgements
//! section: Producer Acknowledgments the course text section it teaches
//! summary: One sentence for the gallery card.
//! scenario: acks1-failover-loss     a preset id, or a scenario link (v1.…)
//!
//! step 0                            a beat: shown when the run is at step 0
//! Text of the beat. Lines are joined; a blank line starts a paragraph.
//!
//! step 6
//! expect: crashed                   optional: words the step's narration
//!                                   must contain (checked by the tests)
//! lane: 2                           optional, side by side: draw the second
//!                                   lane large from this beat on
//! ask: The leader crashed. What happens to the record at offset 3?
//! - It survives on the new leader   a wrong choice
//! * It vanishes                     the right choice (exactly one)
//! reveal: Why, shown after the answer, once the step has played.
//! Text of the beat, as above.
//! more: Background, folded under "More" so the stop stays short (at
//! most about 80 words above the fold) and the picture carries the rest.
//! ```
//!
//! Steps are the numbers on the step counter, so an author finds them by
//! stepping through the scenario in the page (or `kafkascope steps`). A beat
//! with a question is asked *before* its step is played: the learner
//! answers at the previous beat's step, then the run plays to this one and
//! the reveal explains it. The scenario's own actions (a link's action log,
//! a preset's script) replay exactly, so every learner sees the same run.

use crate::link::{self, Link};

/// A whole lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    pub section: String,
    pub summary: String,
    /// What `scenario:` said: a preset id or a link.
    pub scenario: String,
    pub beats: Vec<Beat>,
}

/// One stop of the tour.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Beat {
    /// The step counter's value at which the beat is shown.
    pub step: u64,
    /// Paragraphs of narration.
    pub text: Vec<String>,
    /// Words the step's narration must contain (a check for authors).
    pub expect: Option<String>,
    /// Side by side: the lane to draw large from this beat on (0-based;
    /// `lane: 2` in the file is the second lane).
    pub lane: Option<usize>,
    pub question: Option<Question>,
    /// The paragraphs of `text` from this one on are folded under "More".
    pub more_from: Option<usize>,
}

impl Beat {
    /// The paragraphs shown above the fold.
    pub fn shown(&self) -> &[String] {
        &self.text[..self
            .more_from
            .unwrap_or(self.text.len())
            .min(self.text.len())]
    }

    /// The paragraphs folded under "More".
    pub fn folded(&self) -> &[String] {
        &self.text[self.shown().len()..]
    }
}

/// Predict, then reveal.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Question {
    pub prompt: String,
    pub choices: Vec<String>,
    /// Index of the right choice.
    pub answer: usize,
    pub reveal: String,
}

impl Question {
    /// The order its choices are shown in (indices into `choices`): a
    /// shuffle drawn from the run's seed, the stop and the question's own
    /// words, so the right answer's place gives nothing away (two lessons
    /// with the same seed do not shuffle alike), and a shared link shows the
    /// same order.
    pub fn display_order(&self, seed: u64, stop: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.choices.len()).collect();
        // FNV-1a of the prompt: stable across builds and platforms.
        let words = self.prompt.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        let mut rng = crate::engine::rng::Pcg32::new(seed, stop as u64 ^ words);
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u32 + 1) as usize);
        }
        order
    }
}

/// A problem in a lesson file, with its line (1-based; 0 = the whole file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

/// The longest lesson file accepted (a lesson is prose, not data).
pub const MAX_LESSON_BYTES: usize = 64 * 1024;
/// The most beats in a lesson.
pub const MAX_BEATS: usize = 100;

impl Lesson {
    /// The scenario as a link: a preset id becomes a preset link at step 0.
    pub fn link(&self) -> Result<Link, String> {
        let s = self.scenario.trim();
        if link::looks_like_link(s) {
            link::decode(s, &crate::presets::config_by_id).map_err(|e| e.message)
        } else {
            // (The menu, not `by_id`: a preset of the full page is listed,
            // but not built, in the course page's bundle.)
            match crate::presets::menu().find(|(id, _)| *id == s) {
                Some(_) => Ok(Link::for_preset(s, Vec::new(), 0)),
                None => Err(format!(
                    "there is no preset called \"{s}\"; use a preset id from `kafkascope presets` or a scenario link"
                )),
            }
        }
    }

    /// The step of the last beat.
    pub fn last_step(&self) -> u64 {
        self.beats.last().map(|b| b.step).unwrap_or(0)
    }
}

/// Reads a lesson file. Every problem is reported (not just the first),
/// each with its line.
pub fn parse(text: &str) -> Result<Lesson, Vec<LessonError>> {
    let mut errors = Vec::new();
    let err = |errors: &mut Vec<LessonError>, line: usize, message: String| {
        errors.push(LessonError { line, message })
    };
    if text.len() > MAX_LESSON_BYTES {
        return Err(vec![LessonError {
            line: 0,
            message: format!(
                "the lesson is {} KB; a lesson file holds at most {} KB",
                text.len() / 1024,
                MAX_LESSON_BYTES / 1024
            ),
        }]);
    }
    let mut lesson = Lesson {
        id: String::new(),
        title: String::new(),
        section: String::new(),
        summary: String::new(),
        scenario: String::new(),
        beats: Vec::new(),
    };
    // The paragraph being collected for the current beat.
    let mut para = String::new();
    let flush = |beat: Option<&mut Beat>, para: &mut String| {
        if let Some(b) = beat {
            if !para.trim().is_empty() {
                b.text.push(para.trim().to_string());
            }
        }
        para.clear();
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        let trimmed = line.trim();
        if trimmed.starts_with('#') {
            continue;
        }
        if trimmed.is_empty() {
            flush(lesson.beats.last_mut(), &mut para);
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("step ") {
            flush(lesson.beats.last_mut(), &mut para);
            match rest.trim().parse::<u64>() {
                Ok(step) => {
                    if let Some(prev) = lesson.beats.last() {
                        if step <= prev.step {
                            err(
                                &mut errors,
                                n,
                                format!(
                                    "step {step} comes after step {}: beats must be in increasing step order",
                                    prev.step
                                ),
                            );
                        }
                    }
                    lesson.beats.push(Beat {
                        step,
                        ..Beat::default()
                    });
                    if lesson.beats.len() > MAX_BEATS {
                        err(&mut errors, n, format!("a lesson has at most {MAX_BEATS} beats"));
                        break;
                    }
                }
                Err(_) => err(
                    &mut errors,
                    n,
                    format!("\"{trimmed}\": a beat starts with \"step\" and a step number, like \"step 6\""),
                ),
            }
            continue;
        }
        if lesson.beats.is_empty() {
            // The header.
            let Some((key, value)) = trimmed.split_once(':') else {
                err(
                    &mut errors,
                    n,
                    format!("\"{trimmed}\" is not a header line (\"name: value\"), and no beat (\"step N\") has started yet"),
                );
                continue;
            };
            let value = value.trim().to_string();
            match key.trim() {
                "lesson" => lesson.id = value,
                "title" => lesson.title = value,
                "section" => lesson.section = value,
                "summary" => lesson.summary = value,
                "scenario" => lesson.scenario = value,
                other => err(
                    &mut errors,
                    n,
                    format!("unknown header \"{other}\" (known: lesson, title, section, summary, scenario)"),
                ),
            }
            continue;
        }
        let beat = lesson.beats.last_mut().expect("checked above");
        if let Some(v) = trimmed.strip_prefix("expect:") {
            beat.expect = Some(v.trim().to_string());
        } else if let Some(v) = trimmed.strip_prefix("lane:") {
            match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => beat.lane = Some(n - 1),
                _ => err(
                    &mut errors,
                    n,
                    format!(
                        "\"lane:\" takes a lane number from 1 (the first lane), not \"{}\"",
                        v.trim()
                    ),
                ),
            }
        } else if let Some(v) = trimmed.strip_prefix("more:") {
            flush(Some(beat), &mut para);
            beat.more_from = Some(beat.text.len());
            para.push_str(v.trim());
        } else if let Some(v) = trimmed.strip_prefix("ask:") {
            flush(Some(beat), &mut para);
            if beat.question.is_some() {
                err(&mut errors, n, "a beat asks one question at most".into());
            }
            beat.question = Some(Question {
                prompt: v.trim().to_string(),
                answer: usize::MAX,
                ..Question::default()
            });
        } else if let Some(v) = trimmed.strip_prefix("reveal:") {
            match beat.question.as_mut() {
                Some(q) => q.reveal = v.trim().to_string(),
                None => err(
                    &mut errors,
                    n,
                    "\"reveal:\" comes after an \"ask:\" line".into(),
                ),
            }
        } else {
            let choice = trimmed
                .strip_prefix("- ")
                .map(|c| (false, c))
                .or_else(|| trimmed.strip_prefix("* ").map(|c| (true, c)));
            match (choice, beat.question.as_mut()) {
                (Some((right, text)), Some(q)) if q.reveal.is_empty() => {
                    if right {
                        if q.answer != usize::MAX {
                            err(
                                &mut errors,
                                n,
                                "only one choice may be marked right (\"*\")".into(),
                            );
                        }
                        q.answer = q.choices.len();
                    }
                    q.choices.push(text.trim().to_string());
                }
                _ => {
                    if !para.is_empty() {
                        para.push(' ');
                    }
                    para.push_str(trimmed);
                }
            }
        }
    }
    flush(lesson.beats.last_mut(), &mut para);

    // Whole-file checks.
    let header = |errors: &mut Vec<LessonError>, name: &str, v: &str| {
        if v.is_empty() {
            errors.push(LessonError {
                line: 0,
                message: format!("the header \"{name}:\" is missing"),
            });
        }
    };
    header(&mut errors, "lesson", &lesson.id);
    header(&mut errors, "title", &lesson.title);
    header(&mut errors, "section", &lesson.section);
    header(&mut errors, "scenario", &lesson.scenario);
    if !lesson.id.is_empty()
        && !lesson
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        err(
            &mut errors,
            0,
            format!(
                "the lesson id \"{}\" may only use a-z, 0-9 and '-'",
                lesson.id
            ),
        );
    }
    if lesson.beats.is_empty() {
        err(
            &mut errors,
            0,
            "a lesson needs at least one beat (\"step N\" and its text)".into(),
        );
    }
    for b in &lesson.beats {
        if b.text.is_empty() && b.question.is_none() {
            err(
                &mut errors,
                0,
                format!("the beat at step {} has no text", b.step),
            );
        }
        if let Some(q) = &b.question {
            if q.choices.len() < 2 {
                err(
                    &mut errors,
                    0,
                    format!(
                        "the question at step {} needs at least two choices (\"- …\" lines)",
                        b.step
                    ),
                );
            }
            if q.answer == usize::MAX {
                err(
                    &mut errors,
                    0,
                    format!(
                        "the question at step {} marks no choice right (start it with \"* \")",
                        b.step
                    ),
                );
            }
            if q.reveal.is_empty() {
                err(
                    &mut errors,
                    0,
                    format!(
                        "the question at step {} has no \"reveal:\" line explaining the answer",
                        b.step
                    ),
                );
            }
        }
    }
    if !lesson.scenario.is_empty() {
        if let Err(e) = lesson.link() {
            err(&mut errors, 0, format!("scenario: {e}"));
        }
    }
    if errors.is_empty() {
        Ok(lesson)
    } else {
        Err(errors)
    }
}

/// The built-in lessons, in course order: (id, section); a section may
/// have more than one. The page shows
/// this list at once and fetches a lesson's text (`lessons/<id>.lesson`,
/// next to the page) when it is opened, so lesson prose never weighs on
/// the first load. A test checks this list against the files.
pub const INDEX: [(&str, &str); 16] = [
    ("producer-consumer-model", "The Producer-Consumer Model"),
    ("nine-stages", "The Complete Flow"),
    ("at-most-once", "At-Most-Once Delivery"),
    ("at-least-once", "At-Least-Once Delivery"),
    ("exactly-once", "Exactly-Once Semantics (EOS)"),
    ("zombies-and-the-lso", "Exactly-Once Semantics (EOS)"),
    ("consumer-offsets", "Consumer Offsets"),
    ("new-group-at-the-end", "Consumer Offsets"),
    ("consumer-groups", "Consumer Groups"),
    ("rebalancing", "Rebalancing"),
    ("rebalance-protocols", "Rebalancing"),
    ("too-slow-for-the-group", "Rebalancing"),
    ("producer-acks", "Producer Acknowledgments"),
    ("semantics-summary", "Semantic Summary"),
    ("end-to-end", "Semantic Summary"),
    ("caught-exception", "Code Example"),
];

/// The built-in lesson files, compiled in for the native tools and tests
/// (the web page fetches them instead, see [`INDEX`]).
#[cfg(not(target_arch = "wasm32"))]
pub const BUILT_IN: [&str; 16] = [
    include_str!("lessons/producer-consumer-model.lesson"),
    include_str!("lessons/nine-stages.lesson"),
    include_str!("lessons/at-most-once.lesson"),
    include_str!("lessons/at-least-once.lesson"),
    include_str!("lessons/exactly-once.lesson"),
    include_str!("lessons/zombies-and-the-lso.lesson"),
    include_str!("lessons/consumer-offsets.lesson"),
    include_str!("lessons/new-group-at-the-end.lesson"),
    include_str!("lessons/consumer-groups.lesson"),
    include_str!("lessons/rebalancing.lesson"),
    include_str!("lessons/rebalance-protocols.lesson"),
    include_str!("lessons/too-slow-for-the-group.lesson"),
    include_str!("lessons/producer-acks.lesson"),
    include_str!("lessons/semantics-summary.lesson"),
    include_str!("lessons/end-to-end.lesson"),
    include_str!("lessons/caught-exception.lesson"),
];

/// The built-in lessons, parsed (a broken one is left out; the test suite
/// makes sure none is). Empty in the browser, which fetches them.
pub fn built_in() -> Vec<Lesson> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        BUILT_IN.iter().filter_map(|t| parse(t).ok()).collect()
    }
    #[cfg(target_arch = "wasm32")]
    {
        Vec::new()
    }
}

/// A built-in lesson by id, where its text is at hand (natively).
pub fn by_id(id: &str) -> Option<Lesson> {
    built_in().into_iter().find(|l| l.id == id)
}

/// A built-in lesson file's text by id (natively; what the page fetches
/// from `lessons/<id>.lesson`, and `kafkascope live` serves there).
#[cfg(not(target_arch = "wasm32"))]
pub fn text_of(id: &str) -> Option<&'static str> {
    INDEX
        .iter()
        .position(|(i, _)| *i == id)
        .map(|n| BUILT_IN[n])
}

/// Where the page fetches a built-in lesson from (relative to the page,
/// so it works from any sub-path).
pub fn url_of(id: &str) -> Option<String> {
    INDEX
        .iter()
        .any(|(i, _)| *i == id)
        .then(|| format!("lessons/{id}.lesson"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
# comment
lesson: demo
title: A demo
section: The Producer-Consumer Model
summary: Shows the format.
scenario: nine-stages

step 0
First line
joined.

Second paragraph.

step 3
expect: partition
ask: Which partition?
- P0
* P1
- P2
reveal: Because murmur2.
After the reveal.
";

    #[test]
    fn a_well_formed_lesson_parses_into_beats_and_questions() {
        let l = parse(GOOD).unwrap();
        assert_eq!(l.id, "demo");
        assert_eq!(l.beats.len(), 2);
        assert_eq!(
            l.beats[0].text,
            vec![
                "First line joined.".to_string(),
                "Second paragraph.".to_string()
            ]
        );
        let q = l.beats[1].question.as_ref().unwrap();
        assert_eq!(q.choices, vec!["P0", "P1", "P2"]);
        assert_eq!(q.answer, 1);
        assert_eq!(q.reveal, "Because murmur2.");
        assert_eq!(l.beats[1].expect.as_deref(), Some("partition"));
        assert_eq!(l.beats[1].text, vec!["After the reveal.".to_string()]);
    }

    #[test]
    fn more_folds_the_paragraphs_after_it() {
        let l = parse(
            "lesson: demo\ntitle: T\nsection: S\nscenario: nine-stages\nstep 0\nShown.\nmore: Folded one.\n\nFolded two.\n",
        )
        .unwrap();
        let b = &l.beats[0];
        assert_eq!(b.shown(), ["Shown.".to_string()]);
        assert_eq!(
            b.folded(),
            ["Folded one.".to_string(), "Folded two.".to_string()]
        );
        let plain = parse(GOOD).unwrap();
        assert!(plain.beats[0].folded().is_empty());
        assert_eq!(plain.beats[0].shown(), plain.beats[0].text.as_slice());
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let bad = "lesson: Bad Id\ncolour: red\nscenario: no-such-preset\nstep 4\ntext\nstep 2\nask: q?\n- a\nstep x\n";
        let errs = parse(bad).unwrap_err();
        let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        let all = text.join("\n");
        assert!(all.contains("line 2: unknown header \"colour\""), "{all}");
        assert!(all.contains("line 6: step 2 comes after step 4"), "{all}");
        assert!(all.contains("line 9:"), "{all}");
        assert!(all.contains("\"title:\" is missing"), "{all}");
        assert!(all.contains("may only use a-z"), "{all}");
        assert!(all.contains("needs at least two choices"), "{all}");
        assert!(all.contains("marks no choice right"), "{all}");
        assert!(all.contains("no preset called \"no-such-preset\""), "{all}");
    }

    #[test]
    fn markup_in_a_lesson_stays_text() {
        let l = parse(&GOOD.replace("First line", "<script>alert(1)</script>")).unwrap();
        assert!(l.beats[0].text[0].starts_with("<script>"));
    }
}
