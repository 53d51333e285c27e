//! Talking to the course page around an embedded kafkascope, through
//! `window.postMessage` (schema in README.md, "Embedding").
//!
//! Out (to `window.parent`): `ready`, then `step` after every step and
//! `lesson-complete` when a lesson reaches its last stop. In (from
//! `window.parent` only): `play`, `pause`, `step`, `seek {step}`. Every
//! message is a plain object with `source: "kafkascope"` (out) and a
//! `type`; anything else is ignored, and a malformed command gets an
//! `error` message back rather than silence.

use crate::model::{Model, Msg};
use crate::ui::dom::Listener;
use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

/// The schema version of the messages.
pub const PROTOCOL_VERSION: u32 = 1;

fn parent() -> Option<web_sys::Window> {
    let w = web_sys::window()?;
    let p = w.parent().ok().flatten()?;
    // A top-level page is its own parent: nobody to talk to.
    (!JsValue::from(p.clone()).loose_eq(&JsValue::from(w))).then_some(p)
}

fn post(kind: &str, fields: &[(&str, JsValue)]) {
    let Some(p) = parent() else {
        return;
    };
    let o = Object::new();
    let _ = Reflect::set(&o, &"source".into(), &"kafkascope".into());
    let _ = Reflect::set(&o, &"version".into(), &JsValue::from(PROTOCOL_VERSION));
    let _ = Reflect::set(&o, &"type".into(), &kind.into());
    for (k, v) in fields {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    // The data is public (what the page shows), so any origin may read it.
    let _ = p.post_message(&o, "*");
}

fn step_fields(m: &Model) -> Vec<(&'static str, JsValue)> {
    let stage = m.headline().and_then(|h| h.kind.stage());
    let headline = m
        .headline()
        .map(|h| crate::narration::narrate(&m.engine, h).plain())
        .unwrap_or_default();
    vec![
        ("step", JsValue::from(m.step as f64)),
        ("lastStep", JsValue::from(m.last_step() as f64)),
        (
            "stage",
            stage
                .map(|s| JsValue::from(s.name()))
                .unwrap_or(JsValue::NULL),
        ),
        (
            "stageNumber",
            stage
                .map(|s| JsValue::from(s.number()))
                .unwrap_or(JsValue::NULL),
        ),
        ("timeMs", JsValue::from(m.engine.now_ms() as f64)),
        ("playing", JsValue::from(m.playing)),
        ("narration", JsValue::from(headline)),
        (
            "lesson",
            m.lesson
                .as_ref()
                .map(|r| JsValue::from(r.lesson.id.as_str()))
                .unwrap_or(JsValue::NULL),
        ),
    ]
}

/// Turns a message from the course page into a `Msg`, or says what is
/// wrong with it. `None`: not meant for kafkascope (ignored).
pub fn read_command(data: &JsValue) -> Option<Result<Msg, String>> {
    if !data.is_object() {
        return None;
    }
    let kind = Reflect::get(data, &"type".into()).ok()?.as_string()?;
    Some(match kind.as_str() {
        "play" => Ok(Msg::Play),
        "pause" => Ok(Msg::Pause),
        "step" => Ok(Msg::StepForward),
        "seek" => {
            let step = Reflect::get(data, &"step".into())
                .ok()
                .and_then(|v| v.as_f64());
            match step {
                Some(s) if s >= 0.0 && s.fract() == 0.0 && s < 1e15 => Ok(Msg::Seek(s as u64)),
                _ => Err("seek needs a whole, non-negative \"step\" number, like {type: \"seek\", step: 12}".into()),
            }
        }
        // Our own messages echoed back, or another tool's: not for us.
        "ready" | "step-changed" | "lesson-complete" | "error" => return None,
        other => Err(format!(
            "unknown message type \"{other}\"; kafkascope accepts play, pause, step and seek"
        )),
    })
}

/// Announces `ready`, every step and lesson completion to the course page,
/// and obeys its commands (a hook of the app, not a component: it draws
/// nothing).
#[hook]
pub fn use_course_bridge(m: &Model, on: Callback<Msg>) {
    // Commands from the parent page.
    use_effect_with((), move |_| {
        let listener = web_sys::window().and_then(|w| {
            Listener::new(&w, "message", move |ev: web_sys::Event| {
                let Ok(ev) = ev.dyn_into::<web_sys::MessageEvent>() else {
                    return;
                };
                // Only the page that embeds us gives orders.
                let from_parent = match (ev.source(), parent()) {
                    (Some(src), Some(p)) => JsValue::from(src).loose_eq(&JsValue::from(p)),
                    _ => false,
                };
                if !from_parent {
                    return;
                }
                match read_command(&ev.data()) {
                    Some(Ok(msg)) => on.emit(msg),
                    Some(Err(message)) => post("error", &[("message", JsValue::from(message))]),
                    None => {}
                }
            })
        });
        post("ready", &[]);
        move || drop(listener)
    });
    // Every step (and play/pause), announced once.
    // Narrating the step costs; a page that is not embedded has nobody to tell.
    let fields = if parent().is_some() {
        step_fields(m)
    } else {
        Vec::new()
    };
    use_effect_with((m.step, m.engine.step_calls(), m.playing), move |_| {
        post("step", &fields);
        || ()
    });
    // Lesson completion, once per lesson run.
    let done = m
        .lesson
        .as_ref()
        .filter(|r| r.completed)
        .map(|r| r.lesson.id.clone());
    use_effect_with(done, move |done| {
        if let Some(id) = done {
            post("lesson-complete", &[("lesson", JsValue::from(id.as_str()))]);
        }
        || ()
    });
}
