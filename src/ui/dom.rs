//! Small DOM helpers: a global event listener that removes itself on drop,
//! and a media-query check.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// An event listener on a target; dropping it removes the listener.
pub struct Listener {
    target: web_sys::EventTarget,
    kind: &'static str,
    closure: Closure<dyn FnMut(web_sys::Event)>,
}

impl Listener {
    pub fn new(
        target: &web_sys::EventTarget,
        kind: &'static str,
        f: impl FnMut(web_sys::Event) + 'static,
    ) -> Option<Listener> {
        let closure = Closure::wrap(Box::new(f) as Box<dyn FnMut(web_sys::Event)>);
        target
            .add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref())
            .ok()?;
        Some(Listener {
            target: target.clone(),
            kind,
            closure,
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.closure.as_ref().unchecked_ref());
    }
}

/// Whether the user asked for reduced motion.
pub fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .map(|m| m.matches())
        .unwrap_or(false)
}

/// Watches an element's content box; calls `f(width, height)` in CSS px
/// (rounded, so sub-pixel jitter does not re-render) whenever it changes.
/// Dropping the returned observer stops watching.
pub fn observe_size(
    el: &web_sys::Element,
    mut f: impl FnMut(f64, f64) + 'static,
) -> Option<SizeObserver> {
    let closure = Closure::wrap(Box::new(move |entries: js_sys::Array| {
        if let Some(entry) = entries
            .get(0)
            .dyn_into::<web_sys::ResizeObserverEntry>()
            .ok()
        {
            let r = entry.content_rect();
            f(r.width().round(), r.height().round());
        }
    }) as Box<dyn FnMut(js_sys::Array)>);
    let observer = web_sys::ResizeObserver::new(closure.as_ref().unchecked_ref()).ok()?;
    observer.observe(el);
    Some(SizeObserver {
        observer,
        _closure: closure,
    })
}

/// A `ResizeObserver` that disconnects on drop.
pub struct SizeObserver {
    observer: web_sys::ResizeObserver,
    _closure: Closure<dyn FnMut(js_sys::Array)>,
}

impl Drop for SizeObserver {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// Scrolls the container matching `scroller` (itself, nothing around it)
/// so that the first element matching `target` is in view at its bottom.
pub fn reveal_in_scroller(scroller: &str, target: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let (Ok(Some(panel)), Ok(Some(el))) =
        (doc.query_selector(scroller), doc.query_selector(target))
    else {
        return;
    };
    let (p, t) = (
        panel.get_bounding_client_rect(),
        el.get_bounding_client_rect(),
    );
    if t.bottom() > p.bottom() {
        let by = (t.bottom() - p.bottom() + 8.0)
            .min(t.top() - p.top())
            .max(0.0);
        panel.set_scroll_top(panel.scroll_top() + by.ceil() as i32);
    }
}

/// When `scroller` scrolls (its content is taller than it: the stage on a
/// phone), scrolls it so that the last element matching `target` inside it
/// is in view, centred: the stage follows the record the narration is
/// about. Does nothing when everything is already in view.
pub fn follow_in_scroller(scroller: &web_sys::Element, target: &str) {
    if scroller.scroll_height() <= scroller.client_height() + 1 {
        return;
    }
    let Ok(list) = scroller.query_selector_all(target) else {
        return;
    };
    let Some(el) = list
        .item(list.length().saturating_sub(1))
        .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    let (p, t) = (
        scroller.get_bounding_client_rect(),
        el.get_bounding_client_rect(),
    );
    if t.top() >= p.top() && t.bottom() <= p.bottom() {
        return;
    }
    let centre = (t.top() + t.bottom()) / 2.0 - (p.top() + p.bottom()) / 2.0;
    scroller.set_scroll_top((scroller.scroll_top() as f64 + centre).round() as i32);
}

/// Scrolls the container matching `scroller` (itself only) so that the
/// first element matching `target` starts at its top; to the very top when
/// there is no such element.
pub fn scroll_to_start_of(scroller: &str, target: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(Some(panel)) = doc.query_selector(scroller) else {
        return;
    };
    let by = match doc.query_selector(target) {
        Ok(Some(el)) => {
            el.get_bounding_client_rect().top() - panel.get_bounding_client_rect().top() - 6.0
        }
        _ => -(panel.scroll_top() as f64),
    };
    panel.set_scroll_top((panel.scroll_top() as f64 + by).max(0.0).round() as i32);
}
