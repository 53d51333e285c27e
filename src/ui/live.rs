//! The live page's side of a live run (built with `--features live-page`;
//! see `crate::model::live`): it asks the `kafkascope live` process that
//! served it for the tape a few times a second, sends it the faults the
//! user picks, and says on the page what is live.

use crate::engine::config::ScenarioConfig;
use crate::engine::external::LiveInput;
use crate::model::live::{LiveSource, LIVE_POLL_MS};
use crate::model::{Model, Msg};
use gloo_timers::callback::Interval;
use std::cell::Cell;
use std::rc::Rc;
use yew::prelude::*;

/// The process's answer to `GET api/tape?from=N`.
#[derive(serde::Deserialize)]
struct TapeAnswer {
    config: ScenarioConfig,
    from: usize,
    inputs: Vec<LiveInput>,
    /// Where real clients connect (`host:port` of broker 0).
    #[serde(default)]
    bootstrap: Option<String>,
}

async fn tape_from(from: usize) -> Result<TapeAnswer, String> {
    let text = crate::ui::fetch::fetch_text(&format!("api/tape?from={from}")).await?;
    serde_json::from_str(&text)
        .map_err(|e| format!("the live process sent a tape this page cannot read ({e})"))
}

/// Follows the live process: the first answer starts the run, then the
/// tape streams in; faults in the outbox are sent as they appear.
#[hook]
pub fn use_live(model: &UseReducerHandle<Model>) {
    let dispatch = model.dispatcher();
    // A page with neither a live run nor a link asks the process once.
    {
        let start = !model.is_live() && model.link_error.is_none();
        let dispatch = dispatch.clone();
        use_effect_with((), move |_| {
            if start {
                wasm_bindgen_futures::spawn_local(async move {
                    dispatch.dispatch(match tape_from(0).await {
                        Ok(a) => Msg::LiveStart {
                            config: Box::new(a.config),
                            from: a.from,
                            inputs: a.inputs,
                            bootstrap: a.bootstrap,
                        },
                        Err(e) => Msg::LiveStatus(format!(
                            "No live session answered ({e}). Start one with `kafkascope live` and open the page it serves, or open a saved live run's link."
                        )),
                    });
                });
            }
            || ()
        });
    }
    // While streaming: poll for the tape's new entries.
    let next_from = use_mut_ref(|| 0usize);
    *next_from.borrow_mut() = model.live_next_from();
    let streaming = model
        .live
        .as_ref()
        .is_some_and(|l| l.source == LiveSource::Server && !l.broken);
    {
        let dispatch = dispatch.clone();
        let next_from = next_from.clone();
        use_effect_with(streaming, move |streaming| {
            let busy = Rc::new(Cell::new(false));
            let interval = streaming.then(|| {
                Interval::new(LIVE_POLL_MS, move || {
                    if busy.replace(true) {
                        return; // the last poll has not come back yet
                    }
                    let from = *next_from.borrow();
                    let (busy, dispatch) = (busy.clone(), dispatch.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        match tape_from(from).await {
                            Ok(a) => dispatch.dispatch(Msg::LiveEntries {
                                from: a.from,
                                inputs: a.inputs,
                            }),
                            Err(e) => dispatch.dispatch(Msg::LiveStatus(format!(
                                "The live process does not answer ({e}); the page shows the run as it was."
                            ))),
                        }
                        busy.set(false);
                    });
                })
            });
            move || drop(interval)
        });
    }
    // Faults picked on the page go to the process, each once.
    let sent = use_mut_ref(|| 0usize);
    let outbox: Vec<String> = model
        .live
        .as_ref()
        .map(|l| l.outbox.clone())
        .unwrap_or_default();
    use_effect_with(outbox, move |outbox| {
        let from = (*sent.borrow()).min(outbox.len());
        for line in outbox[from..].iter().cloned() {
            let dispatch = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let said = crate::ui::fetch::post_text("api/command", &line)
                    .await
                    .unwrap_or_else(|e| format!("{line}: not sent ({e})"));
                dispatch.dispatch(Msg::LiveStatus(said));
            });
        }
        *sent.borrow_mut() = outbox.len();
        || ()
    });
}

/// The strip under the top bar that says what is live.
pub fn banner(m: &Model, on: &Callback<Msg>) -> Html {
    let Some(live) = m.live.as_ref() else {
        return Html::default();
    };
    let (badge, text) = match &live.source {
        LiveSource::Server => (
            "LIVE",
            "Real Kafka clients drive this run. Crash, restart or slow a broker from the stage and the clients react as they would on a real cluster.",
        ),
        LiveSource::Recording { .. } => (
            "RECORDED",
            "A saved live run, played back at the speed it happened. Share it as a link; play it from a live session to act on real clients.",
        ),
    };
    let clients = m.engine.producers().len() + m.engine.consumers().len();
    // What real producers sent (not the group's commits, also records).
    let records = m
        .engine
        .records()
        .iter()
        .filter(|r| r.producer.is_some())
        .count();
    html! {
        <div class="banner live-banner" role="status" data-live={badge}>
            <span class="live-badge">{badge}</span>
            <span class="banner-text live-what">
                if let Some(b) = live.bootstrap.clone() {
                    {"Connect a client with "}<code>{format!("bootstrap_servers='{b}'")}</code>{". "}
                }
                {text}
            </span>
            <span class="live-count">{format!("{clients} client{} so far, {records} records.", if clients == 1 { "" } else { "s" })}</span>
            if matches!(live.source, LiveSource::Recording { .. }) && !live.broken {
                <button class="btn small" onclick={on.reform(|_| Msg::SeekEnd)} title="Jump to the end of the recording (End)">{"Jump to the end"}</button>
            }
            if let Some(s) = live.status.clone() {
                <span class="banner-text live-status">{s}</span>
            }
        </div>
    }
}
