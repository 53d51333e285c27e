//! The `?` overlay listing the keyboard shortcuts.

use crate::model::Msg;
use yew::prelude::*;

pub const SHORTCUTS: [(&str, &str); 12] = [
    ("Space", "Play / pause"),
    ("→", "Step forward"),
    (
        "J",
        "Jump to the next change (a join, a rebalance, a failure)",
    ),
    ("←", "Step back"),
    ("Home", "Go to the start"),
    ("End", "Go to the last step reached"),
    ("U", "Undo (after changing the past)"),
    ("R", "Reset (same seed)"),
    ("N", "Next stop of the lesson"),
    ("P", "Presentation mode on / off (for a projector)"),
    ("?", "Show or hide this list"),
    ("Esc", "Close this list, the settings, or presentation mode"),
];

/// A plain function, not a component: the overlay is static and is drawn
/// only while it is open, so there is no re-render for a component to skip.
pub fn shortcuts(on: &Callback<Msg>) -> Html {
    let close = on.reform(|_| Msg::CloseHelp);
    html! {
        <div class="overlay" onclick={close.clone()}>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title"
                 onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2 id="shortcuts-title">{"Keyboard shortcuts"}</h2>
                <dl class="shortcuts">
                    { for SHORTCUTS.iter().map(|(k, what)| html! {
                        <>
                            <dt><kbd>{*k}</kbd></dt>
                            <dd>{*what}</dd>
                        </>
                    }) }
                </dl>
                <button class="btn" onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}
