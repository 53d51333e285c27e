//! The narration: what just happened and why, in one or two sentences, with
//! the Kafka term in bold and the number that matters in mono. It is the
//! page's one `role="status"` live region. Under it, the details of the
//! focused record.

use crate::engine::ids::{BrokerId, ConsumerIdx, Tp};
use crate::engine::Command;
use crate::model::{Model, Msg};
use crate::narration::{narrate, tp_label, Span};
use crate::ui::stage::send;
use crate::ui::RunSnap;
use yew::prelude::*;
use yew::virtual_dom::VText;

/// What the panel tells, taken when the page rendered: the run (its
/// step's events, the record in focus, the preset) and the few things of
/// the viewer's state it shows. A keystroke or a tab leaves it alone.
#[derive(Properties, Clone, PartialEq)]
pub struct Props {
    pub run: RunSnap,
    /// A lesson is open (its card tells the story, not the preset's).
    pub lesson: bool,
    pub embed: bool,
    pub inspect: Option<(BrokerId, Tp)>,
    pub selected_consumer: Option<ConsumerIdx>,
    /// Where the consumer action card sends its commands.
    pub on: Option<Callback<Msg>>,
    /// Only the live narration (side-by-side view).
    pub compact: bool,
    /// Side by side: every lane's label and run, this panel's own first.
    /// Each announcement then names its lane, and the other lanes' news is
    /// announced too (a screen reader cannot glance across the lanes).
    pub lanes: Vec<(AttrValue, RunSnap)>,
    /// The open preset's summary, once `presets.txt` has been fetched
    /// (empty before, or when it cannot be). Its title comes from there
    /// too, so the panel is drawn again when it arrives.
    pub summary: AttrValue,
}

impl Props {
    /// The panel for `m` (the main run or a side-by-side lane).
    pub fn of(
        m: &Model,
        on: Option<Callback<Msg>>,
        compact: bool,
        lanes: Vec<(AttrValue, RunSnap)>,
    ) -> Props {
        Props {
            run: RunSnap::of(m),
            lesson: m.lesson.is_some(),
            embed: m.embed,
            inspect: m.inspect,
            selected_consumer: m.selected_consumer,
            on,
            compact,
            lanes,
            summary: AttrValue::default(),
        }
    }
}

/// Buttons that act on one consumer: crash it at a chosen stage, close it,
/// restart it, or slow its processing past `max.poll.interval.ms`.
fn consumer_actions(m: &crate::model::Run, c: ConsumerIdx, on: &Callback<Msg>) -> Html {
    use crate::engine::event::CrashPoint;
    let Some(con) = m.engine.consumers().get(c.0 as usize) else {
        return html! {};
    };
    let gc = &m.engine.config().groups[con.group.0 as usize];
    // When an action replaces its own button (Crash now → Restart), focus
    // goes back to the consumer on the stage (see `ui::focus`).
    let back_to = format!("consumer-{c}");
    let btn = |label: &'static str, cmd: Command, danger: bool| {
        button(
            if danger { "btn danger" } else { "btn" },
            label,
            &back_to,
            send(on, Msg::Apply(cmd)),
        )
    };
    let slow = (gc.max_poll_interval_ms as u64 + 5_000).min(u32::MAX as u64) as u32;
    html! {
        <section class="actions-card" aria-label={format!("Consumer {} actions", con.label)}>
            <h3>{format!("Consumer {} ({})", con.label, con.client_id)}</h3>
            <div class="actions">
                if con.alive {
                    { btn("Crash now", Command::CrashConsumer { consumer: c, point: CrashPoint::Now }, true) }
                    { btn("Crash after next poll", Command::CrashConsumer { consumer: c, point: CrashPoint::AfterPoll }, true) }
                    { btn("Crash after processing", Command::CrashConsumer { consumer: c, point: CrashPoint::AfterProcess }, true) }
                    { btn("Crash after commit", Command::CrashConsumer { consumer: c, point: CrashPoint::AfterCommit }, true) }
                    { btn("Leave (close)", Command::StopConsumer { consumer: c }, false) }
                    if con.processing_time_ms < gc.max_poll_interval_ms {
                        { btn("Slow down past max.poll.interval.ms", Command::SetProcessingTime { consumer: c, processing_time_ms: slow }, false) }
                    } else {
                        { btn("Normal speed", Command::SetProcessingTime { consumer: c, processing_time_ms: gc.processing_time_ms }, false) }
                    }
                } else {
                    { btn("Restart", Command::RestartConsumer { consumer: c }, false) }
                }
                { button("btn ghost", "Close", &back_to, send(on, Msg::SelectConsumer(None))) }
            </div>
        </section>
    }
}

/// A `<button>` with a text label; `back_to` names where focus goes if the
/// button disappears (see `ui::focus`).
#[inline(never)]
fn button(
    class: &'static str,
    label: &'static str,
    back_to: &str,
    onclick: Callback<MouseEvent>,
) -> Html {
    html! { <button class={class} data-fk-return={back_to.to_string()} {onclick}>{Html::from(VText::new(label))}</button> }
}

/// A Kafka term in bold.
#[inline(never)]
fn term(t: impl Into<AttrValue>) -> Html {
    html! { <strong class="term">{Html::from(VText::new(t))}</strong> }
}

/// One label/value pair of a details list, the value in mono.
#[inline(never)]
fn detail(k: impl Into<AttrValue>, v: Html) -> Html {
    html! { <><dt>{Html::from(VText::new(k))}</dt><dd>{v}</dd></> }
}

/// A value set in mono.
#[inline(never)]
fn code(v: impl Into<AttrValue>) -> Html {
    html! { <code>{Html::from(VText::new(v))}</code> }
}

fn spans(body: &[Span]) -> Html {
    html! {
        { for body.iter().map(|s| match s {
            Span::Text(t) => html! { <>{t.clone()}</> },
            Span::Term(t) => term(t.clone()),
            Span::Num(t) => html! { <code class="num">{t.clone()}</code> },
        }) }
    }
}

/// What to say after a step with nothing to narrate (`None` before the
/// first step, when the panel introduces the scenario instead).
pub fn quiet_step(m: &crate::model::Run, lanes_busy: bool) -> Option<(&'static str, String)> {
    if m.engine.step_calls() == 0 {
        return None;
    }
    Some(if m.engine.is_idle() && lanes_busy {
        (
            "This lane has finished",
            "Its story is over; the other lanes are still at work (their news is below). Step forward to follow them.".into(),
        )
    } else if m.engine.is_idle() {
        ("Nothing left to do", idle_outcome(&m.engine))
    } else {
        (
            "Background work",
            "This step moved only background traffic (heartbeats, follower fetches, timers). Step forward to reach the next stage.".into(),
        )
    })
}

/// How the run ended, counted over every group (what the Ledger tab lists):
/// "every record finished its journey" only when none was lost or
/// processed twice, since the end of a loss scenario is the loss.
fn idle_outcome(e: &crate::engine::Engine) -> String {
    let (mut lost, mut dup) = (0, 0);
    for g in 0..e.groups().len() {
        let s = e.delivery_summary(crate::engine::ids::GroupIdx(g as u16));
        lost += s.lost;
        dup += s.duplicated;
    }
    let outcome = if lost + dup == 0 {
        "Every record sent so far has finished its journey.".to_string()
    } else {
        format!("The run is over: {lost} lost, {dup} processed more than once.")
    };
    format!("{outcome} Step back or drag the History scrubber to replay any moment; Step forward sends another record.")
}

#[component]
pub fn Narration(props: &Props) -> Html {
    let m = &props.run;
    let e = &m.engine;
    let headline = m.headline();
    let narration = headline.map(|h| narrate(e, h));
    // Other headline events of the same step (an election after a fence, …).
    let also: Vec<(String, bool)> = crate::narration::also(&m.events, headline)
        .take(6)
        .map(|ev| {
            let n = narrate(e, ev);
            (n.title, n.alarm)
        })
        .collect();
    let focus = m.focus.map(|r| e.record(r).clone());
    let lane_prefix = props
        .lanes
        .first()
        .map(|(label, _)| format!("{label}: "))
        .unwrap_or_default();
    // "At-least-once: Stage 7 of 9: Poll" for each other lane with news.
    let other_lanes: Vec<String> = props
        .lanes
        .iter()
        .skip(1)
        .filter_map(|(label, lane)| {
            let h = lane.headline()?;
            Some(format!("{label}: {}", narrate(&lane.engine, h).title))
        })
        .collect();
    // In a lesson the lesson card tells the story: a preset's summary would
    // give its questions away.
    let preset = m
        .preset
        .as_deref()
        .filter(|_| !props.lesson)
        .map(crate::presets::title);
    let inspect = props.inspect.and_then(|(b, tp)| {
        let rep = e.brokers().get(b.0 as usize)?.replica(tp)?;
        let meta = e.partition_meta(tp);
        let (hw, leo, lso) = (rep.log.hw().0, rep.log.leo().0, rep.log.lso().0);
        let role = if meta.leader == Some(b) {
            format!("leader (epoch {})", meta.leader_epoch.0)
        } else if meta.isr.contains(&b) {
            "in-sync follower".to_string()
        } else {
            "out-of-sync follower".to_string()
        };
        let gap = if leo > hw {
            format!(
                "Offsets {hw}–{} are written here but not yet on every in-sync replica, so consumers cannot read them yet.",
                leo - 1
            )
        } else {
            "Everything in this log is below the high watermark: readable by consumers.".to_string()
        };
        let lag_note = if meta.leader == Some(b) {
            String::new()
        } else {
            " A follower learns the HW from the leader's fetch responses, so it can lag the leader's.".to_string()
        };
        Some((format!("{} on broker {b} — {role}", tp_label(e, tp)), format!("HW {hw}, LEO {leo}, LSO {lso}, log start {}. {gap}{lag_note}", rep.log.log_start().0)))
    });
    html! {
        <aside class={classes!("narration", props.compact.then_some("compact"))} aria-label="Narration" tabindex="0">
            <div class={classes!("narration-live", narration.as_ref().filter(|n| n.alarm).map(|_| "alarm"))}
                 role="status" aria-live="polite" aria-atomic="true">
                if let Some(n) = &narration {
                    <p class="narration-title">if !lane_prefix.is_empty() { <span class="lane-prefix">{lane_prefix.clone()}</span> }{n.title.clone()}</p>
                    <p class="narration-body">{spans(&n.body)}</p>
                    if !also.is_empty() {
                        <ul class="narration-also" aria-label="Also in this step">
                            { for also.iter().map(|(title, alarm)| html! {
                                <li class={classes!(alarm.then_some("alarm"))}>{title.clone()}</li>
                            }) }
                        </ul>
                    }
                } else if let Some((title, body)) = quiet_step(m, props.lanes.iter().skip(1).any(|(_, l)| !l.engine.is_idle())) {
                    <p class="narration-title">if !lane_prefix.is_empty() { <span class="lane-prefix">{lane_prefix.clone()}</span> }{title}</p>
                    <p class="narration-body">{body}</p>
                } else if let Some(p) = &preset {
                    <p class="narration-title">{"Ready: "}{p}</p>
                    <p class="narration-body">{props.summary.clone()}{warm_start_note(e)}{" Press "}{term("Step forward")}{" or "}{term("Play")}{"."}</p>
                } else {
                    <p class="narration-title">{"Ready"}</p>
                    <p class="narration-body">
                        // What is on the stage, counted (a lesson's or a
                        // link's scenario may not be the default one).
                        {format!("{} {}, a topic ", e.producers().len(), if e.producers().len() == 1 { "producer" } else { "producers" })}
                        {term(e.topics().iter().find(|t| !t.internal).map(|t| t.name.clone()).unwrap_or_default())}
                        {format!(" on {} {}, and {} {}. ", e.brokers().len(), if e.brokers().len() == 1 { "broker" } else { "brokers" },
                            e.groups().len(), if e.groups().len() == 1 { "consumer group" } else { "consumer groups" })}
                        {warm_start_note(e)}
                        if !props.lesson {
                            { if props.embed { "Press " } else { "Type a key in Settings (or leave it empty for a null key) and press " } }
                            {term("Step forward")}
                            {" to follow one record through all nine stages."}
                        }
                    </p>
                }
                if !other_lanes.is_empty() {
                    // Seen when this lane has no news of its own.
                    <ul class={classes!("narration-also", narration.is_some().then_some("sr-only"))} aria-label="The other lanes">
                        { for other_lanes.into_iter().map(|t| html! { <li>{t}</li> }) }
                    </ul>
                }
            </div>
            if !props.compact {
            if let (Some(c), Some(on)) = (props.selected_consumer, props.on.as_ref()) {
                { consumer_actions(m, c, on) }
            }
            if let Some((title, text)) = inspect {
                <section class="inspect-card" aria-label="Replica details">
                    <h3>{title}</h3>
                    <p>{text}</p>
                </section>
            }
            if let (Some(p), true) = (&preset, narration.is_some()) {
                <section class="preset-card" aria-label="Scenario">
                    <h3>{p}</h3>
                    <p>{props.summary.clone()}</p>
                </section>
            }
            if let Some(n) = narration.as_ref().filter(|n| !n.details.is_empty()) {
                <dl class="details">
                    { for n.details.iter().map(|(k, v)| detail(k.clone(), code(v.clone()))) }
                </dl>
            }
            if let Some(rec) = focus {
                <section class="focus-card" aria-label="Record in focus">
                    <h3>{"Record in focus"}</h3>
                    <dl class="details">
                        { detail("event_id", code(rec.event_id.0.to_string())) }
                        { detail("key", code(rec.key_text().unwrap_or_else(|| "None".into()))) }
                        { detail("value", html! { <code class="wrap">{rec.value_text()}</code> }) }
                        if let Some(p) = rec.partition {
                            { detail("partition", code(tp_label(e, Tp { topic: rec.topic, partition: p }))) }
                        }
                        if let Some(copy) = e.ledger().entry(rec.event_id).and_then(|le| le.copies.last().cloned()) {
                            { detail("offset", code(copy.offset.0.to_string())) }
                        }
                    </dl>
                </section>
            }
            }
        </aside>
    }
}

/// Why the clock is not at zero before the first step: the scenario ran
/// until its groups were stable (`warm_start`), so the story begins with a
/// working pipeline.
fn warm_start_note(e: &crate::engine::Engine) -> String {
    if e.now_ms() == 0 {
        return String::new();
    }
    let ms = e.now_ms();
    format!(
        " The clock reads {}.{:03} s already: the group formed before step 0 (a warm start). ",
        ms / 1000,
        ms % 1000
    )
}
