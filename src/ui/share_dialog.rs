//! Share: the link to this exact step, and the `<iframe>` code for a
//! course page, each with a Copy button (and a selectable field for when
//! the browser does not allow copying).

use crate::model::{Model, Msg};
use yew::prelude::*;

/// The page's address without its query and fragment: a link's fragment
/// carries the whole run, so options such as `?preset=` must not ride along.
pub fn page_base() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split(['#', '?']).next().unwrap_or("").to_string())
        .unwrap_or_default()
}

/// Copies `text`; reports the outcome through `done`.
fn copy(text: String, done: Callback<bool>) {
    let Some(clip) = web_sys::window().map(|w| w.navigator().clipboard()) else {
        done.emit(false);
        return;
    };
    let promise = clip.write_text(&text);
    wasm_bindgen_futures::spawn_local(async move {
        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        done.emit(ok);
    });
}

/// What the dialog shows, taken when the page rendered: the link to this
/// step and the embed code (or why the run cannot be shared), and what the
/// last Copy did. Its state lives in the app, which keeps it while the
/// dialog is closed.
#[derive(Properties, Clone, PartialEq)]
pub struct Props {
    /// The link and the embed code, or the reason there are none.
    pub shared: Result<(AttrValue, AttrValue), AttrValue>,
    pub step: u64,
    pub status: Option<String>,
    pub set_status: Callback<Option<String>>,
    /// Called with `false` to close the dialog.
    pub set_open: Callback<bool>,
}

impl Props {
    pub fn of(
        m: &Model,
        status: Option<String>,
        set_status: Callback<Option<String>>,
        set_open: Callback<bool>,
    ) -> Props {
        let base = page_base();
        let title = m
            .preset
            .as_deref()
            .map(crate::presets::title)
            .or_else(|| m.lesson.as_ref().map(|r| r.lesson.title.clone()))
            .unwrap_or_else(|| "a Kafka scenario".into());
        let shared = match m.share_fragment() {
            Ok(fragment) => {
                let mut embed_link = m.to_link();
                embed_link.view.embed = true;
                let embed_url = format!(
                    "{base}#{}",
                    crate::link::encode(&embed_link, &crate::presets::config_by_id)
                );
                let code = crate::model::share::embed_code(&embed_url, &title);
                Ok((format!("{base}#{fragment}").into(), code.into()))
            }
            Err(e) => Err(e.message.into()),
        };
        Props {
            shared,
            step: m.step,
            status,
            set_status,
            set_open,
        }
    }
}

/// The share dialog.
#[component]
pub fn ShareDialog(props: &Props) -> Html {
    let close = props.set_open.reform(|_: MouseEvent| false);
    let body = match &props.shared {
        Ok((url, code)) => {
            let copy_btn = |what: &'static str, text: AttrValue| {
                let status = props.set_status.clone();
                let done = Callback::from(move |ok: bool| {
                    status.emit(Some(if ok {
                        format!("{what} copied to the clipboard.")
                    } else {
                        "This browser did not allow copying: select the text above and copy it (Ctrl+C or ⌘C).".into()
                    }))
                });
                Callback::from(move |_: MouseEvent| copy(text.to_string(), done.clone()))
            };
            html! {
                <>
                    <label class="share-field">
                        <span>{format!("Link to step {} (opens exactly this run)", props.step)}</span>
                        <input type="text" readonly=true value={url.clone()} aria-label="Link" />
                    </label>
                    <p class="hint">{format!("{} characters.", url.len())}</p>
                    <button class="btn primary" onclick={copy_btn("Link", url.clone())}>{"Copy link"}</button>
                    <label class="share-field">
                        <span>{"Embed in a course page"}</span>
                        <textarea readonly=true rows="3" aria-label="Embed code" value={code.clone()} />
                    </label>
                    <button class="btn" onclick={copy_btn("Embed code", code.clone())}>{"Copy embed code"}</button>
                </>
            }
        }
        Err(e) => html! { <p class="banner error" role="alert">{e.clone()}</p> },
    };
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog share" role="dialog" aria-modal="true" aria-labelledby="share-title"
                 onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="share-title">{"Share this run"}</h2>
                { body }
                <p class="share-status" role="status">{props.status.clone().unwrap_or_default()}</p>
                <button class="btn ghost" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}

/// Shown when the page was opened with a link that cannot be opened.
/// `has_run`: whether there is a run of the user's to keep.
pub fn link_error_dialog(message: &str, has_run: bool, on: &Callback<Msg>) -> Html {
    html! {
        <div class="overlay">
            <div class="dialog link-error" role="alertdialog" aria-modal="true"
                 aria-labelledby="link-error-title" aria-describedby="link-error-text">
                <h2 id="link-error-title">{"This link cannot be opened"}</h2>
                <p id="link-error-text">{message.to_string()}</p>
                <div class="dialog-buttons">
                    <button class="btn primary" onclick={on.reform(|_| Msg::StartDefault)}>
                        {"Start the default scenario"}
                    </button>
                    if has_run {
                        <button class="btn" onclick={on.reform(|_| Msg::DismissLinkError)}>
                            {"Keep the current run"}
                        </button>
                    }
                </div>
            </div>
        </div>
    }
}
