//! The transport bar: like a media player, with the step counter and speed.

use crate::model::{Msg, SPEED_LABELS};
use crate::ui::ModelRef;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: ModelRef,
    pub on: Callback<Msg>,
}

#[component]
pub fn Transport(props: &Props) -> Html {
    let m = &props.model;
    let on = &props.on;
    let play_label = if m.playing { "Pause" } else { "Play" };
    let on_speed = on.reform(|e: Event| {
        let v = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            .and_then(|s| s.value().parse::<usize>().ok())
            .unwrap_or(crate::model::DEFAULT_SPEED);
        Msg::SetSpeed(v)
    });
    html! {
        <footer class="transport" aria-label="Playback">
            <div class="transport-buttons">
                <button class="btn" onclick={on.reform(|_| Msg::Reset)} title="Reset (R)" aria-label="Reset">
                    <svg viewBox="0 0 20 20" aria-hidden="true"><path d="M4 4v5h5M4.5 9A6 6 0 1 1 6 14" /></svg>
                    <span>{"Reset"}</span>
                </button>
                <button class={classes!("btn", "primary", m.playing.then_some("playing"))}
                        onclick={on.reform(|_| Msg::TogglePlay)} title="Play / pause (Space)" aria-label={play_label}>
                    if m.playing {
                        <svg viewBox="0 0 20 20" aria-hidden="true"><rect x="5" y="4" width="3.5" height="12"/><rect x="11.5" y="4" width="3.5" height="12"/></svg>
                    } else {
                        <svg viewBox="0 0 20 20" aria-hidden="true"><path d="M6 4l10 6-10 6z"/></svg>
                    }
                    <span>{play_label}</span>
                </button>
                <button class="btn primary" onclick={on.reform(|_| Msg::StepForward)} title="Step forward (→)" aria-label="Step forward">
                    <svg viewBox="0 0 20 20" aria-hidden="true"><path d="M4 4l8 6-8 6z"/><rect x="13" y="4" width="3" height="12"/></svg>
                    <span>{"Step forward"}</span>
                </button>
            </div>
            <div class="transport-info">
                <span class="step-counter" data-testid="step-counter">
                    {"Step "}<strong>{m.step}</strong>
                </span>
                <span class="clock" title="Simulated time">{crate::model::clock(m.engine.now_ms())}</span>
                if m.idle {
                    <span class="idle-note">{"pipeline drained"}</span>
                }
            </div>
            <label class="speed">
                <span>{"Speed"}</span>
                <select onchange={on_speed} aria-label="Speed">
                    { for SPEED_LABELS.iter().enumerate().map(|(i, s)| html! {
                        <option value={i.to_string()} selected={i == m.speed}>{*s}</option>
                    }) }
                </select>
            </label>
            <button class="btn ghost help-btn" onclick={on.reform(|_| Msg::ToggleHelp)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">{"?"}</button>
        </footer>
    }
}
