//! The stage: an SVG scene of the cluster. Producers on the left, brokers in
//! the middle (each holding its partition replicas as horizontal logs of
//! offset cells), consumer groups on the right. Records are tokens that keep
//! one colour and label everywhere; a token *travels* from the sender to the
//! receiver when a step moves it (under reduced motion it simply jumps).
//!
//! Size: one SVG scene drawn from one layout; issue 12 splits it into Yew
//! components (brokers, clients, movers) with props that compare cheaply.
//!
//! Shape cues, never colour alone: a leader replica has a filled badge, a
//! follower a hollow one; an out-of-sync replica's row is dashed; cells at or
//! above the high watermark are hatched (written, not yet readable); a crashed
//! broker is crossed out; the next free offset is a dashed empty cell.

use crate::engine::event::{ErrorCode, EventKind, GroupState, MsgKind, Node, Stage as RecordStage};
use crate::engine::ids::*;
use crate::engine::sim::Engine;
use crate::engine::vecmap::VecMap;
use crate::model::{Model, Msg, Run};
use crate::stage_layout::{Flow, Layout, Pt, Rect, Row};
use yew::prelude::*;
use yew::virtual_dom::VText;

/// What [`view`] draws, and in what box.
pub struct Props {
    pub shows: StageShows,
    pub on: Callback<Msg>,
    /// The stage's box in CSS px (measured by the page).
    pub size: (f64, f64),
    /// How large the drawing may grow (presentation mode raises it).
    pub max_scale: f64,
}

/// At most this many tokens, pills and vanishing cells move in one step.
const MAX_MOVERS: usize = 48;

/// The box a stage is drawn in before it has been measured (and in tests).
pub const DEFAULT_BOX: (f64, f64) = (960.0, 620.0);

/// A record's label: its key, or `#event` for a null key, in at most
/// `max_chars` characters. A longer key is ellipsized, never clipped; keys
/// usually differ at the end (order-1, order-2), so the tail is kept; a
/// number keeps its first digit too (the producers' event ids 1000000 and
/// 2000000 read "1…000" and "2…000", not both "…0000"). The full key is in
/// the tooltip and in Record in focus.
fn token_label(e: &Engine, r: RecordId, max_chars: usize) -> String {
    let key = crate::stage_layout::key_label(e.record(r));
    let head = key.bytes().all(|b| b.is_ascii_digit()) as usize;
    ellipsize_mid(&key, max_chars.max(3), head)
}

/// A real client (live mode) that closed or has not joined its group yet.
#[cfg(live_engine)]
fn outside_the_group(e: &Engine, c: ConsumerIdx) -> bool {
    e.consumers()[c.0 as usize].member_id.is_none() && e.is_external(Node::Consumer(c))
}
#[cfg(not(live_engine))]
fn outside_the_group(_: &Engine, _: ConsumerIdx) -> bool {
    false
}

/// A consumer's caret under a partition's row: where it reads next, or,
/// `pending`, where it will start once it has looked up the committed
/// offset of a partition it was just given.
#[derive(Clone, PartialEq)]
struct Caret {
    label: String,
    pos: i64,
    pending: bool,
}

/// `s` cut to `max_chars` characters, the end replaced by "…" (the full
/// text is in the tooltip).
fn ellipsize(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let head: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{head}…")
}

/// `s` cut to `max_chars` characters in the middle, keeping `head` of
/// them at its start, so names that differ at their end ("payments-app",
/// "payments-app-2") stay apart.
fn ellipsize_mid(s: &str, max_chars: usize, head: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max_chars {
        return s.to_string();
    }
    let tail = max_chars.saturating_sub(1 + head);
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Characters of 11-unit bold text that fit in `width` units (bold
/// glyphs run wider than the layout's average).
fn chars_in(width: f64) -> usize {
    ((width - 8.0) / (crate::stage_layout::MIN_FONT * 0.7))
        .floor()
        .max(2.0) as usize
}

/// How far apart (stage units) protocol pills that share an end are drawn.
const PILL_STACK: f64 = 22.0;

/// The widest a token grows: keys up to 10 characters show whole.
const TOKEN_CHARS: usize = crate::stage_layout::KEY_CHARS;

/// Error names fit a token: `NOT_ENOUGH_REPLICAS` → `NOT_ENOUGH_REPL…`.
fn short_error(name: &str) -> String {
    if name.chars().count() > 16 {
        let t: String = name.chars().take(15).collect();
        format!("{t}…")
    } else {
        name.to_string()
    }
}

fn color_class(r: RecordId) -> String {
    format!("rec-{}", r.0 % 8)
}

// ---- element helpers ----
//
// `html!` expands every element, attribute and listener into a good deal of
// code, so the shapes the stage draws many times are built by these small
// non-generic functions (one copy each in the bundle). An empty `class` and
// a `None` anchor leave the attribute out, exactly as the markup would.

const MIDDLE: Option<&'static str> = Some("middle");
const END: Option<&'static str> = Some("end");

/// `<text class x y text-anchor>body</text>`.
#[inline(never)]
pub(crate) fn text(
    class: &'static str,
    x: f64,
    y: f64,
    anchor: Option<&'static str>,
    body: impl Into<AttrValue>,
) -> Html {
    text_node(class, x, y, anchor, Html::from(VText::new(body)), None)
}

/// [`text`] that is narrowed to `room` units (`textLength`, same font size,
/// tighter glyphs) when its estimated width `need` is more: a label a
/// little wider than its box ("commit" in a cell, "payments-app" in an
/// 800x500 embed's producer) reads whole rather than cut or running over.
pub(crate) fn fitted_text(
    class: &'static str,
    x: f64,
    y: f64,
    anchor: Option<&'static str>,
    body: impl Into<AttrValue>,
    need: f64,
    room: f64,
) -> Html {
    text_node(
        class,
        x,
        y,
        anchor,
        Html::from(VText::new(body)),
        (need > room).then_some(room),
    )
}

#[inline(never)]
fn text_node(
    class: &'static str,
    x: f64,
    y: f64,
    anchor: Option<&'static str>,
    body: Html,
    fit: Option<f64>,
) -> Html {
    html! {
        <text class={class} x={px(x)} y={px(y)} text-anchor={anchor}
              textLength={fit.map(px)} lengthAdjust={fit.map(|_| "spacingAndGlyphs")}>{body}</text>
    }
}

/// `<rect class x y width height rx />`.
#[inline(never)]
fn rect(class: &'static str, x: f64, y: f64, w: f64, h: f64, rx: &'static str) -> Html {
    html! { <rect class={class} x={px(x)} y={px(y)} width={px(w)} height={px(h)} rx={rx} /> }
}

/// `<line class x1 y1 x2 y2 />`.
#[inline(never)]
pub(crate) fn line(class: &'static str, x1: f64, y1: f64, x2: f64, y2: f64) -> Html {
    html! { <line class={class} x1={px(x1)} y1={px(y1)} x2={px(x2)} y2={px(y2)} /> }
}

/// A `<title>` (the SVG tooltip).
#[inline(never)]
fn title(body: impl Into<AttrValue>) -> Html {
    title_node(Html::from(VText::new(body)))
}

#[inline(never)]
fn title_node(body: Html) -> Html {
    html! { <title>{body}</title> }
}

/// `<g transform="translate(x y)" key>children</g>`.
#[inline(never)]
fn translated(key: String, x: f64, y: f64, children: Html) -> Html {
    html! { <g transform={format!("translate({} {})", px(x), px(y))} key={key}>{children}</g> }
}

/// A pill centred on the origin: a `w`×`h` rect with a centred label.
#[inline(never)]
fn pill(class: Classes, w: f64, h: f64, rx: &'static str, label: String) -> Html {
    html! {
        <g class={class}>
            { rect("", -w / 2.0, -h / 2.0, w, h, rx) }
            { text("", 0.0, 4.0, MIDDLE, label) }
        </g>
    }
}

/// The high watermark's tooltip: what is readable, and the gap to the log
/// end offset when there is one.
fn hw_title(hw: i64, leo: i64) -> String {
    let gap = if leo > hw {
        format!(
            " Offsets {hw}–{} are written here but not yet on every in-sync replica, so not yet readable.",
            leo - 1
        )
    } else {
        " Everything written here is below it: HW = LEO, nothing waits for replication.".to_string()
    };
    format!("High watermark {hw}: offsets below it are on every in-sync replica and may be read by consumers.{gap}")
}

/// Whether a message is drawn as a protocol pill (see `Scene::movers`).
fn protocol_message(k: MsgKind) -> bool {
    !matches!(
        k,
        MsgKind::Produce
            | MsgKind::ProduceResponse
            | MsgKind::Fetch
            | MsgKind::FetchResponse
            | MsgKind::ListOffsets
            | MsgKind::ListOffsetsResponse
            | MsgKind::OffsetCommit
    )
}

/// The pill's text: requests by their Kafka name, responses by what they
/// bring back.
fn message_label(k: MsgKind) -> &'static str {
    match k {
        MsgKind::JoinGroupResponse => "joined ↩",
        MsgKind::SyncGroupResponse => "assignment ↩",
        // The most frequent message of all: a small heart, so that it never
        // hides a consumer's name (its tooltip and the event log name it).
        MsgKind::Heartbeat => "♥",
        MsgKind::HeartbeatResponse => "♥✓",
        MsgKind::ConsumerGroupHeartbeat => "♥",
        MsgKind::ConsumerGroupHeartbeatResponse => "♥✓",
        // The heartbeats that move partitions get words.
        MsgKind::ConsumerGroupHeartbeatAck => "♥ owned ↪",
        MsgKind::ConsumerGroupHeartbeatAssignment => "♥ assignment ↩",
        MsgKind::LeaveGroupResponse => "left ↩",
        MsgKind::OffsetCommitResponse => "committed ↩",
        MsgKind::OffsetFetchResponse => "offsets ↩",
        MsgKind::MetadataResponse => "leaders ↩",
        MsgKind::ApiVersionsResponse => "connected ↩",
        MsgKind::FindCoordinatorResponse => "coordinator ↩",
        MsgKind::InitProducerIdResponse => "pid+epoch ↩",
        MsgKind::AddPartitionsToTxnResponse
        | MsgKind::AddOffsetsToTxnResponse
        | MsgKind::TxnOffsetCommitResponse
        | MsgKind::EndTxnResponse
        | MsgKind::WriteTxnMarkersResponse => "ok ↩",
        other => other.name(),
    }
}

/// A callback that sends `msg` whatever the event (one copy per event type
/// in the bundle, however many buttons use it).
#[inline(never)]
pub fn send<E: 'static>(on: &Callback<Msg>, msg: Msg) -> Callback<E> {
    on.reform(move |_: E| msg.clone())
}

/// A keydown callback that sends `msg` on Enter or Space, as a `<button>`
/// does (for SVG groups that act as buttons; the event goes no further, so
/// Space does not also toggle Play).
#[inline(never)]
fn on_enter(on: &Callback<Msg>, msg: Msg) -> Callback<KeyboardEvent> {
    let on = on.clone();
    Callback::from(move |ev: KeyboardEvent| {
        if matches!(ev.key().as_str(), "Enter" | " " | "Spacebar") {
            ev.prevent_default();
            ev.stop_propagation();
            on.emit(msg.clone());
        }
    })
}

/// An SVG group that acts as a button: focusable, Enter or a click sends `msg`.
#[inline(never)]
fn svg_button(
    class: &'static str,
    label: String,
    focus_key: String,
    on: &Callback<Msg>,
    msg: Msg,
    children: Html,
) -> Html {
    html! {
        <g class={class} tabindex="0" role="button" aria-label={label} data-fk={focus_key}
           onclick={send::<MouseEvent>(on, msg.clone())} onkeydown={on_enter(on, msg)}>
            {children}
        </g>
    }
}

/// An element that travels from `from` to `to` during this step.
#[inline(never)]
fn traveller(key: String, from: Pt, to: Pt, dur_ms: u32, trail: bool, inner: Html) -> Html {
    let style = format!(
        "--fx:{}px;--fy:{}px;--dur:{dur_ms}ms",
        px(from.x - to.x),
        px(from.y - to.y)
    );
    // Everything that travels fades once it has arrived, so nothing is
    // left over on the labels at its destination.
    // The path it travels is drawn under it as it goes (and fades with
    // it), so a student sees which wire a record, an ack or a commit took.
    html! {
        <g transform={format!("translate({} {})", px(to.x), px(to.y))} key={key}>
            if trail {
                <line class="trail" x1={px(from.x - to.x)} y1={px(from.y - to.y)} x2="0" y2="0"
                      pathLength="100" style={style.clone()} aria-hidden="true" />
            }
            <g class="travel" style={style}>{inner}</g>
        </g>
    }
}

#[inline(never)]
fn token(e: &Engine, r: RecordId, focus: bool, extra: Option<&'static str>) -> Html {
    sized_token(e, r, focus, extra, TOKEN_CHARS)
}

/// A token whose label holds at most `max_chars` characters (a record
/// parked in a box's slot is kept small, beside the box's labels).
#[inline(never)]
fn sized_token(
    e: &Engine,
    r: RecordId,
    focus: bool,
    extra: Option<&'static str>,
    max_chars: usize,
) -> Html {
    let label = token_label(e, r, max_chars);
    let w = token_w(label.chars().count(), max_chars);
    pill(
        classes!("token", color_class(r), focus.then_some("focus"), extra),
        w,
        24.0,
        "12",
        label,
    )
}

/// The width of a token whose label has `chars` characters (of at most
/// `max_chars`).
fn token_w(chars: usize, max_chars: usize) -> f64 {
    let min_w = if max_chars <= 5 { 40.0 } else { 46.0 };
    (crate::stage_layout::text_width(chars, 12.0) + 16.0).max(min_w)
}

/// A token with a `×n` count beside it when a batch carries `n > 1` records.
fn batch_token(e: &Engine, r: RecordId, focus: bool, n: usize) -> Html {
    let inner = token(e, r, focus, None);
    if n > 1 {
        html! { <>{inner}{text("count", 26.0, -8.0, None, format!("×{n}"))}</> }
    } else {
        inner
    }
}

/// The marker line of an offset (HW or LSO) across a row, with its label on
/// the left of the line (`left`) or on its right, and a tooltip.
#[inline(never)]
fn offset_marker(class: &'static str, x: f64, row: &Row, tip: String) -> Html {
    html! {
        <g class={class}>
            { line("", x, row.y - 4.0, x, row.y + row.h + 4.0) }
            { title(tip) }
        </g>
    }
}

/// A keystroke in the Key field, another tab or a dialog leaves the stage
/// alone: only what it shows, its callback (the reducer's dispatcher, the
/// same on every render) and its scale count.
#[derive(Properties, Clone, PartialEq)]
pub struct StageProps {
    /// What the stage shows, taken when the page rendered (see
    /// [`StageShows`]).
    pub shows: StageShows,
    pub on: Callback<Msg>,
    /// How large the drawing may grow (presentation mode raises it).
    #[prop_or(2.0)]
    pub max_scale: f64,
}

/// What the stage draws, cheap to compare: the run as one pointer (every
/// change to a shared run makes a new one, see [`Model`]) and the few things
/// of the viewer's state it shows. The drawing reads only this, so what
/// the props compare is what the stage draws.
#[derive(Clone, PartialEq)]
pub struct StageShows {
    pub run: crate::ui::RunSnap,
    pub playing: bool,
    /// Milliseconds between two played steps (animations end within one).
    pub tick_ms: u32,
    pub selected_consumer: Option<ConsumerIdx>,
    pub inspect: Option<(BrokerId, Tp)>,
}

impl StageShows {
    /// Lane `lane` of the page whose model is `main` (the same model when
    /// there are no lanes): the lane's run, played at the page's pace.
    pub fn of(lane: &Model, main: &Model) -> StageShows {
        StageShows {
            run: crate::ui::RunSnap::of(lane),
            playing: main.playing,
            tick_ms: main.tick_ms(),
            selected_consumer: lane.selected_consumer,
            inspect: lane.inspect,
        }
    }

    fn tick_ms(&self) -> u32 {
        self.tick_ms
    }
}

impl std::ops::Deref for StageShows {
    type Target = Run;
    fn deref(&self) -> &Run {
        &self.run
    }
}

/// The stage in its box: it measures the box the page gives it (a
/// `ResizeObserver`) and lays the cluster out to fill it (see
/// [`crate::stage_layout`]).
#[component]
pub fn Stage(props: &StageProps) -> Html {
    let host = use_node_ref();
    let size = use_state_eq(|| None::<(f64, f64)>);
    {
        let host = host.clone();
        let size = size.clone();
        use_effect_with((), move |_| {
            let observer = host.cast::<web_sys::Element>().and_then(|el| {
                crate::ui::dom::observe_size(&el, move |w, h| size.set(Some((w, h))))
            });
            move || drop(observer)
        });
    }
    // A stage taller than its box (a phone) follows what the narration
    // tells: a group's news, the group; else the record in focus, its
    // newest place (a log cell, then the consumer holding it), not a
    // traveller still on its way.
    {
        let host = host.clone();
        let target = if props
            .shows
            .headline()
            .is_some_and(|h| h.kind.is_about_group())
        {
            "svg.stage .group"
        } else {
            "svg.stage > g .focus:not(.movers *), svg.stage .holds-focus"
        };
        // (Again once the box is measured: a stage drawn for a lane that
        // has just become the large one has no size on its first render.)
        use_effect_with(
            (props.shows.step, props.shows.focus, target, size.is_some()),
            move |_| {
                if let Some(el) = host.cast::<web_sys::Element>() {
                    crate::ui::dom::follow_in_scroller(&el, target);
                }
            },
        );
    }
    let (w, h) = size.unwrap_or(DEFAULT_BOX);
    html! {
        <div class="stage-host" ref={host}>
            { view(&Props { shows: props.shows.clone(), on: props.on.clone(), size: (w, h), max_scale: props.max_scale }) }
        </div>
    }
}

/// The drawing itself, for a box of `props.size` CSS px.
pub fn view(props: &Props) -> Html {
    let m = &props.shows;
    let mut s = Scene {
        m,
        e: &m.engine,
        on: &props.on,
        lay: crate::stage_layout::layout(&m.engine, props.size.0, props.size.1, props.max_scale),
    };
    if let Some(f) = m.focus {
        s.lay.start_rows_at(s.e, f);
    }
    let (e, lay) = (s.e, &s.lay);

    // Consumer positions, for carets under the rows. A partition a consumer
    // owns before it knows where to read (it is looking up the committed
    // offset) gets a hollow caret at the group's committed offset, so the
    // new owner shows up when the narration names it.
    let mut positions: VecMap<Tp, Vec<Caret>> = VecMap::new();
    for c in e.consumers().iter().filter(|c| c.alive) {
        for (tp, p) in &c.positions {
            positions.entry_or_default(*tp).push(Caret {
                label: c.label.clone(),
                pos: p.0,
                pending: false,
            });
        }
        let committed = &e.groups()[c.group.0 as usize].committed;
        for tp in c
            .assignment
            .iter()
            .filter(|tp| !c.positions.contains_key(tp))
        {
            if let Some(o) = committed.get(tp) {
                positions.entry_or_default(*tp).push(Caret {
                    label: c.label.clone(),
                    pos: o.0,
                    pending: true,
                });
            }
        }
    }
    // Records still inside the producer.
    let staged: Vec<(RecordId, RecordStage)> = m
        .record_stage
        .iter()
        .filter(|(_, s)| **s <= RecordStage::Partition)
        .map(|(r, s)| (*r, *s))
        .collect();

    html! {
        <svg class={classes!("stage", lay.overflow.then_some("overflow"))} viewBox={format!("0 0 {} {}", px(lay.w), px(lay.h))} role="group"
             aria-label="The cluster: producer, brokers with partition logs, and consumer groups" preserveAspectRatio="xMidYMin meet">
            <defs>
                <pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
                </pattern>
            </defs>
            <g class="wires">
                { for wires(lay).into_iter().map(|(class, a, b)| line(class, a.x, a.y, b.x, b.y)) }
            </g>
            { for lay.brokers.iter().map(|b| s.broker(b)) }
            { for lay.rows.iter().map(|r| s.row(r, &positions)) }
            { for lay.producers.iter().map(|p| s.producer(p)) }
            { for staged.iter().enumerate().map(|(i, r)| {
                // Each record waits in its own producer's box, numbered
                // among that producer's records.
                let owner = e.record(r.0).producer;
                let k = staged[..i].iter().filter(|o| e.record(o.0).producer == owner).count();
                let n = staged.iter().filter(|o| e.record(o.0).producer == owner).count();
                s.staged_token(k, n, r)
            }).flatten() }
            { for lay.groups.iter().map(|g| s.group(g)) }
            { for lay.consumers.iter().map(|c| s.consumer(c)) }
            { for e.consumers().iter().filter(|c| c.alive).filter_map(|c| s.at_consumer(c)) }
            <g class="movers">{ for s.movers() }</g>
        </svg>
    }
}

/// Where a protocol message leaves or reaches a participant.
fn node_point(lay: &Layout, n: Node) -> Option<Pt> {
    match n {
        Node::Producer(p) => Some(lay.producer_port(p)),
        Node::Consumer(c) => Some(lay.consumer_port(c)),
        Node::Broker(b) => lay.broker_port(b),
        Node::Controller => None,
    }
}

/// The dashed wires from each producer to the brokers and from the brokers
/// to each consumer (the paths records travel along).
fn wires(lay: &Layout) -> Vec<(&'static str, Pt, Pt)> {
    let left = lay.brokers.iter().map(|b| b.1.x).fold(f64::MAX, f64::min);
    let right = lay.brokers.iter().map(|b| b.1.right()).fold(0.0, f64::max);
    let top = lay.brokers.iter().map(|b| b.1.y).fold(f64::MAX, f64::min);
    let bottom = lay.brokers.iter().map(|b| b.1.bottom()).fold(0.0, f64::max);
    let mut v = Vec::new();
    for (_, r) in &lay.producers {
        let c = r.centre();
        v.push(match lay.flow {
            Flow::Across => (
                "wire producer-wire",
                Pt {
                    x: r.right(),
                    y: c.y,
                },
                Pt { x: left, y: c.y },
            ),
            Flow::Down => (
                "wire producer-wire",
                Pt {
                    x: c.x,
                    y: r.bottom(),
                },
                Pt { x: c.x, y: top },
            ),
        });
    }
    for (_, r) in &lay.consumers {
        let c = r.centre();
        v.push(match lay.flow {
            Flow::Across => (
                "wire consumer-wire",
                Pt { x: right, y: c.y },
                Pt { x: r.x, y: c.y },
            ),
            Flow::Down => (
                "wire consumer-wire",
                Pt { x: c.x, y: bottom },
                Pt { x: c.x, y: r.y },
            ),
        });
    }
    v
}

/// What every part of the stage needs to draw itself.
struct Scene<'a> {
    m: &'a StageShows,
    e: &'a Engine,
    on: &'a Callback<Msg>,
    lay: Layout,
}

impl Scene<'_> {
    /// One broker: its box, its crash/restart handle and its captions.
    #[inline(never)]
    fn broker(&self, &(id, r): &(BrokerId, Rect)) -> Html {
        let (x, y, w, h) = (r.x, r.y, r.w, r.h);
        let (e, on, lay) = (self.e, self.on, &self.lay);
        let b = &e.brokers()[id.0 as usize];
        let down = !b.alive;
        // A topic's name over its rows, cut to the box when it must be.
        let name_chars = ((w - 24.0) / 6.6) as usize;
        let captions = lay
            .captions
            .iter()
            .filter(|c| c.0 == id)
            .map(|&(_, cy, t)| {
                let topic = e.topic(t);
                // (Over the box: the one topic, named for its column.)
                let name = if cy < y {
                    ellipsize(&format!("topic {}", topic.name), name_chars)
                } else {
                    ellipsize(&topic.name, name_chars)
                };
                text(
                    if topic.internal {
                        "internal-caption"
                    } else {
                        "topic-caption"
                    },
                    x + 12.0,
                    cy,
                    None,
                    name,
                )
            });
        let is_coordinator = e.groups().iter().any(|g| g.coordinator(e) == Some(id));
        // The accessible name starts with the visible text (WCAG 2.5.3).
        let label = if down {
            format!("Broker {id} ▶ restart: broker {id} is crashed. Press Enter to restart it.")
        } else {
            format!("Broker {id} ✕ crash: broker {id} is running. Press Enter to crash it.")
        };
        let handle = html! {
            <>
                { rect("handle-bg", x + 4.0, y + 3.0, 164.0, 24.0, "6") }
                { text("broker-title", x + 12.0, y + 20.0, None, format!("Broker {id}")) }
                { text("broker-action", x + 88.0, y + 20.0, None, if down { "▶ restart" } else { "✕ crash" }) }
            </>
        };
        html! {
            <g class={classes!("broker", down.then_some("down"))} key={format!("b{id}")}>
                { rect("broker-box", x, y, w, h, "10") }
                { svg_button("broker-handle", label, format!("broker-{id}"), on, Msg::ToggleBroker(id), handle) }
                if is_coordinator && !down {
                    // "coordinator" alone when the column is narrow.
                    { text("coord-tag", x + w - 10.0, y + 20.0, END, if w >= 340.0 { "group coordinator" } else { "coordinator" }) }
                }
                { for captions }
                if down {
                    { line("cross", x, y, x + w, y + h) }
                    { line("cross", x + w, y, x, y + h) }
                    // Beside the handle only where it fits: in a narrow
                    // column the cross and "▶ restart" say it already. (The
                    // element stays, so the picture's structure does not
                    // depend on the column's width.)
                    { text("down-label", x + w - 12.0, y + 20.0, END, if w >= 240.0 { "crashed" } else { "" }) }
                }
            </g>
        }
    }

    /// One replica's row: its role badge, label, offset cells and markers.
    #[inline(never)]
    fn row(&self, row: &Row, positions: &VecMap<Tp, Vec<Caret>>) -> Html {
        let (m, e, on) = (self.m, self.e, self.on);
        let inspect_key = (row.broker, row.tp);
        let b = &e.brokers()[row.broker.0 as usize];
        let rep = b.replica(row.tp).expect("row exists for hosted replicas");
        let meta = e.partition_meta(row.tp);
        let is_leader = meta.leader == Some(row.broker);
        let in_isr = meta.isr.contains(&row.broker);
        let log = &rep.log;
        let hw = log.hw().0;
        let leo = log.leo().0;
        let name = &e.topic(row.tp.topic).name;
        // A name too long for the column is just `P3`: the caption above
        // the rows names their topic (`__consumer_offsets`, or each topic
        // when there are several), the tooltip and accessible name in full.
        let full = name.chars().count() + 1 + row.tp.partition.to_string().len();
        let label = if row.internal || full > row.label_chars {
            format!("P{}", row.tp.partition)
        } else {
            format!("{name}-{}", row.tp.partition)
        };
        let lso = log.lso().0;
        let user_topics = e.topics().iter().filter(|t| !t.internal).count();
        let aborted = log.aborted_txns(Offset(row.start), Offset(leo));
        let open_txn_first = log.producer_state().first_unstable_offset().map(|o| o.0);
        let cells = (row.start..leo).filter_map(|off| {
            let x = row.cell_x(off)?;
            let entry = log.entry(Offset(off))?;
            let above_hw = off >= hw;
            let (class, text_) = match (entry.record, entry.control) {
                (Some(r), _) if !row.internal => (color_class(r), token_label(e, r, crate::stage_layout::key_chars_in(row.cell_w))),
                // An offset commit: which partition, and the committed
                // offset (the next to read), as the consumer boxes say it.
                (Some(r), _) => (
                    "internal".to_string(),
                    match &e.record(r).kind {
                        crate::engine::record::RecordKind::OffsetCommit { tp, offset, .. } => {
                            format!("{}@{}", commit_partition(e, *tp, user_topics > 1), offset.0)
                        }
                        _ => "commit".to_string(),
                    },
                ),
                (None, Some(crate::engine::log::ControlType::Commit)) => ("marker commit".to_string(), "commit".to_string()),
                (None, _) => ("marker abort".to_string(), "abort".to_string()),
            };
            let in_aborted = entry.record.is_some()
                && entry.producer.is_some_and(|p| aborted.iter().any(|a| a.producer_id == p.producer_id && a.first_offset.0 <= off && off <= a.last_offset.0));
            let in_open_txn = entry.transactional && entry.record.is_some() && !in_aborted && open_txn_first.is_some_and(|f| off >= f) && off >= lso;
            // The first group's verdict on this message, for the lost and
            // duplicated marks (the ledger tab has the full story).
            let verdict = entry.record.filter(|_| !row.internal && !e.groups().is_empty()).and_then(|r| {
                let rec = e.record(r);
                (rec.kind == crate::engine::record::RecordKind::Data)
                    .then(|| e.verdict_of(rec.event_id, crate::engine::ids::GroupIdx(0)))
                    .flatten()
            });
            let lost = verdict == Some(crate::engine::ledger::Verdict::Lost);
            let dup = verdict == Some(crate::engine::ledger::Verdict::Duplicated);
            let focus = entry.record.is_some() && entry.record == m.focus && !row.internal;
            let cw = row.cell_w - 3.0;
            let label_need = crate::stage_layout::text_width(text_.chars().count(), 11.0);
            let tip = if in_aborted {
                format!("offset {off}: written in a transaction that aborted; read_committed consumers skip it")
            } else if in_open_txn {
                format!("offset {off}: in an open transaction, above the last stable offset {lso}")
            } else if lost {
                format!("offset {off}: this message will never be processed by {}", e.groups()[0].group_id)
            } else if dup {
                format!("offset {off}: {} processed this message more than once (a duplicate)", e.groups()[0].group_id)
            } else if entry.control.is_some() {
                format!("offset {off}: a transaction marker (control record)")
            } else if row.internal {
                match entry.record.map(|r| &e.record(r).kind) {
                    Some(crate::engine::record::RecordKind::OffsetCommit { tp, offset, .. }) => format!(
                        "offset {off}: an offset commit record: {} committed offset {} (the next offset to read)",
                        crate::narration::tp_label(e, *tp),
                        offset.0
                    ),
                    _ => format!("offset {off}: an offset commit record"),
                }
            } else {
                format!("offset {off}")
            };
            Some(html! {
                <g class={classes!("cell", class, above_hw.then_some("uncommitted"), focus.then_some("focus"),
                                   in_aborted.then_some("aborted"), in_open_txn.then_some("txn-open"), lost.then_some("lost"), dup.then_some("dup"))} key={format!("c{off}")}>
                    { rect("", x + 1.5, row.y, cw, row.h, "4") }
                    if above_hw {
                        { rect("hatch", x + 1.5, row.y, cw, row.h, "4") }
                    }
                    // Offset on the top line (with a lost / ×2 tag at its
                    // right), key on the bottom line; a compact follower
                    // row shows the cells alone.
                    if !row.compact {
                        // Baselines so the two line boxes (ascent + descent,
                        // about 1.17 × 11 units each) never meet.
                        { text("cell-offset", x + 4.5, row.y + 10.5, None, off.to_string()) }
                        // A label a little wider than its cell ("commit",
                        // "t1-0@1") is narrowed to fit rather than run into
                        // the next cell.
                        { fitted_text("cell-label", x + row.cell_w / 2.0, row.y + row.h - 3.5, MIDDLE,
                                      text_, label_need, cw - 5.0) }
                        if lost {
                            { text("lost-tag", x + row.cell_w - 3.0, row.y + 10.5, END, if row.cell_w >= 54.0 { "lost" } else { "✕" }) }
                        }
                        if dup {
                            { text("lost-tag dup-tag", x + row.cell_w - 3.0, row.y + 10.5, END, "×2") }
                        }
                    }
                    if in_aborted || lost {
                        { line("strike", x + 3.0, row.y + 2.0, x + cw, row.y + row.h - 2.0) }
                    }
                    { title(tip) }
                </g>
            })
        });
        // The LEO slot gives way to records crossed out by this step's
        // truncation: they are drawn where the log now ends.
        let truncated_here = self.m.events.iter().any(|ev| {
            matches!(&ev.kind, EventKind::Truncated { broker, tp, .. } if *broker == row.broker && *tp == row.tp)
        });
        let next_x = row.cell_x(leo).filter(|_| !truncated_here);
        let hw_x = row.cell_x(hw).or_else(|| {
            (hw >= row.start + row.slots as i64).then_some(row.x0 + row.slots as f64 * row.cell_w)
        });
        // Consumers at the same position share one caret ("A B"), so
        // their labels never sit on each other.
        let mut carets: Vec<Caret> = Vec::new();
        if !row.internal && is_leader {
            for k in positions.get(&row.tp).cloned().unwrap_or_default() {
                match carets.iter_mut().find(|c| c.pos == k.pos) {
                    Some(c) => {
                        c.label.push(' ');
                        c.label.push_str(&k.label);
                        c.pending &= k.pending;
                    }
                    None => carets.push(k),
                }
            }
        }
        let role = if is_leader {
            "leader"
        } else if in_isr {
            "in-sync follower"
        } else {
            "out-of-sync follower"
        };
        html! {
            <g class={classes!("row", is_leader.then_some("leader"), (!in_isr).then_some("out-of-sync"), row.internal.then_some("internal-row"),
                               (m.inspect == Some((row.broker, row.tp))).then_some("inspected"))}
               key={format!("r{}-{}-{}", row.broker, row.tp.topic, row.tp.partition)}
               tabindex={(!row.internal).then_some("0")}
               aria-label={format!("{} on broker {}: {role}, high watermark {hw}, log end offset {leo}", if row.internal { format!("__consumer_offsets-{}", row.tp.partition) } else { format!("{name}-{}", row.tp.partition) }, row.broker)}
               onmouseenter={send::<MouseEvent>(on, Msg::Inspect(Some(inspect_key)))}
               onmouseleave={send::<MouseEvent>(on, Msg::Inspect(None))}
               onfocus={send::<FocusEvent>(on, Msg::Inspect(Some(inspect_key)))}
               onblur={send::<FocusEvent>(on, Msg::Inspect(None))}>
                { rect("row-bg", row.label_x - 4.0, row.y - 3.0, row.right() - row.label_x + 8.0, row.h + 6.0, "6") }
                <circle class={classes!("role-badge", if is_leader { "filled" } else { "hollow" })}
                        cx={px(row.label_x + 5.0)} cy={px(row.y + row.h / 2.0)} r="5">
                    { title(if is_leader { "Leader replica" } else if in_isr { "Follower (in sync)" } else { "Follower (out of sync)" }) }
                </circle>
                // The partition's name, and under it the numbers the marker
                // lines stand for: HW (solid) and, in a transaction, LSO
                // (dashed), each in its line's colour.
                if row.compact {
                    { text_node("row-label", row.label_x + 14.0, row.y + row.h / 2.0 + 4.5, None,
                        html! { <>{label}{title(format!("{name}-{}: HW {hw}, LEO {leo}", row.tp.partition))}</> }, None) }
                } else {
                    { text_node("row-label", row.label_x + 14.0, row.y + 11.0, None,
                        html! { <>{label}{title(format!("{name}-{}", row.tp.partition))}</> }, None) }
                    <text class="row-marks" x={px(row.label_x + 14.0)} y={px(row.y + row.h - 2.5)}>
                        <tspan class="hw-mark">{format!("HW {hw}")}</tspan>
                        if lso < hw && row.label_chars >= 11 {
                            <tspan class="lso-mark">{format!(" LSO {lso}")}</tspan>
                        }
                    </text>
                }
                { for cells }
                // A torn left edge (over the first cell's edge): the row shows the newest offsets only,
                // and earlier ones are still in the log.
                if row.start > 0 {
                    <g class="earlier">
                        <path d={format!("M{} {} l-4 {q} l4 {q} l-4 {q} l4 {q}", px(row.x0 + 1.0), px(row.y), q = px(row.h / 4.0))} />
                        { title(format!("Offsets 0–{} are earlier in this log: the row shows the newest {} (the Ledger tab lists every record).", row.start - 1, row.slots)) }
                    </g>
                }
                { for row.followers.iter().map(|&(fb, cx)| self.follower_chip(row, fb, cx, leo)) }
                if let Some(x) = next_x {
                    <g class="next-slot">
                        { rect("", x + 1.5, row.y, row.cell_w - 3.0, row.h, "4") }
                        if !row.compact {
                            { text("", x + row.cell_w / 2.0, row.y + row.h / 2.0 + 4.0, MIDDLE, "LEO") }
                        }
                        { title(format!("Log end offset {leo}: the offset the next record appended to this replica will get.")) }
                    </g>
                }
                if let (true, Some(x)) = (lso < hw, row.cell_x(lso)) {
                    { offset_marker("lso-marker", x, row,
                        format!("Last stable offset {lso}: read_committed consumers stop here until the open transaction ends.")) }
                }
                if let Some(x) = hw_x {
                    { offset_marker("hw-marker", x, row, hw_title(hw, leo)) }
                }
                { for carets.iter().filter_map(|Caret { label, pos, pending }| {
                    let x = match row.cell_x(*pos) {
                        Some(x) => x + row.cell_w / 2.0,
                        // Older than the row's first cell: at its left
                        // edge, by the ⟨ that stands for those offsets.
                        None if *pos < row.start => row.x0,
                        // Past the cells drawn: the LEO slot, or the end
                        // of a row too full to draw one.
                        None => next_x.map_or(row.right(), |x| x + row.cell_w / 2.0),
                    };
                    let y = row.y + row.h + 2.0;
                    let about = if *pending {
                        format!("Consumer {label} owns this partition and is looking up where to start: the group's committed offset, {pos}")
                    } else {
                        format!("Consumer {label}'s position: offset {pos}")
                    };
                    Some(html! {
                        <g class={if *pending { "caret pending" } else { "caret" }} key={format!("p{label}")}>
                            <path d={format!("M{} {} l-6 9 h12 z", px(x), px(y))} />
                            { text("caret-label", x + 8.0, y + 10.0, None, label.clone()) }
                            { title(about) }
                        </g>
                    })
                }) }
            </g>
        }
    }

    /// A follower drawn as a chip in its leader's row (big clusters): which
    /// broker, and how far behind the leader's log end it is. Hollow like a
    /// follower's badge; dashed when out of the ISR; crossed when down.
    #[inline(never)]
    fn follower_chip(&self, row: &Row, fb: BrokerId, cx: f64, leader_leo: i64) -> Html {
        let e = self.e;
        let broker = &e.brokers()[fb.0 as usize];
        let leo = broker.replica(row.tp).map(|r| r.log.leo().0).unwrap_or(0);
        let in_isr = e.partition_meta(row.tp).isr.contains(&fb);
        let lag = leader_leo - leo;
        let label = if !broker.alive {
            format!("B{fb} ✕")
        } else if lag <= 0 {
            format!("B{fb} ✓")
        } else {
            format!("B{fb} −{lag}")
        };
        let (w, h) = (crate::stage_layout::CHIP_W, crate::stage_layout::CHIP_H);
        // A dot: filled when caught up, hollow when behind, dashed out of
        // the ISR, crossed when its broker is down (shape, not colour).
        let dot = html! {
            <>
                <circle class={classes!("dot", (lag <= 0 && broker.alive).then_some("filled"))} cx={px(cx)} cy={px(row.chips_y)} r="6" />
                if !broker.alive {
                    { line("", cx - 6.0, row.chips_y - 6.0, cx + 6.0, row.chips_y + 6.0) }
                }
            </>
        };
        html! {
            <g class={classes!("chip", (!in_isr).then_some("out-of-sync"), (!broker.alive).then_some("down"))}>
                if row.dots {
                    { dot }
                } else {
                    { rect("", cx - w / 2.0, row.chips_y - h / 2.0, w, h, "8") }
                    { text("", cx, row.chips_y + 4.0, MIDDLE, label) }
                }
                { title(format!(
                    "Follower on broker {fb}: log end offset {leo} (the leader's is {leader_leo}); {}{}",
                    if in_isr { "in the ISR" } else { "out of the ISR" },
                    if broker.alive { "" } else { "; the broker is down" }
                )) }
            </g>
        }
    }

    /// One producer (or a processor's producer) and its counters.
    #[inline(never)]
    fn producer(&self, &(p, r): &(ProducerIdx, Rect)) -> Html {
        let e = self.e;
        let pr = &e.producers()[p.0 as usize];
        let pc = &e.config().producers[p.0 as usize];
        let (x, y, w, h) = (r.x, r.y, r.w, r.h);
        let sub = |dy: f64, body: String| text("box-sub", x + 12.0, y + dy, None, body);
        // The client.id in `n` characters, cut in the middle: "paym…app-2"
        // is not "payments-app".
        let client_id = |n: usize| ellipsize_mid(&pr.client_id, n, (n - 1) / 2);
        let id_title = e.producers().len() > 1 && pr.owner_consumer.is_none();
        let glyph = crate::stage_layout::BOLD_12_WIDE_W;
        // A tall box under a "Producer" title has a line for the client.id.
        let tall = h >= 140.0 && !id_title;
        html! {
            <g class={classes!("producer", (!pr.alive || pr.txn.fenced).then_some("down"))} key={format!("p{p}")}>
                { rect("producer-box", x, y, w, h, "10") }
                // With several producers the client.id is the title (the
                // narration's "orders-app"; three boxes titled "Producer"
                // told them apart in small type only), 12-unit bold. An
                // id up to a fifth wider than the room is narrowed to fit
                // whole ("payments-app" in an 800x500 embed's box).
                if id_title {
                    { fitted_text("box-title id-title", x + 12.0, y + 21.0, None,
                                  client_id(((w - 16.0) * 1.2 / glyph) as usize), pr.client_id.chars().count() as f64 * glyph, w - 16.0) }
                } else {
                    { text("box-title", x + 12.0, y + 21.0, None, if pr.owner_consumer.is_some() { "Processor" } else { "Producer" }) }
                }
                if !pr.alive || pr.txn.fenced {
                    { line("cross", x, y, x + w, y + h) }
                    // Bottom right: the title stays readable.
                    { text("down-label", x + w - 8.0, y + h - 8.0, END, if pr.txn.fenced { "fenced" } else { "crashed" }) }
                } else if pr.txn.open && h >= 140.0 {
                    // (Bold 11-unit glyphs, about 6.8 units each.)
                    { text("box-sub txn-tag", x + 12.0, y + h - 8.0, None, if w >= 132.0 { "transaction open" } else { "txn open" }) }
                }
                // A short box keeps three counters (the client.id is in
                // the tooltip); the records waiting in the producer sit in
                // the tray under them (see `staged_token`).
                if tall {
                    { sub(38.0, client_id(chars_in(w - 16.0))) }
                }
                { sub(if tall { 54.0 } else { 38.0 }, format!("acks={}", pc.acks.label())) }
                // (A short box says "in a transaction" here instead: its
                // tray leaves no room at the bottom.)
                if h < 140.0 && pr.alive && !pr.txn.fenced && pr.txn.open {
                    { text("box-sub txn-tag", x + 12.0, y + 54.0, None, if w >= 132.0 { "in a transaction" } else { "in a txn" }) }
                } else {
                    { sub(if tall { 70.0 } else { 54.0 }, format!("{} unacked", pr.unacked_records())) }
                }
                if pr.acked_records > 0 {
                    // With acks=0 nothing answers: the time is send() to the wire.
                    { sub(if tall { 86.0 } else { 70.0 }, ack_label(if pc.acks == crate::engine::config::Acks::Zero { "sent" } else { "ack" }, pr.total_ack_latency_ms / pr.acked_records)) }
                }
                { title(format!("{} (client.id), acks={}", pr.client_id, pc.acks.label())) }
            </g>
        }
    }

    /// A record still inside the producer (created, serialized or routed).
    #[inline(never)]
    fn staged_token(&self, k: usize, n: usize, (r, s): &(RecordId, RecordStage)) -> Option<Html> {
        let (m, e, lay) = (self.m, self.e, &self.lay);
        let owner = e.record(*r).producer;
        let pr = owner
            .and_then(|p| lay.producer(p))
            .or(lay.producers.first().map(|p| p.1))?;
        // The tray under the producer's counters (beside them in a wide,
        // short box): one record per line, its partition beside it, as
        // many lines as the box holds.
        let beside = pr.h <= crate::stage_layout::WIDE_PRODUCER_H;
        let tray = if pr.h >= 140.0 {
            112.0
        } else if beside {
            26.0
        } else {
            94.0
        };
        let lines = (((pr.h - tray + 11.0) / 28.0).floor() as usize).max(1);
        // More records than lines: the newest ones (the narration follows
        // the newest record), the oldest wait out of sight.
        let Some(i) = k.checked_sub(n.saturating_sub(lines)) else {
            return None;
        };
        // As much of the key as the box holds beside the partition tag: 6
        // characters in the narrowest box, up to a token's TOKEN_CHARS (the audit
        // read "…der-2" for order-2 in a producer with room to spare).
        let max_chars = if beside {
            6
        } else {
            (((pr.w - 58.0) / crate::stage_layout::SANS_12_W) as usize).clamp(6, TOKEN_CHARS)
        };
        let half = token_w(token_label(e, *r, max_chars).chars().count(), max_chars) / 2.0;
        let at = Pt {
            x: pr.x + if beside { 150.0 } else { 6.0 + half.max(30.0) },
            y: pr.y + tray + i as f64 * 28.0,
        };
        let tag = match s {
            RecordStage::Serialize => Some("bytes"),
            RecordStage::Partition => Some("routed"),
            _ => None,
        };
        let part = e
            .record(*r)
            .partition
            .filter(|_| *s == RecordStage::Partition);
        Some(translated(
            format!("s{}", r.0),
            at.x,
            at.y,
            html! {
                <>
                    { sized_token(e, *r, m.focus == Some(*r), tag, max_chars) }
                    if let Some(p) = part {
                        { text("route-tag", half + 4.0, 4.0, None, format!("→ P{p}")) }
                    }
                </>
            },
        ))
    }

    /// One consumer group's box, with its state and an add-consumer button.
    #[inline(never)]
    fn group(&self, &(g, r): &(GroupIdx, Rect)) -> Html {
        let (x, y, w, h) = (r.x, r.y, r.w, r.h);
        let tight = self.lay.tight_groups;
        let (e, on) = (self.e, self.on);
        let grp = &e.groups()[g.0 as usize];
        // A consumer group of the KIP-848 protocol: Kafka's ConsumerGroupState.
        let modern = grp.consumer_group().map(|cg| cg.state_name());
        let (shape, badge) = match (modern, grp.state) {
            (Some("Stable"), _) => ("●", "state-badge stable"),
            (Some("Empty"), _) => ("○", "state-badge empty"),
            (Some(_), _) => ("◑", "state-badge completing"),
            (None, st) => match st {
                GroupState::Stable => ("●", "state-badge stable"),
                GroupState::PreparingRebalance => ("◐", "state-badge preparing"),
                GroupState::CompletingRebalance => ("◑", "state-badge completing"),
                GroupState::Empty => ("○", "state-badge empty"),
                GroupState::Dead => ("✕", "state-badge dead"),
            },
        };
        let state_name = modern.unwrap_or(grp.state.name());
        let generation = match grp.consumer_group() {
            Some(cg) => format!("epoch {} · target {}", cg.group_epoch, cg.assignment_epoch),
            None => format!("generation {}", grp.generation.0),
        };
        let coord = grp
            .coordinator(e)
            .map(|b| format!("coordinator: broker {b}"))
            .unwrap_or_else(|| "no coordinator".into());
        // The protocol the group chose (the first strategy every member
        // supports); before any member joined, none yet.
        let assignor = match (grp.consumer_group(), grp.protocol) {
            // The broker's (server-side) assignor; the tooltip says so.
            (Some(cg), _) => format!(
                "assignor: {}",
                cg.last_assignor.map_or("none yet", |k| k.name())
            ),
            (None, Some(k)) => format!("assignor: {}", k.name()),
            (None, None) => "assignor: none yet".to_string(),
        };
        // "cooperative-sticky" needs the whole width: the + button goes
        // on its own line below.
        let assignor = if assignor.len() > 24 {
            assignor.replacen("assignor: ", "", 1)
        } else {
            assignor
        };
        // Mini: the + button sits in the header, beside the group's name
        // (the foot, with the coordinator and assignor, is gone: the
        // tooltip has them).
        let mini = self.lay.mini_groups;
        // The state, whole if it fits (bold 12-unit glyphs, about 7.4 units
        // each), else without its shape, else shortened.
        let state_room = ((w - 20.0) / crate::stage_layout::BOLD_12_W)
            .floor()
            .max(6.0) as usize;
        let with_shape = format!("{shape} {state_name}");
        let state_label = if with_shape.chars().count() <= state_room {
            with_shape
        } else {
            ellipsize(state_name, state_room)
        };
        // Mini: the name (13-unit monospace, 7.8 units a glyph) beside the
        // + button; when it needs the button's room too, the button goes
        // down beside the state if that leaves the state whole (the audit
        // read "my-consumer…" in two-groups).
        let chars = |room: f64| (room / crate::stage_layout::MONO_13_W).floor().max(4.0) as usize;
        let id_len = grp.group_id.chars().count();
        let plus_down = mini
            && id_len > chars(w - 48.0)
            && id_len <= chars(w - 20.0)
            && state_label.chars().count() as f64 * 7.4 <= w - 54.0;
        let group_id = if mini && !plus_down {
            ellipsize(&grp.group_id, chars(w - 48.0))
        } else {
            grp.group_id.clone()
        };
        let add_y = if plus_down {
            y + 24.0
        } else if mini {
            y + 6.0
        } else {
            y + h - 26.0
        };
        let add = html! {
            <>
                { rect("", x + w - 34.0, add_y, 28.0, 22.0, "6") }
                { text("", x + w - 20.0, add_y + 17.0, MIDDLE, "+") }
                { title("Add a consumer") }
            </>
        };
        html! {
            <g class="group" key={format!("g{g}")}>
                { rect("group-box", x, y, w, h, "10") }
                { text("box-title group-id", x + 10.0, y + 19.0, None, group_id) }
                // (Bold 13-unit glyphs, about 8.4 units each: "◑ CompletingRe…"
                // in a narrow column; the tooltip names the state whole.)
                { text(badge, x + 10.0, y + 38.0, None, state_label) }
                if mini {
                } else if tight {
                    // Short, so it ends before the + button.
                    { text("box-sub coord", x + 10.0, y + h - 12.0, None, grp.coordinator(e).map(|b| format!("coordinator: B{b}")).unwrap_or_else(|| "no coordinator".into())) }
                } else {
                    { text("box-sub", x + 10.0, y + 56.0, None, generation.clone()) }
                    { text("box-sub coord", x + 10.0, y + h - 32.0, None, coord.clone()) }
                    { text("box-sub coord", x + 10.0, y + h - 12.0, None, assignor.clone()) }
                }
                { svg_button("add-consumer", format!("Add a consumer to {}", grp.group_id), format!("add-{g}"), on,
                    Msg::Apply(crate::engine::Command::AddConsumer { group: g }), add) }
                { title(match grp.consumer_group() {
                    Some(cg) => format!("{state_name} (consumer protocol, KIP-848); {coord}; server-side {assignor}; group epoch {}, target assignment epoch {}", cg.group_epoch, cg.assignment_epoch),
                    None => format!("{state_name}; {coord}; {assignor}; {generation}"),
                }) }
            </g>
        }
    }

    /// One consumer: a button that opens its action card.
    #[inline(never)]
    fn consumer(&self, &(c, r): &(ConsumerIdx, Rect)) -> Html {
        let (bx, y, w, h) = (r.x, r.y, r.w, r.h);
        let (m, e, on) = (self.m, self.e, self.on);
        let con = &e.consumers()[c.0 as usize];
        // Past max.poll.interval.ms the heartbeat thread left the group, but
        // the application is still inside process_event(): busy, not rejoining.
        let left_busy = con.alive
            && con.poll_expired
            && con.app == crate::engine::consumer::AppState::Processing;
        let rebalancing = con.alive
            && !left_busy
            && con.membership != crate::engine::consumer::Membership::Stable;
        let polled_now = m
            .events
            .iter()
            .any(|ev| matches!(&ev.kind, EventKind::Polled { consumer, .. } if *consumer == c));
        let processed_now = m
            .events
            .iter()
            .any(|ev| matches!(&ev.kind, EventKind::Processed { consumer, .. } if *consumer == c));
        let raised_now = m.events.iter().any(
            |ev| matches!(&ev.kind, EventKind::ProcessingRaised { consumer, .. } if *consumer == c),
        );
        let status = if !con.alive {
            if con.member_id.is_some()
                && e.groups()[con.group.0 as usize]
                    .members
                    .values()
                    .any(|m| m.meta.consumer == c)
            {
                "crashed (in group)"
            } else {
                "down"
            }
        } else if left_busy {
            "busy, left group"
        } else if let Some(st) = modern_member_state(e, c) {
            st
        } else if rebalancing && outside_the_group(e, c) {
            "not in the group"
        } else if rebalancing {
            "rebalancing…"
        } else if con.assignment.is_empty() {
            // (The partition line says "no partitions".)
            "idle"
        } else if polled_now {
            // What this step's narration says it did, not what it does
            // next: the status keeps pace with the narration.
            "poll() returned"
        } else if raised_now {
            // The course's `except` branch: printed, and on to the next record.
            "exception caught"
        } else if processed_now {
            "processed"
        } else {
            match con.app {
                crate::engine::consumer::AppState::Processing => "processing",
                crate::engine::consumer::AppState::Committing { .. } => "committing",
                _ => "polling",
            }
        };
        // `P0@5`: partition 0, position 5. With partitions of two topics,
        // `topic1-0@5`, or the two P0s could not be told apart.
        let topics = multi_topic(&con.assignment);
        let parts: Vec<String> = con
            .assignment
            .iter()
            .map(|tp| {
                let name = partition_name(e, *tp, topics);
                match con.positions.get(tp) {
                    Some(p) => format!("{name}@{}", p.0),
                    None => name,
                }
            })
            .collect();
        // Two topics' positions ("topic1-0@4 topic2-0@4") two a line where
        // the box holds them whole, else one (12.5-unit mono glyphs are
        // about 7.6 units wide).
        let per_line = if !topics {
            3
        } else if parts.chunks(2).all(|c| {
            (c.iter().map(|p| p.chars().count() + 1).sum::<usize>() as f64) * 7.6 <= w - 8.0
        }) {
            2
        } else {
            1
        };
        let line_count = if self.lay.tight_groups { 1 } else { 2 };
        let shown = per_line * line_count;
        let lines: Vec<String> = parts
            .chunks(per_line)
            .take(line_count)
            .map(|chunk| chunk.join(" "))
            .collect();
        let x = bx + 8.0;
        // Status and partition lines end inside the box (12.5-unit mono
        // glyphs are about 7.6 units wide); the accessible name has them whole.
        let fit = |t: &str, room: f64| {
            ellipsize(
                t,
                ((room / crate::stage_layout::MONO_12_5_W).floor() as usize).max(4),
            )
        };
        let status_full = status;
        let lines: Vec<String> = lines.iter().map(|l| fit(l, w - 16.0)).collect();
        // Everything the box shows, as (class, x, y, end-anchored, text):
        // one <text> of <tspan>s with spaces between them, so the text a
        // screen reader or axe reads is the same words, in the same order,
        // as the accessible name (WCAG 2.5.3).
        // Mini (a short box with many consumers): "A · polling" on one
        // line, its partitions on the next.
        let mini = self.lay.mini_groups;
        // Tight boxes (52 units) set their three lines closer, so the last
        // one clears the border; so does a box with a member epoch line.
        let tight = self.lay.tight_groups && !mini;
        let snug = tight || modern_member_epoch(e, c).is_some();
        let (title_dy, status_dy) = if snug { (17.0, 32.0) } else { (19.0, 35.0) };
        let lines_y = if mini {
            y + 31.0
        } else if snug {
            y + 46.0
        } else {
            y + 50.0
        };
        let mut shown_text: Vec<(&'static str, f64, f64, bool, String)> = if mini {
            let short = status.split(" (").next().unwrap_or(status);
            let status_x = con.label.chars().count() as f64 * crate::stage_layout::TITLE_W + 6.0;
            vec![
                ("box-title", x, y + 16.0, false, con.label.clone()),
                (
                    "box-sub status",
                    x + status_x,
                    y + 16.0,
                    false,
                    // (Clear of the record parked at the top right, when
                    // it holds one: "A · rebalanc…" on a phone had room.)
                    fit(
                        &format!("· {short}"),
                        w - if con.current.is_empty() { 8.0 } else { 56.0 } - status_x,
                    ),
                ),
            ]
        } else {
            vec![
                (
                    "box-title",
                    x,
                    y + title_dy,
                    false,
                    crate::narration::consumer_title(
                        &con.label,
                        ((w - 16.0) / crate::stage_layout::TITLE_W) as usize,
                    ),
                ),
                (
                    "box-sub status",
                    x,
                    y + status_dy,
                    false,
                    fit(status, w - 16.0),
                ),
            ]
        };
        let line_count = lines.len();
        for (k, line) in lines.into_iter().enumerate() {
            shown_text.push(("box-sub", x, lines_y + k as f64 * 14.0, false, line));
        }
        // "+2": partitions the lines could not hold, at the end of the last
        // line (clear of the record parked at the top right).
        if parts.len() > shown {
            let last_y = lines_y + (line_count.max(1) - 1) as f64 * 14.0;
            shown_text.push((
                "box-sub",
                bx + w - 6.0,
                last_y,
                true,
                format!("+{}", parts.len() - shown),
            ));
        }
        if parts.is_empty() && con.alive {
            shown_text.push(("box-sub", x, lines_y, false, "no partitions".into()));
        }
        // A consumer-protocol member's epoch, on the line under its
        // partitions when they take one line (the group box has the group
        // and target epochs): "member epoch 2" while it catches up.
        if let Some(n) =
            modern_member_epoch(e, c).filter(|_| !mini && !tight && parts.len() <= per_line)
        {
            shown_text.push((
                "box-sub",
                x,
                lines_y + 14.0,
                false,
                fit(&format!("member epoch {n}"), w - 16.0),
            ));
        }
        let visible = shown_text
            .iter()
            .map(|t| t.4.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let selected = m.selected_consumer == Some(c);
        let msg = Msg::SelectConsumer(if selected { None } else { Some(c) });
        // Holding the record in focus (polled, being processed): on a phone
        // the stage scrolls to this box.
        let holds_focus = m
            .focus
            .is_some_and(|f| con.current.iter().any(|(_, r, _)| *r == f));
        html! {
            <g class={classes!("consumer", (!con.alive).then_some("down"), con.assignment.is_empty().then_some("idle"),
                               rebalancing.then_some("rebalancing"), raised_now.then_some("raised"), selected.then_some("selected"), holds_focus.then_some("holds-focus"))}
               key={format!("c{c}")} tabindex="0" role="button"
               aria-label={format!("{visible}. Status: {status_full}; partitions: {}. Press Enter for actions (crash, leave, slow down). Member id {}, client.id {}; P<n>@<offset> is the position: the next offset it will read.", if parts.is_empty() { "none".to_string() } else { parts.join(" ") }, con.member_id.clone().unwrap_or_else(|| "none yet".into()), con.client_id)} data-fk={format!("consumer-{c}")}
               aria-pressed={selected.to_string()} onclick={send::<MouseEvent>(on, msg.clone())} onkeydown={on_enter(on, msg)}>
                { rect("consumer-box", bx, y, w, h, "8") }
                <text>
                    { for shown_text.into_iter().enumerate().map(|(i, (class, tx, ty, end, body))| html! {
                        <>
                            if i > 0 { {" "} }
                            <tspan class={class} x={px(tx)} y={px(ty)} text-anchor={end.then_some("end")}>{body}</tspan>
                        </>
                    }) }
                </text>
                if !con.alive {
                    { line("cross", bx + 2.0, y + 2.0, bx + w - 2.0, y + h - 2.0) }
                }
                            </g>
        }
    }

    /// Where a consumer's record lands and waits: the slot at the top right
    /// of its box, beside its title; on the box's right edge when the
    /// title needs that room (the audit read "…0000" over "Consumer A" in
    /// a narrow box). Bold 15-unit title glyphs are about 10.5 units wide.
    /// (`true`: on the edge, where nothing is to its right.)
    fn parked_at(&self, c: ConsumerIdx) -> (Pt, bool) {
        let (e, lay) = (self.e, &self.lay);
        let to = lay.consumer_port(c);
        // The title as its box draws it ("Consumer A"; a live client's id).
        let title =
            crate::narration::consumer_title(&e.consumers()[c.0 as usize].label, usize::MAX)
                .chars()
                .count();
        match lay.consumer(c) {
            Some(r)
                if !lay.mini_groups
                    && title as f64 * crate::stage_layout::TITLE_WIDE_W + 72.0 > r.w =>
            {
                (
                    Pt {
                        x: r.right().min(lay.w - 28.0),
                        ..to
                    },
                    true,
                )
            }
            _ => (to, false),
        }
    }

    /// The record a consumer is processing, sitting on it.
    #[inline(never)]
    fn at_consumer(&self, c: &crate::engine::consumer::Consumer) -> Option<Html> {
        let (m, e) = (self.m, self.e);
        let (_, r, _) = c.current.front()?;
        let (to, edge) = self.parked_at(c.idx);
        let polled_now = m
            .events
            .iter()
            .any(|ev| matches!(&ev.kind, EventKind::Polled { consumer, .. } if *consumer == c.idx));
        if polled_now {
            return None;
        }
        let times = e.ledger().times_processed(e.record(*r).event_id, c.group);
        Some(translated(
            format!("cur{}", c.idx),
            to.x,
            to.y,
            html! {
                <>
                    if times >= 1 {
                        // The copy underneath: a shape, no text to read twice.
                        <g class={classes!("dup-shadow", "token", color_class(*r))} transform="translate(4 -4)" aria-hidden="true">
                            { rect("", -24.0, -11.0, 48.0, 22.0, "11") }
                        </g>
                    }
                    { sized_token(e, *r, m.focus == Some(*r), (c.app == crate::engine::consumer::AppState::Processing).then_some("processing"), 5) }
                    if times >= 1 {
                        // (Left of it on the box's edge: the stage ends on its right.)
                        { text("dup-tag", if edge { -28.0 } else { 28.0 }, -8.0, if edge { END } else { None }, format!("×{}", times + 1)) }
                    }
                </>
            },
        ))
    }

    /// What moves this step: tokens, acks, fetches, errors and commits in
    /// flight, and the records a truncation wipes out.
    #[inline(never)]
    /// Chips for the partitions a consumer gives up (`leaving`: "−P0", from
    /// its partition line to the gap beside the group) or gains ("+P0",
    /// across: from the group's top corner down the gap, docking at the
    /// consumer's left edge so its own text stays readable; down: from above
    /// the group into the box).
    fn moving_partitions(
        &self,
        group: GroupIdx,
        consumer: ConsumerIdx,
        tps: &[crate::engine::assignor::TopicPartition],
        leaving: bool,
        key: String,
        dur_ms: u32,
    ) -> Vec<Html> {
        let lay = &self.lay;
        let (Some(c), Some(g)) = (lay.consumer(consumer), lay.group(group)) else {
            return Vec::new();
        };
        tps.iter()
            .enumerate()
            .take(6)
            .map(|(k, tp)| {
                let inline = Pt {
                    x: c.x + 30.0 + 44.0 * (k % 3) as f64,
                    y: c.y + c.h - 12.0,
                };
                let gap = release_point(lay, g, c, k);
                let (from, to, class, sign) = match (leaving, lay.flow) {
                    (true, _) => (inline, gap, "part-token revoked", '−'),
                    (false, crate::stage_layout::Flow::Across) => (
                        Pt {
                            x: g.x - 14.0,
                            y: g.y + 14.0 + 22.0 * k as f64,
                        },
                        gap,
                        "part-token added",
                        '+',
                    ),
                    (false, crate::stage_layout::Flow::Down) => {
                        (gap, inline, "part-token added", '+')
                    }
                };
                let inner = pill(
                    class.into(),
                    46.0,
                    20.0,
                    "4",
                    format!("{sign}{}", self.moved_partition(tp)),
                );
                traveller(format!("{key}-{k}"), from, to, dur_ms, false, inner)
            })
            .collect()
    }

    /// A partition a rebalance moves, named as the consumer boxes name it.
    fn moved_partition(&self, tp: &crate::engine::assignor::TopicPartition) -> String {
        let user_topics = self.e.topics().iter().filter(|t| !t.internal).count();
        if user_topics > 1 {
            fit_label(&tp.topic, &tp.partition, 10)
        } else {
            format!("P{}", tp.partition)
        }
    }

    fn movers(&self) -> Vec<Html> {
        let (m, e, lay) = (self.m, self.e, &self.lay);
        let step = m.step;
        let dur = |latency_ms: u64| -> u32 {
            let base = (250 + latency_ms * 120).min(1100) as u32;
            if m.playing {
                base.min(m.tick_ms() * 9 / 10)
            } else {
                base
            }
        };
        let mut movers: Vec<Html> = Vec::new();
        // The same protocol message between the same two parties is drawn
        // once per step (a step of background work may hold hundreds of
        // heartbeats), and a step draws at most MAX_MOVERS things in flight:
        // the DOM stays bounded whatever the engine did in one step.
        let mut drawn: Vec<(Node, Node, MsgKind)> = Vec::new();
        let mut ends: Vec<(Pt, Pt)> = Vec::new();
        for (i, ev) in m.events.iter().enumerate() {
            if movers.len() >= MAX_MOVERS {
                break;
            }
            if let EventKind::Message { from, to, kind, .. } = &ev.kind {
                if protocol_message(*kind) {
                    if drawn.contains(&(*from, *to, *kind)) {
                        continue;
                    }
                    drawn.push((*from, *to, *kind));
                }
            }
            let latency = |arrive: u64| arrive.saturating_sub(ev.time_ms);
            // (from, to, travel time, what travels)
            let moved: Option<(Pt, Pt, u32, Html)> = match &ev.kind {
                EventKind::Sent {
                    producer,
                    tp,
                    records,
                    arrive_ms,
                    ..
                } => lay.leader_row(e, *tp).map(|row| {
                    let r = records[0];
                    let leo = e.brokers()[row.broker.0 as usize]
                        .replica(*tp)
                        .map(|x| x.log.leo().0)
                        .unwrap_or(0);
                    let to = if row.cell_x(leo).is_some() {
                        row.cell_center(leo)
                    } else {
                        row.entry()
                    };
                    let inner = batch_token(e, r, m.focus == Some(r), records.len());
                    (
                        lay.producer_port(*producer),
                        to,
                        dur(latency(*arrive_ms)),
                        inner,
                    )
                }),
                EventKind::Acked {
                    producer,
                    tp,
                    first,
                    acks_zero,
                    ..
                } if !acks_zero => lay.leader_row(e, *tp).map(|row| {
                    let from = first.map(|o| row.cell_center(o.0)).unwrap_or(row.entry());
                    let inner = pill("ack".into(), 40.0, 20.0, "4", "ack ✓".into());
                    (from, lay.producer_port(*producer), dur(2), inner)
                }),
                EventKind::Polled {
                    consumer,
                    tp,
                    records,
                    ..
                } => lay.leader_row(e, *tp).map(|row| {
                    let (r, off) = records[0];
                    let inner = batch_token(e, r, m.focus == Some(r), records.len());
                    (
                        row.cell_center(off.0),
                        self.parked_at(*consumer).0,
                        dur(2),
                        inner,
                    )
                }),
                EventKind::Replicated {
                    broker,
                    tp,
                    first,
                    count,
                    ..
                } => match (
                    lay.leader_row(e, *tp),
                    lay.replica_point(e, *broker, *tp, first.0),
                ) {
                    (Some(from_row), Some(to)) => {
                        let inner =
                            pill("fetch-token".into(), 44.0, 20.0, "10", format!("+{count}"));
                        Some((from_row.cell_center(first.0), to, dur(2), inner))
                    }
                    _ => None,
                },
                EventKind::Truncated {
                    broker,
                    tp,
                    removed,
                    ..
                } => {
                    if let Some(row) = lay.row(*broker, *tp) {
                        for (k, (off, r, _)) in removed.iter().enumerate().take(6) {
                            let x = row.x0
                                + ((off.0 - row.start).max(0) as f64 + 0.5)
                                    .min(row.slots as f64 - 0.5)
                                    * row.cell_w;
                            let y = row.y + row.h / 2.0;
                            let label = r
                                .map(|r| token_label(e, r, TOKEN_CHARS))
                                .unwrap_or_else(|| "ctl".into());
                            let cls = r.map(color_class).unwrap_or_default();
                            let hw = (crate::stage_layout::text_width(label.chars().count(), 11.0)
                                + 12.0)
                                .max(40.0)
                                / 2.0;
                            movers.push(html! {
                                <g key={format!("v{step}-{i}-{k}")} class={classes!("vanished", cls)} transform={format!("translate({} {})", px(x), px(y))}>
                                    { rect("", -hw, -12.0, 2.0 * hw, 24.0, "4") }
                                    { text("", 0.0, 4.0, MIDDLE, label) }
                                    { line("", -hw - 2.0, -13.0, hw + 2.0, 13.0) }
                                    { line("", hw + 2.0, -13.0, -hw - 2.0, 13.0) }
                                    <text class="lost-label" x="0" y="-16" text-anchor="middle">{"lost"}</text>
                                </g>
                            });
                        }
                    }
                    None
                }
                EventKind::Message {
                    from: crate::engine::event::Node::Broker(b),
                    to: crate::engine::event::Node::Producer(p),
                    error: Some(err),
                    arrive_ms,
                    ..
                } => lay.broker(*b).map(|Rect { x, y, .. }| {
                    let inner = pill(
                        "error-token".into(),
                        112.0,
                        20.0,
                        "4",
                        format!("✕ {}", short_error(err.name())),
                    );
                    (
                        Pt {
                            x: x + 20.0,
                            y: y + 14.0,
                        },
                        lay.producer_port(*p),
                        dur(latency(*arrive_ms)),
                        inner,
                    )
                }),
                EventKind::Committed {
                    group,
                    consumer,
                    offset,
                    ..
                } => {
                    let grp = &e.groups()[group.0 as usize];
                    lay.leader_row(e, grp.offsets_tp).map(|row| {
                        let from = consumer.map(|c| lay.consumer_port(c)).unwrap_or(Pt {
                            x: lay.w - 60.0,
                            y: 40.0,
                        });
                        let inner = pill(
                            "commit-token".into(),
                            60.0,
                            20.0,
                            "4",
                            format!("commit {}", offset.0),
                        );
                        (from, row.entry(), dur(2), inner)
                    })
                }
                // The group and transaction protocols (JoinGroup, SyncGroup,
                // Heartbeat, InitProducerId, EndTxn, …) travel as labelled
                // pills; produce, fetch and commit traffic is drawn above
                // by the events it causes.
                EventKind::Message {
                    from,
                    to,
                    kind,
                    error,
                    arrive_ms,
                } if protocol_message(*kind) => {
                    match (node_point(lay, *from), node_point(lay, *to)) {
                        (Some(a), Some(b)) => {
                            // MEMBER_ID_REQUIRED is the normal first round of
                            // a join (KIP-394), not a failure.
                            let member_id_round = *error == Some(ErrorCode::MemberIdRequired);
                            let error = error.filter(|_| !member_id_round);
                            // Whole error names: they are what the
                            // narration and Kafka's logs say.
                            let label = match error {
                                Some(err) => format!("✕ {}", err.name()),
                                None if member_id_round => "member id ↩".to_string(),
                                None => message_label(*kind).to_string(),
                            };
                            let w = 16.0 + 6.4 * label.chars().count() as f64;
                            // At a consumer it rests on the top edge of the
                            // box, right-aligned: the consumer's name, which
                            // the narration names, stays readable.
                            let rest = |n: Node, p: Pt| match n {
                                Node::Consumer(c) => lay.consumer(c).map_or(p, |r| Pt {
                                    x: r.right() - w / 2.0 - 6.0,
                                    y: r.y,
                                }),
                                _ => p,
                            };
                            let (a, b) = (rest(*from, a), rest(*to, b));
                            // Between a broker and a consumer it leaves the
                            // broker's right edge level with that top edge,
                            // so it runs along the box, not across the
                            // group's name, state and generation above it
                            // (the audit read "committed ↩" over
                            // "generation 1").
                            let level = |n: Node, p: Pt, other: Pt| match (n, from, to) {
                                (Node::Broker(k), Node::Consumer(_), _)
                                | (Node::Broker(k), _, Node::Consumer(_)) => {
                                    lay.broker_side_port(k, other.y).unwrap_or(p)
                                }
                                _ => p,
                            };
                            let (a, b) = (level(*from, a, b), level(*to, b, a));
                            // Ends inside the stage (a consumer's corner
                            // is near its right edge).
                            let b = Pt {
                                x: b.x.min(lay.w - w / 2.0 - 2.0).max(w / 2.0 + 2.0),
                                ..b
                            };
                            let inner = if error.is_some() {
                                pill("error-token".into(), w, 18.0, "9", label)
                            } else if m.playing {
                                // While playing, the group and transaction
                                // protocols travel as dots (their names are
                                // in the narration and the event log): a run
                                // of labels would pile onto the boxes.
                                // Stepping by hand shows each one's name.
                                html! {
                                    <g class="proto-token dot">
                                        <circle cx="0" cy="0" r="6" />
                                        { title(label) }
                                    </g>
                                }
                            } else {
                                pill("proto-token".into(), w, 18.0, "9", label)
                            };
                            Some((a, b, dur(latency(*arrive_ms)), inner))
                        }
                        _ => None,
                    }
                }
                // A rebalance moves partitions: each one a consumer gives up
                // leaves its box, each one it gains arrives (see
                // `moving_partitions`). Eager revokes everything from
                // everyone; cooperative only what moves.
                EventKind::Revoked {
                    group,
                    consumer,
                    partitions,
                    ..
                } => {
                    movers.extend(self.moving_partitions(
                        *group,
                        *consumer,
                        partitions,
                        true,
                        format!("rv{step}-{i}"),
                        dur(3),
                    ));
                    None
                }
                EventKind::Assigned {
                    group,
                    consumer,
                    added,
                    ..
                } => {
                    movers.extend(self.moving_partitions(
                        *group,
                        *consumer,
                        added,
                        false,
                        format!("as{step}-{i}"),
                        dur(3),
                    ));
                    None
                }
                // A leader election: the leadership badge moves from the
                // old leader's replica to the new one's.
                EventKind::LeaderElected {
                    tp,
                    leader: Some(new),
                    previous: Some(old),
                    ..
                } if old != new => {
                    let badge = |b: BrokerId| -> Option<Pt> {
                        lay.row(b, *tp)
                            .map(|row| Pt {
                                x: row.label_x + 5.0,
                                y: row.y + row.h / 2.0,
                            })
                            .or_else(|| {
                                lay.broker(b).map(|r| Pt {
                                    x: r.x + 24.0,
                                    y: r.y + 14.0,
                                })
                            })
                    };
                    // A partition drawn on neither broker (one of the
                    // offsets topic's hidden fifty) moves no badge: it
                    // would only sit on the brokers' names.
                    let drawn = lay.row(*old, *tp).or(lay.row(*new, *tp)).is_some();
                    match (badge(*old), badge(*new)) {
                        (Some(a), Some(b)) if drawn => {
                            // The badge alone (the narration says which
                            // broker leads now): a label would cover the
                            // partition's name where it lands.
                            let inner = html! {
                                <g class="leader-badge-move">
                                    <circle class="halo" cx="0" cy="0" r="11" />
                                    <circle cx="0" cy="0" r="6" />
                                    { title(format!("Leadership of {} moves from broker {old} to broker {new}", crate::narration::tp_label(e, *tp))) }
                                </g>
                            };
                            Some((a, b, dur(4), inner))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((mut from, mut to, dur_ms, inner)) = moved {
                // Records, acks, errors, fetches, commits and the leader's
                // badge draw their path; the group protocol's many small
                // messages do not (their lines would cross every consumer).
                let protocol =
                    matches!(&ev.kind, EventKind::Message { kind, .. } if protocol_message(*kind));
                let trail = !matches!(&ev.kind, EventKind::Message { kind, error: None, .. } if protocol_message(*kind));
                // Protocol pills that leave from or arrive at the same point
                // in one step (two members' heartbeats at the coordinator)
                // stack instead of covering each other.
                if protocol {
                    let (f, t) = (from, to);
                    from.y += PILL_STACK * ends.iter().filter(|e| e.0 == f).count() as f64;
                    to.y += PILL_STACK * ends.iter().filter(|e| e.1 == t).count() as f64;
                    ends.push((f, t));
                }
                movers.push(traveller(
                    format!("m{step}-{i}"),
                    from,
                    to,
                    dur_ms,
                    trail,
                    inner,
                ));
            }
        }
        movers
    }
}

/// Where a partition goes when a consumer gives it up, and comes from when
/// one receives it: just outside the group's box, beside the consumer (the
/// gap towards the brokers), where no label is, so the group's state and
/// the consumers' names stay readable while partitions move.
fn release_point(lay: &Layout, g: Rect, c: Rect, k: usize) -> Pt {
    match lay.flow {
        crate::stage_layout::Flow::Across => Pt {
            x: g.x - 14.0,
            y: c.y + 12.0 + 22.0 * k as f64,
        },
        crate::stage_layout::Flow::Down => Pt {
            x: c.x + 30.0 + 50.0 * k as f64,
            y: g.y - 10.0,
        },
    }
}

/// The producer's mean ack latency (`what`: "ack", or "sent" with acks=0),
/// short enough for its box.
fn ack_label(what: &str, ms: u64) -> String {
    if ms >= 1000 {
        // Tenths without the float formatter (it costs the bundle kilobytes).
        let t = (ms + 50) / 100;
        format!("{what} ≈{}.{} s", t / 10, t % 10)
    } else {
        format!("{what} ≈{ms} ms")
    }
}

/// Whether `tps` spans more than one topic.
fn multi_topic(tps: &[Tp]) -> bool {
    tps.windows(2).any(|w| w[0].topic != w[1].topic)
}

/// A partition as the consumer boxes and commit cells name it: `P0`, or
/// `topic1-0` when partitions of several topics could be confused.
fn partition_name(e: &Engine, tp: Tp, with_topic: bool) -> String {
    if with_topic {
        fit_label(&e.topic(tp.topic).name, &tp.partition, 10)
    } else {
        format!("P{}", tp.partition)
    }
}

/// A partition in a `__consumer_offsets` cell, where room is short: `P0`,
/// or with several topics the topic's initials, `ep0` for
/// `events-processed-0` (the cell's tooltip names it in full).
fn commit_partition(e: &Engine, tp: Tp, with_topic: bool) -> String {
    if !with_topic {
        return format!("P{}", tp.partition);
    }
    let name = &e.topic(tp.topic).name;
    let initials: String = name
        .split(['-', '_', '.'])
        .filter_map(|part| {
            let first = part.chars().next()?;
            let digits: String = part.chars().filter(|c| c.is_ascii_digit()).collect();
            Some(format!("{first}{digits}"))
        })
        .collect();
    format!("{initials}-{}", tp.partition)
}

/// An SVG coordinate rounded to 0.1 px (SVG needs no more), formatted
/// without the float formatter (which costs ~5 KB of the gzipped bundle).
pub fn px(x: f64) -> String {
    let mut s = String::new();
    push_px(&mut s, x);
    s
}

/// Appends [`px`]`(x)` to `s` (the plots build path data this way).
#[inline(never)]
pub fn push_px(s: &mut String, x: f64) {
    let t = (x * 10.0).round() as i64;
    if t < 0 {
        s.push('-');
    }
    let t = t.unsigned_abs();
    s.push_str(&(t / 10).to_string());
    if t % 10 != 0 {
        s.push('.');
        s.push((b'0' + (t % 10) as u8) as char);
    }
}

/// A consumer-protocol member that is not yet reconciled, as its card says it.
fn modern_member_state(e: &Engine, c: ConsumerIdx) -> Option<&'static str> {
    use crate::engine::consumer_group::MemberState;
    let con = &e.consumers()[c.0 as usize];
    let cg = e.groups()[con.group.0 as usize].consumer_group()?;
    if !con.alive || !con.on_consumer_protocol() {
        return None;
    }
    let Some(m) = con.member_id.as_deref().and_then(|id| cg.member(id)) else {
        return Some("joining…");
    };
    match m.state {
        // Kafka's state names (`MemberState.UNREVOKED_PARTITIONS`, …), the
        // words the narration uses, by their first word: whole beside the
        // record a busy member holds at its box's top right.
        MemberState::UnrevokedPartitions => Some("unrevoked"),
        MemberState::UnreleasedPartitions => Some("unreleased"),
        MemberState::Stable => None,
    }
}

/// A consumer-protocol member's epoch, which the card shows beside its
/// status (the group box shows the group and target epochs).
fn modern_member_epoch(e: &Engine, c: ConsumerIdx) -> Option<i32> {
    let con = &e.consumers()[c.0 as usize];
    let cg = e.groups()[con.group.0 as usize].consumer_group()?;
    if !con.alive || !con.on_consumer_protocol() {
        return None;
    }
    con.member_id
        .as_deref()
        .and_then(|id| cg.member(id))
        .map(|m| m.member_epoch)
}

/// `topic-partition` in at most `max_chars` characters. Topics often share
/// a prefix (events, events-processed): a cut name keeps a little of the
/// head and more of the tail, so "ev…ssed-0" is not "events-0".
#[inline(never)]
fn fit_label(topic: &str, partition: &dyn std::fmt::Display, max_chars: usize) -> String {
    let suffix = format!("-{partition}");
    let room = max_chars.saturating_sub(suffix.len()).max(3);
    format!(
        "{}{suffix}",
        ellipsize_mid(topic, room, ((room - 1) / 3).max(1))
    )
}
