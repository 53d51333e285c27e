//! Sharing: the model as a scenario link and back, the embed code, and the
//! page's start options (embed mode, autoplay, a lesson, a step).
//!
//! A link ([`crate::link`]) carries the configuration (or a preset id), the
//! action log up to the current step and that step. Opening it builds the
//! model and **replays** the log through the same code the live run used
//! ([`Model::step_with`]), so the opened page shows exactly what the sender
//! saw: the same records, faults, focus and narration, and the same history
//! to travel back through.

use crate::link::{self, Link, LinkError, LinkErrorKind, LinkScenario};
use crate::model::Model;

impl Model {
    /// This run as a link: the scenario, every action up to now, this step.
    pub fn to_link(&self) -> Link {
        let commands: Vec<_> = self.commands.iter().take(self.applied).cloned().collect();
        let at_calls = self.engine.step_calls();
        let scenario = match &self.preset {
            Some(id) => {
                let same = crate::presets::by_id(id).is_some_and(|p| p.config == self.config);
                LinkScenario::Preset {
                    id: id.clone(),
                    overrides: (!same).then(|| self.config.clone()),
                }
            }
            None => LinkScenario::Custom(self.config.clone()),
        };
        let mut l = Link {
            scenario,
            commands,
            at_calls,
            view: Default::default(),
            live_tape: self.live_tape(),
        };
        l.view.embed = self.embed;
        l.view.lesson = self.lesson.as_ref().map(|r| r.lesson.id.clone());
        l
    }

    #[cfg(live_engine)]
    fn live_tape(&self) -> Option<Vec<u8>> {
        self.live_tape_packed()
    }
    #[cfg(not(live_engine))]
    fn live_tape(&self) -> Option<Vec<u8>> {
        None
    }

    /// The fragment for this run (without `#`), or why it cannot be shared.
    pub fn share_fragment(&self) -> Result<String, LinkError> {
        link::encode_checked(&self.to_link(), &crate::presets::config_by_id)
    }

    /// Builds the run a link describes, at its step, with its history.
    pub fn from_link(l: &Link) -> Result<Model, LinkError> {
        l.check(&crate::presets::config_by_id)?;
        let config = l.config(&crate::presets::config_by_id)?;
        let bad_config = |e: String| {
            LinkError {
            kind: LinkErrorKind::BadConfig,
            message: format!("This link's scenario cannot be built: {e}. Start from the default scenario instead."),
            config_errors: Vec::new(),
        }
        };
        if let Some(tape) = &l.live_tape {
            return Model::from_live_link(l, config, tape);
        }
        let mut m = match &l.scenario {
            LinkScenario::Preset {
                id,
                overrides: None,
            } => {
                let mut m = Model::default();
                if !m.load_preset(id) {
                    return Err(bad_config(m.error.unwrap_or_default()));
                }
                m
            }
            LinkScenario::Preset {
                id,
                overrides: Some(_),
            } => {
                let mut m = Model::new(config).map_err(bad_config)?;
                m.preset = Some(id.clone());
                m
            }
            LinkScenario::Custom(_) => Model::new(config).map_err(bad_config)?,
        };
        m.commands = l.commands.iter().cloned().collect();
        m.applied = 0;
        m.replay_to_calls(l.at_calls);
        if let Some(e) = m.tape_error.take() {
            return Err(LinkError {
                kind: LinkErrorKind::BadCommand,
                message: format!(
                    "This link's {e}. The link was edited, or made by another version of kafkascope; start from the default scenario instead."
                ),
                config_errors: Vec::new(),
            });
        }
        m.error = None;
        m.embed = l.view.embed;
        m.playing = l.view.autoplay;
        if let Some(id) = &l.view.lesson {
            match crate::lesson::by_id(id) {
                Some(lesson) => m.attach_lesson(lesson),
                // In the browser the lesson's text is fetched (see `ui::app`).
                None if crate::lesson::url_of(id).is_some() => {
                    m.pending_lesson = Some(PendingLesson {
                        id: id.clone(),
                        attach: true,
                        step: None,
                        autoplay: false,
                    })
                }
                None => {}
            }
        }
        Ok(m)
    }

    /// A saved live run: its tape, played back on its cluster.
    #[cfg(live_engine)]
    fn from_live_link(
        l: &Link,
        config: crate::engine::ScenarioConfig,
        tape: &[u8],
    ) -> Result<Model, LinkError> {
        let bad = |e: String| {
            LinkError {
            kind: LinkErrorKind::BadConfig,
            message: format!(
                "This saved live run cannot be played back: {e}. Copy the link again from where it was shared."
            ),
            config_errors: Vec::new(),
        }
        };
        let tape = crate::model::live::parse_tape(tape).map_err(bad)?;
        let source = crate::model::live::LiveSource::Recording { tape, played_ms: 0 };
        let mut m = Model::new_live(config, source).map_err(bad)?;
        m.embed = l.view.embed;
        // The first moment of the recording is on screen at once.
        m.live_play(0);
        m.playing = true;
        if m.live.as_ref().is_some_and(|r| r.broken) {
            let why = m
                .live
                .as_ref()
                .and_then(|r| r.status.clone())
                .unwrap_or_default();
            return Err(bad(why));
        }
        Ok(m)
    }
    /// The course page does not play live runs back: the live page
    /// (`live/`) does, and the page sends such a link there.
    #[cfg(not(live_engine))]
    fn from_live_link(
        _: &Link,
        _: crate::engine::ScenarioConfig,
        _: &[u8],
    ) -> Result<Model, LinkError> {
        Err(LinkError {
            kind: LinkErrorKind::UnknownVersion,
            message: "A saved live run: open it on the live page (live/).".into(),
            config_errors: Vec::new(),
        })
    }

    /// Replays the tape until the engine has made `at_calls` calls.
    pub(crate) fn replay_to_calls(&mut self, at_calls: u64) {
        while self.engine.step_calls() < at_calls {
            let before = self.engine.step_calls();
            self.step_with(Some(at_calls), true, super::StepBy::Pressed);
            if self.engine.step_calls() == before || self.tape_error.is_some() {
                break;
            }
        }
    }

    /// The model for a page opened with `fragment` (the URL after `#`): the
    /// linked run, or, if it cannot be opened, the default scenario with the
    /// reason in [`Model::link_error`]. An empty or non-link fragment opens
    /// the default scenario quietly.
    pub fn from_fragment(fragment: &str) -> Model {
        if !link::looks_like_link(fragment) {
            return Model::default();
        }
        match link::decode(fragment, &crate::presets::config_by_id)
            .and_then(|l| Model::from_link(&l))
        {
            Ok(m) => m,
            Err(e) if e.kind == LinkErrorKind::Empty => Model::default(),
            Err(e) => {
                let mut m = Model::default();
                m.link_error = Some(e.message);
                m
            }
        }
    }
}

/// Options in the page's query string (`?embed&lesson=acks&step=12`), for
/// course authors writing an `<iframe>` by hand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartOptions {
    pub embed: bool,
    pub autoplay: bool,
    pub lesson: Option<String>,
    pub preset: Option<String>,
    pub step: Option<u64>,
    /// `from=course`: the course page sent this page here (a preset or a
    /// lesson that needs Kafka 4's consumer protocol); the page says so.
    pub from_course: bool,
    /// Parameters that were not understood, to tell the author.
    pub unknown: Vec<String>,
}

/// Reads a query string (with or without its `?`).
pub fn parse_query(query: &str) -> StartOptions {
    let mut o = StartOptions::default();
    let q = query.trim().trim_start_matches('?');
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        let yes = v.is_empty() || v == "1" || v == "true" || v == "yes";
        match k {
            "embed" => o.embed = yes,
            "autoplay" => o.autoplay = yes,
            "lesson" if !v.is_empty() => o.lesson = Some(v),
            "preset" if !v.is_empty() => o.preset = Some(v),
            "from" if v == "course" => o.from_course = true,
            "step" => match v.parse() {
                Ok(n) => o.step = Some(n),
                Err(_) => o.unknown.push(format!("step={v} (not a step number)")),
            },
            _ => o.unknown.push(pair.to_string()),
        }
    }
    o
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Model {
    /// The model for a page opened at an address: `fragment` is the part
    /// after `#`, `query` the part after `?`. A scenario link in the
    /// fragment wins: it *is* the run (its scenario, actions, step, lesson
    /// and embed mode), so the query's `preset`, `lesson` and `step` do not
    /// replace it; `embed` and `autoplay` still apply, and unknown options
    /// are still named. (A link copied from a `?preset=…` page carries both.)
    pub fn open_page(fragment: &str, query: &str) -> Model {
        let mut m = Model::from_fragment(fragment);
        let mut options = parse_query(query);
        let linked = link::looks_like_link(fragment) && m.link_error.is_none();
        if linked {
            options.preset = None;
            options.lesson = None;
            options.step = None;
        }
        // A link that cannot be opened stays explained, whatever the
        // query's options start instead.
        let link_error = m.link_error.take();
        m.apply_start_options(&options);
        m.link_error = link_error;
        m
    }

    /// Sends the page to `full/?{query}`, which carries Kafka 4's consumer
    /// protocol (an embedded page stays embedded there).
    pub(crate) fn hand_to_full_page(&mut self, query: &str) {
        let embed = if self.embed { "embed&" } else { "" };
        self.handoff = Some(format!("full/?{embed}from=course&{query}"));
    }

    /// Applies the query-string options to a freshly opened page.
    pub fn apply_start_options(&mut self, o: &StartOptions) {
        let mut problems = o.unknown.clone();
        // First: a preset handed to the full page stays embedded there.
        self.embed |= o.embed;
        if let Some(id) = &o.preset {
            if !self.load_preset(id) && !crate::presets::is_known(id) {
                problems.push(format!("preset={id} (no such preset)"));
                self.error = None;
            }
        }
        if let Some(id) = &o.lesson {
            match crate::lesson::by_id(id) {
                Some(l) => self.start_lesson(l),
                // Fetched (see `ui::app`): the step and autoplay wait for
                // it, so the page plays what a compiled-in lesson would.
                None if crate::lesson::url_of(id).is_some() => {
                    self.pending_lesson = Some(PendingLesson {
                        id: id.clone(),
                        attach: false,
                        step: o.step,
                        autoplay: o.autoplay,
                    });
                }
                None => problems.push(format!("lesson={id} (no such lesson)")),
            }
        }
        if self.pending_lesson.is_none() {
            self.play_from_start(o.step, o.autoplay);
        }
        if !problems.is_empty() {
            self.error = Some(format!(
                "This page's address has options kafkascope does not know: {}. Known options: embed, autoplay, lesson=<id>, preset=<id>, step=<n>, from=course.",
                problems.join(", ")
            ));
        }
    }

    /// `?step=` and `?autoplay`, once the page's lesson (if any) has started.
    pub(crate) fn play_from_start(&mut self, step: Option<u64>, autoplay: bool) {
        if let Some(n) = step {
            // Play forward to the step (live steps past the end of history).
            self.step_until(n, n.min(crate::link::limits::MAX_AT_CALLS));
        }
        if autoplay {
            self.set_playing(true);
        }
    }
}

/// A built-in lesson the page must fetch before it can open it (natively,
/// lessons are compiled in and open at once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingLesson {
    pub id: String,
    /// Attach it to the run on screen (a link's lesson), rather than start
    /// it afresh.
    pub attach: bool,
    /// Once started: play to this step (`?step=`) and play on (`?autoplay`).
    pub step: Option<u64>,
    pub autoplay: bool,
}

/// The `<iframe>` an author pastes into a course page. `url` is the page
/// with the link; the title names the scenario for screen readers. No
/// `allow` attribute: the embed asks for no powerful feature.
pub fn embed_code(url: &str, title: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<iframe src=\"{}\" title=\"{}\" width=\"800\" height=\"500\" style=\"border:0;max-width:100%\" loading=\"lazy\" referrerpolicy=\"no-referrer\"></iframe>",
        esc(url),
        esc(&format!("kafkascope: {title}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::BrokerId;
    use crate::model::Msg;

    #[test]
    fn a_link_reopens_the_same_run_at_the_same_step() {
        let mut m = Model::default();
        m.update(Msg::LoadPreset("acks1-failover-loss".into()));
        for i in 0..25 {
            if i == 8 {
                m.update(Msg::ToggleBroker(BrokerId(2)));
            }
            m.update(Msg::StepForward);
        }
        let frag = m.share_fragment().unwrap();
        assert!(frag.starts_with("v1.acks1-failover-loss."), "{frag}");
        let opened = Model::from_fragment(&frag);
        assert_eq!(opened.link_error, None);
        assert_eq!(opened.step, m.step);
        assert_eq!(opened.engine.step_calls(), m.engine.step_calls());
        assert_eq!(opened.events, m.events);
        assert_eq!(opened.focus, m.focus);
        assert_eq!(opened.engine.ledger(), m.engine.ledger());
        assert_eq!(
            opened.last_step(),
            m.step,
            "the history up to here came with it"
        );
    }

    #[test]
    fn a_link_taken_from_a_query_page_keeps_its_run() {
        // Opened as ?preset=… (or ?lesson=…, ?embed&preset=…), stepped, and
        // the address bar copied: the fragment's run wins over the query.
        for query in [
            "?preset=acks1-failover-loss",
            "?embed&preset=acks1-failover-loss",
            "?lesson=producer-acks",
        ] {
            let mut m = Model::open_page("", query);
            for _ in 0..5 {
                m.update(Msg::StepForward);
            }
            let frag = m.share_fragment().unwrap();
            let opened = Model::open_page(&frag, query);
            assert_eq!(opened.link_error, None, "{query}");
            assert_eq!(opened.step, m.step, "{query}: the step");
            assert_eq!(opened.events, m.events, "{query}: the picture");
            assert_eq!(opened.embed, m.embed, "{query}: embed mode");
            assert_eq!(
                opened.lesson.as_ref().map(|r| r.lesson.id.clone()),
                m.lesson.as_ref().map(|r| r.lesson.id.clone()),
                "{query}: the lesson"
            );
        }
        // A bad link still falls back on the query's options.
        let m = Model::open_page("v1.garbage", "?preset=acks1-failover-loss");
        assert!(m.link_error.is_some());
        assert_eq!(m.preset.as_deref(), Some("acks1-failover-loss"));
    }

    #[test]
    fn a_bad_link_opens_the_default_scenario_and_says_why() {
        let m = Model::from_fragment("v1.acks1-failover-loss.AAAEAQAAAFPx6C");
        let e = m.link_error.clone().expect("a truncated link is reported");
        assert!(
            e.contains("cut off") || e.contains("truncated") || e.contains("incomplete"),
            "{e}"
        );
        assert_eq!(m.config, crate::engine::ScenarioConfig::default());
        let m = Model::from_fragment("v7.whatever");
        assert!(m.link_error.unwrap().contains("v7"));
        // Not a link at all: quietly the default.
        assert!(Model::from_fragment("main").link_error.is_none());
    }

    #[test]
    fn query_options_are_read_and_unknown_ones_named() {
        let o = parse_query("?embed&autoplay=1&lesson=at-most-once&step=12&colour=red");
        assert!(o.embed && o.autoplay);
        assert_eq!(o.lesson.as_deref(), Some("at-most-once"));
        assert_eq!(o.step, Some(12));
        assert_eq!(o.unknown, vec!["colour=red".to_string()]);
        assert_eq!(
            parse_query("preset=acks%2Dlatency").preset.as_deref(),
            Some("acks-latency")
        );
        // The course page's hand-off to the full page marks itself; any
        // other `from` is named as unknown.
        assert!(parse_query("?embed&from=course&preset=x").from_course);
        let o = parse_query("?from=elsewhere");
        assert!(!o.from_course);
        assert_eq!(o.unknown, vec!["from=elsewhere".to_string()]);
    }

    #[test]
    fn the_hand_off_to_the_full_page_keeps_embed_and_says_where_it_came_from() {
        let mut m = Model::default();
        m.embed = true;
        m.hand_to_full_page("preset=c-joins-three-protocols");
        assert_eq!(
            m.handoff.as_deref(),
            Some("full/?embed&from=course&preset=c-joins-three-protocols")
        );
        let o = parse_query(m.handoff.as_deref().unwrap().trim_start_matches("full/"));
        assert!(o.embed && o.from_course && o.unknown.is_empty());
    }

    #[test]
    fn embed_code_is_an_iframe_with_a_title_and_no_permissions() {
        let code = embed_code("https://x.test/k/#v1.a\"b", "<b>acks</b>");
        assert!(code.starts_with("<iframe src=\"https://x.test/k/#v1.a&quot;b\""));
        assert!(code.contains("title=\"kafkascope: &lt;b&gt;acks&lt;/b&gt;\""));
        assert!(!code.contains("allow="));
    }
}
