//! Share: the link to this exact step, and the `<iframe>` code for a
//! course page, each with a Copy button (and a selectable field for when
//! the browser does not allow copying).

use crate::model::Msg;
use crate::ui::ModelRef;
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

/// The share dialog. A view function, its one piece of state (what the
/// last Copy did) held by the app: each `#[component]` costs the bundle
/// kilobytes (see `crate::ui`).
pub fn view(
    m: &ModelRef,
    status: &UseStateHandle<Option<String>>,
    close: Callback<MouseEvent>,
) -> Html {
    let base = page_base();
    let title = m
        .preset
        .as_deref()
        .and_then(crate::presets::by_id)
        .map(|p| p.title.to_string())
        .or_else(|| m.lesson.as_ref().map(|r| r.lesson.title.clone()))
        .unwrap_or_else(|| "a Kafka scenario".into());
    let shared = m.share_fragment();
    let body = match &shared {
        Ok(fragment) => {
            let url = format!("{base}#{fragment}");
            let mut embed_link = m.to_link();
            embed_link.view.embed = true;
            let embed_url = format!(
                "{base}#{}",
                crate::link::encode(&embed_link, &crate::presets::config_by_id)
            );
            let code = crate::model::share::embed_code(&embed_url, &title);
            let copy_btn = |what: &'static str, text: String| {
                let status = status.clone();
                let done = Callback::from(move |ok: bool| {
                    status.set(Some(if ok {
                        format!("{what} copied to the clipboard.")
                    } else {
                        "This browser did not allow copying: select the text above and copy it (Ctrl+C or ⌘C).".into()
                    }))
                });
                Callback::from(move |_: MouseEvent| copy(text.clone(), done.clone()))
            };
            html! {
                <>
                    <label class="share-field">
                        <span>{format!("Link to step {} (opens exactly this run)", m.step)}</span>
                        <input type="text" readonly=true value={url.clone()} aria-label="Link" />
                    </label>
                    <p class="hint">{format!("{} characters.", url.len())}</p>
                    <button class="btn primary" onclick={copy_btn("Link", url)}>{"Copy link"}</button>
                    <label class="share-field">
                        <span>{"Embed in a course page"}</span>
                        <textarea readonly=true rows="3" aria-label="Embed code" value={code.clone()} />
                    </label>
                    <button class="btn" onclick={copy_btn("Embed code", code)}>{"Copy embed code"}</button>
                </>
            }
        }
        Err(e) => html! { <p class="banner error" role="alert">{e.message.clone()}</p> },
    };
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog share" role="dialog" aria-modal="true" aria-labelledby="share-title"
                 onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="share-title">{"Share this run"}</h2>
                { body }
                <p class="share-status" role="status">{(**status).clone().unwrap_or_default()}</p>
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
