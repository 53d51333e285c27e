//! The transport bar: like a media player. Reset, step back, play/pause,
//! step forward; the step counter and clock; a scrubber over the whole
//! history with a marker where each fault or action happened; jump to a
//! step; speed.

use crate::engine::command::Command;
use crate::model::{Model, Msg, SPEED_LABELS};
use crate::ui::RunSnap;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What the bar shows, taken when the page rendered: the run (its step,
/// clock and whether the pipeline drained), the playback state, and the
/// history around it (its last step, whether the run is in its past, the
/// faults' markers). A hover or a keystroke changes none of it.
#[derive(Properties, Clone, PartialEq)]
pub struct Props {
    pub run: RunSnap,
    pub playing: bool,
    pub speed: usize,
    pub last: u64,
    pub in_past: bool,
    /// Each fault or action of the tape: its step and its label.
    pub markers: Vec<(u64, AttrValue)>,
    pub on: Callback<Msg>,
}

impl Props {
    pub fn of(m: &Model, on: Callback<Msg>) -> Props {
        Props {
            run: RunSnap::of(m),
            playing: m.playing,
            speed: m.speed,
            last: m.last_step(),
            in_past: m.in_past(),
            markers: m
                .command_steps()
                .into_iter()
                .filter(|(_, c)| is_fault(c))
                .map(|(s, c)| (s, c.label().into()))
                .collect(),
            on,
        }
    }
}

/// The value of the input or select that fired `e`.
fn target_value(e: &Event) -> Option<String> {
    let t = e.target()?;
    if let Some(i) = t.dyn_ref::<web_sys::HtmlInputElement>() {
        return Some(i.value());
    }
    t.dyn_ref::<web_sys::HtmlSelectElement>().map(|s| s.value())
}

/// Whether a command is worth a marker on the scrubber (records sent from
/// the Key field are not: there would be one every few steps).
fn is_fault(c: &Command) -> bool {
    !matches!(c, Command::Produce { .. })
}

/// A static SVG icon as raw markup: one string in the bundle instead of the
/// code that builds each element (these strings are ours, never user input).
#[inline(never)]
pub fn icon(svg: &'static str) -> Html {
    Html::from_html_unchecked(AttrValue::Static(svg))
}

#[component]
pub fn Transport(props: &Props) -> Html {
    let m = &props.run;
    let on = &props.on;
    let playing = props.playing;
    let play_label = if playing { "Pause" } else { "Play" };
    let on_speed = on.reform(|e: Event| {
        Msg::SetSpeed(
            target_value(&e)
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(crate::model::DEFAULT_SPEED),
        )
    });
    let last = props.last;
    let on_scrub = {
        let on = on.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(n) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.value().parse::<u64>().ok())
            {
                on.emit(Msg::Seek(n));
            }
        })
    };
    let on_goto = {
        let on = on.clone();
        Callback::from(move |e: Event| {
            if let Some(n) = target_value(&e).and_then(|v| v.trim().parse::<u64>().ok()) {
                on.emit(Msg::Seek(n));
            }
        })
    };
    let markers = &props.markers;
    let pct = |s: u64| {
        if last == 0 {
            0.0
        } else {
            s as f64 * 100.0 / last as f64
        }
    };
    let in_past = props.in_past;
    html! {
        <footer class="transport" aria-label="Playback">
            <div class="transport-row">
                <div class="transport-buttons">
                    <button class="btn" onclick={on.reform(|_| Msg::Reset)} title="Reset (R)" aria-label="Reset">
                        { icon(r#"<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M4 4v5h5M4.5 9A6 6 0 1 1 6 14"/></svg>"#) }
                        <span>{"Reset"}</span>
                    </button>
                    <button class="btn" onclick={on.reform(|_| Msg::StepBack)} disabled={m.step == 0}
                            title="Step back (←)" aria-label="Step back">
                        { icon(r#"<svg viewBox="0 0 20 20" aria-hidden="true"><rect x="4" y="4" width="3" height="12"/><path d="M16 4l-8 6 8 6z"/></svg>"#) }
                        <span>{"Back"}</span>
                    </button>
                    <button class={classes!("btn", "primary", playing.then_some("playing"))}
                            onclick={on.reform(|_| Msg::TogglePlay)} title="Play / pause (Space)" aria-label={play_label}>
                        if playing {
                            { icon(r#"<svg viewBox="0 0 20 20" aria-hidden="true"><rect x="5" y="4" width="3.5" height="12"/><rect x="11.5" y="4" width="3.5" height="12"/></svg>"#) }
                        } else {
                            { icon(r#"<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M6 4l10 6-10 6z"/></svg>"#) }
                        }
                        <span>{play_label}</span>
                    </button>
                    <button class="btn primary" onclick={on.reform(|_| Msg::StepForward)} title="Step forward (→)" aria-label="Step forward">
                        { icon(r#"<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M4 4l8 6-8 6z"/><rect x="13" y="4" width="3" height="12"/></svg>"#) }
                        <span>{"Step forward"}</span>
                    </button>
                    <button class="btn" onclick={on.reform(|_| Msg::SkipToChange)}
                            title="Next change (J): skip the records' routine stages to the next step where something else happens, such as a join, a rebalance or a failure" aria-label="Next change">
                        { icon(r#"<svg viewBox="0 0 20 20" aria-hidden="true"><path d="M2 4l7 6-7 6zM9 4l7 6-7 6z"/><rect x="16" y="4" width="2.5" height="12"/></svg>"#) }
                        <span>{"Next change"}</span>
                    </button>
                </div>
                <div class="transport-info">
                    <span class="step-counter" data-testid="step-counter">
                        {"Step "}<strong>{m.step}</strong>
                        if last > 0 { <span class="of-last">{format!(" of {last}")}</span> }
                    </span>
                    <span class="clock" title="Simulated time">{crate::model::clock(m.moment_ms())}</span>
                    if m.idle {
                        <span class="idle-note">{"pipeline drained"}</span>
                    }
                </div>
                <label class="speed">
                    <span>{"Speed"}</span>
                    <select onchange={on_speed} aria-label="Speed">
                        { for SPEED_LABELS.iter().enumerate().map(|(i, s)| html! {
                            <option value={i.to_string()} selected={i == props.speed}>{*s}</option>
                        }) }
                    </select>
                </label>
                <button class="btn ghost help-btn" onclick={on.reform(|_| Msg::ToggleHelp)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">{"?"}</button>
            </div>
            // Always there (disabled before the first step), so the bar
            // never changes height.
                <div class="history-row">
                    <div class="scrubber" style={format!("--played:{}%", crate::ui::stage::px(pct(m.step)))}>
                        <input type="range" min="0" max={last.max(1).to_string()} value={m.step.to_string()}
                               aria-label="History" aria-valuetext={format!("Step {} of {last}", m.step)}
                               disabled={last == 0} oninput={on_scrub} />
                        <div class="scrub-marks" aria-hidden="true">
                            { for markers.iter().map(|(s, label)| html! {
                                <span class="scrub-mark" style={format!("left:{}%", crate::ui::stage::px(pct(*s)))} title={format!("Step {s}: {label}")}></span>
                            }) }
                        </div>
                    </div>
                    <label class="goto">
                        <span>{"Go to step"}</span>
                        <input type="number" min="0" max={last.to_string()} value={m.step.to_string()}
                               aria-label="Go to step" disabled={last == 0} onchange={on_goto} />
                    </label>
                    if in_past {
                        <span class="past-note" role="note" title="Acting now replaces the recorded steps ahead.">
                            {format!("replaying: {} steps ahead", last - m.step)}
                        </span>
                    }
                </div>
        </footer>
    }
}
