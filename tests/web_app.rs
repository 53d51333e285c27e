//! Browser tests (wasm-bindgen-test in headless Chromium): the real Yew app
//! mounted in a page, driven through its DOM.

#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> web_sys::Element {
    let w = web_sys::window().unwrap();
    // Each app writes its run into the URL fragment; start the next one fresh.
    let path = w.location().pathname().unwrap();
    w.history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path))
        .unwrap();
    let doc = w.document().unwrap();
    let root = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<kafkascope::ui::app::App>::with_root(root.clone()).render();
    root
}

fn button(root: &web_sys::Element, label: &str) -> web_sys::HtmlElement {
    root.query_selector(&format!("button[aria-label='{label}']"))
        .unwrap()
        .unwrap_or_else(|| panic!("no button labelled {label}"))
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
}

fn status_text(root: &web_sys::Element) -> String {
    root.query_selector("[role=status]")
        .unwrap()
        .expect("one status region")
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn app_mounts_and_steps_a_record_through_create_and_serialize() {
    let root = mount();
    TimeoutFuture::new(30).await;
    assert_eq!(
        root.query_selector_all("[role=status]").unwrap().length(),
        1,
        "exactly one live region"
    );
    assert!(status_text(&root).contains("Ready"));
    button(&root, "Step forward").click();
    TimeoutFuture::new(30).await;
    assert!(
        status_text(&root).contains("Stage 1 of 9: Create"),
        "{}",
        status_text(&root)
    );
    button(&root, "Step forward").click();
    TimeoutFuture::new(30).await;
    assert!(
        status_text(&root).contains("Stage 2 of 9: Serialize"),
        "{}",
        status_text(&root)
    );
    let current = root
        .query_selector("[aria-current=step]")
        .unwrap()
        .expect("a current stage chip");
    assert!(current
        .text_content()
        .unwrap_or_default()
        .contains("Serialize"));
}

#[wasm_bindgen_test]
async fn play_button_toggles_to_pause_and_back() {
    let root = mount();
    TimeoutFuture::new(30).await;
    button(&root, "Play").click();
    TimeoutFuture::new(30).await;
    button(&root, "Pause").click();
    TimeoutFuture::new(30).await;
    assert!(root
        .query_selector("button[aria-label='Play']")
        .unwrap()
        .is_some());
}

#[wasm_bindgen_test]
async fn a_key_typed_as_html_is_shown_as_text() {
    let root = mount();
    TimeoutFuture::new(30).await;
    // The Key field is in the settings column: open it.
    root.query_selector("button[aria-controls=settings-drawer]")
        .unwrap()
        .expect("a Settings button")
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .click();
    TimeoutFuture::new(30).await;
    let input = root
        .query_selector("input[type=text]")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    let payload = "<img src=x onerror=alert(1)>";
    input.set_value(payload);
    let ev = web_sys::InputEvent::new("input").unwrap();
    input.dispatch_event(&ev).unwrap();
    TimeoutFuture::new(30).await;
    button(&root, "Step forward").click();
    TimeoutFuture::new(30).await;
    assert!(
        root.query_selector("img").unwrap().is_none(),
        "no element was created from the key"
    );
    assert!(
        root.text_content().unwrap_or_default().contains(payload),
        "the key is shown verbatim"
    );
}

fn step_counter(root: &web_sys::Element) -> String {
    root.query_selector("[data-testid=step-counter]")
        .unwrap()
        .expect("a step counter")
        .text_content()
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn the_address_bar_link_reopens_the_same_step() {
    let root = mount();
    TimeoutFuture::new(30).await;
    for _ in 0..5 {
        button(&root, "Step forward").click();
        TimeoutFuture::new(20).await;
    }
    // The address bar follows the screen in an effect after the render: on
    // a loaded machine that may take longer than the clicks did.
    TimeoutFuture::new(300).await;
    let hash = web_sys::window().unwrap().location().hash().unwrap();
    assert!(
        hash.starts_with("#v1."),
        "the fragment holds a link: {hash:?}"
    );
    let before = step_counter(&root);
    assert!(before.starts_with("Step 5"), "{before}");
    // A second page opened with that address (same fragment) shows step 5.
    let doc = web_sys::window().unwrap().document().unwrap();
    let root2 = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&root2).unwrap();
    yew::Renderer::<kafkascope::ui::app::App>::with_root(root2.clone()).render();
    for _ in 0..60 {
        TimeoutFuture::new(50).await;
        if step_counter(&root2) == before {
            break;
        }
    }
    assert_eq!(step_counter(&root2), before);
}
