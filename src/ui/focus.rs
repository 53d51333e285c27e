//! Keyboard focus that never gets lost.
//!
//! - **Modal dialogs** (Share, Lessons, the shortcuts list, a bad link):
//!   focus moves into the dialog when it opens, Tab and Shift+Tab cycle
//!   inside it, and when it closes focus returns to the control that opened
//!   it (WAI-ARIA dialog pattern).
//! - **Replaced controls**: an action often replaces the button that caused
//!   it (Crash now becomes Restart, Next becomes the question's choices).
//!   The browser then drops focus on `<body>`, and a keyboard user has to
//!   start again from the top of the page. An element with `data-fk="k"` is
//!   a focus target named `k`; a control with `data-fk-return="k"` says
//!   "if I disappear while focused, focus `k`". A control that is re-created
//!   with the same `data-fk` gets its focus back.
//! - **Space** belongs to the focused control (a button, a tab, an SVG
//!   button in the stage): only elsewhere does it play and pause.

use crate::ui::dom::Listener;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// What Tab may land on inside a dialog.
const FOCUSABLE: &str = "button:not([disabled]), a[href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex=\"-1\"])";

/// Controls that Space activates by themselves.
const CONTROLS: &str = "button, a[href], input, select, textarea, summary, [contenteditable], [role=button], [role=tab], [role=link], [role=checkbox], [role=radio], [role=switch], [role=menuitem], [role=option], [role=slider]";

/// The open modal dialog, if any.
fn modal() -> Option<web_sys::Element> {
    web_sys::window()?
        .document()?
        .query_selector("[aria-modal=\"true\"]")
        .ok()
        .flatten()
}

/// Whether a modal dialog is open (page shortcuts then wait).
pub fn modal_open() -> bool {
    modal().is_some()
}

/// Focuses an HTML or SVG element.
fn focus(el: &web_sys::Element) {
    if let Some(h) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = h.focus();
    } else if let Some(s) = el.dyn_ref::<web_sys::SvgElement>() {
        let _ = s.focus();
    }
}

fn active_element() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.active_element()
}

/// Whether focus is nowhere in particular (on `<body>` or nothing).
fn focus_is_lost() -> bool {
    match active_element() {
        None => true,
        Some(el) => el.tag_name().eq_ignore_ascii_case("body"),
    }
}

/// Whether Space pressed with this target belongs to a control.
pub fn space_is_for_a_control(ev: &web_sys::KeyboardEvent) -> bool {
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|el| el.closest(CONTROLS).ok().flatten())
        .is_some()
}

/// Keeps Tab inside the open modal dialog. Returns whether it handled `ev`.
pub fn trap_tab(ev: &web_sys::KeyboardEvent) -> bool {
    if ev.key() != "Tab" {
        return false;
    }
    let Some(dialog) = modal() else {
        return false;
    };
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return false;
    };
    // Only what can take focus now (a closed <details> hides its fields).
    let items: Vec<web_sys::Element> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        .filter(|el| {
            // Inside a closed <details> only its <summary> can take focus.
            let folded = el
                .closest("details:not([open])")
                .ok()
                .flatten()
                .is_some_and(|d| {
                    !(el.tag_name().eq_ignore_ascii_case("summary")
                        && el.parent_element().as_ref() == Some(&d))
                });
            !folded
                && el
                    .dyn_ref::<web_sys::HtmlElement>()
                    .is_none_or(|h| h.offset_parent().is_some())
        })
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return false;
    };
    let active = active_element();
    let inside = active
        .as_ref()
        .is_some_and(|a| dialog.contains(Some(a.unchecked_ref())));
    let target = if ev.shift_key() {
        (!inside || active.as_ref() == Some(first)).then_some(last)
    } else {
        (!inside || active.as_ref() == Some(last)).then_some(first)
    };
    match target {
        Some(t) => {
            ev.prevent_default();
            focus(t);
            true
        }
        None => false,
    }
}

/// Moves focus into a modal dialog when `open` becomes true, and back to
/// the control that opened it when it becomes false.
#[hook]
pub fn use_modal_focus(open: bool) {
    let opener = use_mut_ref(|| None::<web_sys::Element>);
    use_effect_with(open, move |open| {
        if *open {
            if opener.borrow().is_none() {
                *opener.borrow_mut() = active_element();
            }
            if let Some(first) = modal().and_then(|d| d.query_selector(FOCUSABLE).ok().flatten()) {
                focus(&first);
            }
        } else if let Some(el) = opener.borrow_mut().take() {
            if el.is_connected() && focus_is_lost() {
                focus(&el);
            }
        }
        || ()
    });
}

/// After every render, gives focus back when the focused control was
/// removed (see the module docs).
#[hook]
pub fn use_focus_keeper() {
    let last: Rc<RefCell<Option<web_sys::Element>>> = use_mut_ref(|| None);
    {
        let last = last.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().and_then(|w| w.document()).and_then(|d| {
                Listener::new(&d, "focusin", move |ev: web_sys::Event| {
                    *last.borrow_mut() = ev
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
                })
            });
            move || drop(listener)
        });
    }
    use_effect(move || {
        let gone = last.borrow().clone().filter(|el| !el.is_connected());
        if let (Some(el), true) = (gone, focus_is_lost()) {
            let doc = web_sys::window().and_then(|w| w.document());
            let names = [
                el.get_attribute("data-fk"),
                el.get_attribute("data-fk-return"),
            ];
            let target = names.into_iter().flatten().find_map(|name| {
                doc.as_ref()?
                    .query_selector(&format!("[data-fk=\"{name}\"]"))
                    .ok()
                    .flatten()
            });
            if let Some(t) = target {
                focus(&t);
            }
        }
        || ()
    });
}
