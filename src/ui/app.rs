//! The page: pipeline bar on top, configuration on the left, the stage in the
//! centre, narration on the right, transport at the bottom, tables below.

use crate::model::{Model, Msg};
use crate::ui::config_panel::ConfigPanel;
use crate::ui::dom::Listener;
use crate::ui::lane::Lane;
use crate::ui::narration_panel::NarrationPanel;
use crate::ui::pipeline_bar::PipelineBar;
use crate::ui::shortcuts::ShortcutsDialog;
use crate::ui::stage::Stage;
use crate::ui::tables::Tables;
use crate::ui::transport::Transport;
use crate::ui::ModelRef;
use gloo_timers::callback::Interval;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Whether a key event comes from a text field (where keys mean typing).
fn typing_in_field(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .map(|el| {
            let tag = el.tag_name().to_ascii_lowercase();
            tag == "input"
                || tag == "textarea"
                || tag == "select"
                || el.has_attribute("contenteditable")
        })
        .unwrap_or(false)
}

#[component]
pub fn App() -> Html {
    let model = use_reducer(Model::default);
    let dispatch = {
        let model = model.clone();
        Callback::from(move |msg: Msg| model.dispatch(msg))
    };

    // Playback timer: one interval while playing, dropped when paused or on speed change.
    {
        let model = model.clone();
        let deps = (model.playing, model.tick_ms());
        use_effect_with(deps, move |(playing, ms)| {
            let interval = playing.then(|| {
                let model = model.clone();
                Interval::new(*ms, move || model.dispatch(Msg::Tick))
            });
            move || drop(interval)
        });
    }

    // Global keyboard shortcuts.
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| {
                Listener::new(&w, "keydown", move |ev: web_sys::Event| {
                    let Ok(ev) = ev.dyn_into::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || typing_in_field(&ev) {
                        if ev.key() == "Escape" {
                            dispatch.emit(Msg::CloseHelp);
                        }
                        return;
                    }
                    let msg = match ev.key().as_str() {
                        " " | "Spacebar" => Some(Msg::TogglePlay),
                        "ArrowRight" => Some(Msg::StepForward),
                        "r" | "R" => Some(Msg::Reset),
                        "?" => Some(Msg::ToggleHelp),
                        "Escape" => Some(Msg::CloseHelp),
                        _ => None,
                    };
                    if let Some(msg) = msg {
                        // Space on a focused button would click it too: handle it once.
                        ev.prevent_default();
                        dispatch.emit(msg);
                    }
                })
            });
            move || drop(listener)
        });
    }

    let m = ModelRef::main(model.clone());
    html! {
        <div class="app">
            <header class="topbar">
                <div class="brand">
                    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true">
                        <rect x="2" y="10" width="8" height="12" rx="2" class="logo-cell a"/>
                        <rect x="12" y="10" width="8" height="12" rx="2" class="logo-cell b"/>
                        <rect x="22" y="10" width="8" height="12" rx="2" class="logo-cell c"/>
                    </svg>
                    <span class="brand-name">{"kafkascope"}</span>
                </div>
                <PipelineBar model={m.clone()} />
            </header>
            if let Some(err) = m.error.clone() {
                <div class="banner error" role="alert">
                    <span class="banner-icon" aria-hidden="true">{"!"}</span>
                    <span class="banner-text">{err}</span>
                    <button class="btn small" onclick={dispatch.reform(|_| Msg::DismissError)}>{"Dismiss"}</button>
                </div>
            }
            if m.lane_labels.is_empty() {
                <main class="workspace">
                    <ConfigPanel model={m.clone()} on={dispatch.clone()} />
                    <div class="centre">
                        <section class="stage-wrap" aria-label="Cluster">
                            <Stage model={m.clone()} on={dispatch.clone()} />
                        </section>
                        <Tables model={m.clone()} on={dispatch.clone()} />
                    </div>
                    <NarrationPanel model={m.clone()} on={Some(dispatch.clone())} />
                </main>
            } else {
                <main class="compare" aria-label="Side by side">
                    <div class="compare-head">
                        <ConfigPanel model={m.clone()} on={dispatch.clone()} compact=true />
                        <NarrationPanel model={m.clone()} on={Some(dispatch.clone())} compact=true />
                    </div>
                    <div class="lanes" style={format!("--lanes:{}", m.lane_labels.len())}>
                        { for m.lane_labels.iter().enumerate().map(|(i, label)| {
                            let lane = if i == 0 { m.clone() } else { m.lane(i - 1) };
                            html! { <Lane key={label.clone()} label={label.clone()} model={lane} on={dispatch.clone()} /> }
                        }) }
                    </div>
                </main>
            }
            <Transport model={m.clone()} on={dispatch.clone()} />
            if m.help_open {
                <ShortcutsDialog on={dispatch.clone()} />
            }
        </div>
    }
}
