//! Fetching a text file next to the page (the built-in lessons and
//! `presets.txt`), with the reason spelled out when it fails.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The text at `url` (relative to the page).
pub async fn fetch_text(url: &str) -> Result<String, String> {
    let w = web_sys::window().ok_or("no window")?;
    read_text(url, w.fetch_with_str(url)).await
}

/// POSTs `body` (text) to `url` and returns the answer's text.
#[cfg(live_engine)]
pub async fn post_text(url: &str, body: &str) -> Result<String, String> {
    let w = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&wasm_bindgen::JsValue::from_str(body));
    read_text(url, w.fetch_with_str_and_init(url, &init)).await
}

async fn read_text(url: &str, request: js_sys::Promise) -> Result<String, String> {
    let resp = JsFuture::from(request).await.map_err(|_| {
        format!("{url} could not be fetched (offline, or the page is opened from a file?)")
    })?;
    let resp: web_sys::Response = resp
        .dyn_into()
        .map_err(|_| format!("{url}: not a response"))?;
    if !resp.ok() {
        return Err(format!(
            "{url} answered {} {}",
            resp.status(),
            resp.status_text()
        ));
    }
    let text = resp
        .text()
        .map_err(|_| format!("{url}: the body cannot be read"))?;
    JsFuture::from(text)
        .await
        .ok()
        .and_then(|v| v.as_string())
        .ok_or_else(|| format!("{url}: the body is not text"))
}

/// Fetches `presets.txt` unless the page has it (`presets::set_text`): the
/// presets' scenarios, titles, summaries and notes, which the page's first
/// load leaves out. A failure is kept as a lone newline, and the next call
/// asks again.
pub async fn presets_ready() {
    if crate::presets::text_state() != Some(true) {
        let text = fetch_text("presets.txt").await;
        crate::presets::set_text(text.as_deref().unwrap_or("\n").into());
    }
}

/// Calls `then` once the page has `presets.txt` (or knows it cannot have it).
pub fn with_presets(then: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        presets_ready().await;
        then();
    });
}

/// Fetches built-in lesson `id` and hands its text to `done` (after
/// `presets.txt`: a lesson opens presets).
pub fn fetch_lesson(id: String, done: yew::Callback<Result<String, String>>) {
    match crate::lesson::url_of(&id) {
        Some(url) => wasm_bindgen_futures::spawn_local(async move {
            presets_ready().await;
            done.emit(fetch_text(&url).await);
        }),
        None => done.emit(Err(format!("there is no built-in lesson \"{id}\""))),
    }
}

/// Fetches `url` (relative to the page) and hands its text to `done`.
pub fn fetch_then(url: String, done: yew::Callback<Result<String, String>>) {
    wasm_bindgen_futures::spawn_local(async move {
        done.emit(fetch_text(&url).await);
    });
}
