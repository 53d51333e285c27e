//! Where everything on the stage goes: laid out from the scenario (how many
//! producers, brokers, replicas, groups and consumers) *and* the size of the
//! box the page gives the stage, never from fixed coordinates.
//!
//! The stage is drawn in logical units whose text sizes are fixed (the
//! smallest label is [`MIN_FONT`] units). The layout picks a **scale** —
//! CSS pixels per unit — as large as the box allows up to what reads well
//! from the back of a room, then arranges the cluster to fill the box at
//! that scale: the SVG's `viewBox` is the box divided by the scale, so one
//! unit is exactly `scale` CSS px and a label of 11 units is `11 × scale` px
//! on screen. If nothing fits, it tries a more compact arrangement before a
//! smaller scale, and never goes below scale 1 (11 px text).
//!
//! Arrangements, tried in order:
//! 1. producers left, brokers stacked in one column, groups right;
//! 2. the same with brokers in two columns, then more, side by side;
//! 3. followers drawn as compact rows (cells without text: the leader's
//!    row carries the keys, a follower's shows how far it has copied);
//! 4. on a narrow box (a phone, a narrow iframe): producers on top,
//!    brokers in the middle, groups at the bottom.
//!
//! Pure: natively tested (`tests/stage_layout.rs` checks every preset at
//! every viewport for fit and for label boxes that do not overlap).

use crate::engine::ids::*;
use crate::engine::sim::Engine;

/// The smallest font on the stage, in units (CSS `svg.stage` text sizes
/// are never below it).
pub const MIN_FONT: f64 = 11.0;
/// Average advance of a character at `font` units (sans-serif, bold-ish);
/// monospace is 0.6. Used to keep labels inside their boxes.
pub fn text_width(chars: usize, font: f64) -> f64 {
    chars as f64 * font * 0.62
}

/// Glyph advances (units a character) of the stage's fonts, for fitting a
/// label to its box in one place rather than as bare numbers beside each
/// label. 12-unit sans: a token's key ([`text_width`] at 12).
pub const SANS_12_W: f64 = 12.0 * 0.62;
/// 12-unit bold sans: a group's state, on average…
pub const BOLD_12_W: f64 = 7.4;
/// …and at its wide end (lower case: a producer's client id as its title).
pub const BOLD_12_WIDE_W: f64 = 8.0;
/// 12.5-unit monospace (`.box-sub`): a consumer's status and partitions.
pub const MONO_12_5_W: f64 = 7.6;
/// 13-unit monospace (`.group-id`): a group's name.
pub const MONO_13_W: f64 = 7.8;
/// 15-unit bold (`.box-title`): a consumer's title, on average…
pub const TITLE_W: f64 = 9.5;
/// …and at its wide end ("Consumer M"), where a wrong guess covers it.
pub const TITLE_WIDE_W: f64 = 10.5;

const PAD: f64 = 8.0;
/// Horizontal room between the columns (wires and travelling tokens).
const GAP: f64 = 18.0;
const BROKER_GAP: f64 = 10.0;
const BROKER_HEADER: f64 = 30.0;
/// Above a row's cells: room for the HW and LSO marker lines' ends (their
/// labels are in the row's label column, under the partition name).
const BAND_TOP: f64 = 5.0;
/// Below a full row's cells: the consumers' position carets and labels.
const BAND_BOTTOM: f64 = 15.0;
/// A full row's cells hold two lines of 11-unit text (offset, key): two
/// line boxes of 11 × 1.17 units, plus air.
const CELL_H: f64 = 30.0;
/// The same, tight (a short box): the two line boxes just fit.
const TIGHT_CELL_H: f64 = 28.0;
/// A compact (follower) row: cells without text.
const COMPACT_CELL_H: f64 = 14.0;
const CAPTION_H: f64 = 18.0;
const CELL_W_MAX: f64 = 58.0;
const CELL_W_MIN: f64 = 44.0;
/// At least this many offsets visible in every log.
const MIN_SLOTS: usize = 3;
/// A row of at most this many slots shows a log that fills it whole rather
/// than keep a slot for the LEO.
pub const SHORT_ROW_SLOTS: usize = 4;
/// A row label's character (13-unit monospace), and the room around the
/// label: the replica's dot before it, air before the cells.
const LABEL_CHAR_W: f64 = 13.0 * 0.6;
const LABEL_PAD: f64 = 20.0;
/// Keys up to this many characters show whole where the room allows
/// (`payment-42`, the course's idempotence example, has ten).
pub const KEY_CHARS: usize = 10;
/// The average advance of a key's character in a cell (11-unit bold).
pub const KEY_CHAR_W: f64 = MIN_FONT * 0.62;
/// Widening cells for long keys keeps at least this many offsets in a log:
/// a whole key is no gain if the log it draws shrinks to two records.
const KEEP_SLOTS: usize = 5;
/// Offsets a row shows where its broker's width allows (cells narrow to
/// [`CELL_W_MIN`] for them), and growing the drawing keeps them: a lesson
/// reads a row of records from left to right, and larger text is no gain
/// if the row it draws shrinks to four of them beside an empty stage.
const WANT_SLOTS: usize = 8;
const CONSUMER_H: f64 = 68.0;
const GROUP_HEAD: f64 = 66.0;
const GROUP_FOOT: f64 = 50.0;
/// Tight groups (a short box): one line of partitions per consumer, no
/// generation or assignor line (both stay in the group's tooltip).
const TIGHT_CONSUMER_H: f64 = 52.0;
const TIGHT_GROUP_HEAD: f64 = 48.0;
const TIGHT_GROUP_FOOT: f64 = 38.0;
/// The last resort before the stage scrolls (many consumers in a short
/// box): a consumer is two lines ("A · polling", its partitions), and the
/// group's coordinator and assignor move into its tooltip.
const MINI_CONSUMER_H: f64 = 38.0;
const MINI_GROUP_FOOT: f64 = 6.0;
/// Four counter lines, then a tray for the records still in the producer
/// and room for an acknowledgement to park.
const PRODUCER_MIN_H: f64 = 150.0;
/// A tight producer: three counter lines (its client.id moves to its
/// tooltip), then the tray.
pub const TIGHT_PRODUCER_H: f64 = 114.0;
/// A lone producer above the brokers (a phone): three counter lines, and
/// its tray to their right, so the brokers get the height a tray under
/// the counters would take.
pub const WIDE_PRODUCER_H: f64 = 80.0;
/// ... once it is this wide: the counters, and beside them the tray.
pub const WIDE_PRODUCER_W: f64 = 300.0;

/// A point on the stage, in units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pt {
    pub x: f64,
    pub y: f64,
}

/// A box on the stage, in units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    pub fn centre(&self) -> Pt {
        Pt {
            x: self.x + self.w / 2.0,
            y: self.y + self.h / 2.0,
        }
    }
    /// Whether two boxes share any area (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() - 0.5
            && o.x < self.right() - 0.5
            && self.y < o.bottom() - 0.5
            && o.y < self.bottom() - 0.5
    }
}

/// One replica's log drawn as a row of offset cells.
#[derive(Clone, Debug)]
pub struct Row {
    pub tp: Tp,
    pub broker: BrokerId,
    /// Top of the cells.
    pub y: f64,
    /// Height of the cells.
    pub h: f64,
    /// Left edge of the row's label area.
    pub label_x: f64,
    /// Room for the label, in characters (longer names are ellipsized).
    pub label_chars: usize,
    /// Left edge of the first cell.
    pub x0: f64,
    pub cell_w: f64,
    pub slots: usize,
    /// First offset shown.
    pub start: i64,
    pub internal: bool,
    /// Cells without text (a follower in a crowded cluster).
    pub compact: bool,
    /// A big cluster draws only each partition's leader: its followers are
    /// chips at the end of the leader's row (broker and how far behind),
    /// with the chip's centre x.
    pub followers: Vec<(BrokerId, f64)>,
    /// Followers as dots rather than labelled chips.
    pub dots: bool,
    /// The chips' vertical centre: beside the cells, or on a line of their
    /// own under them when the column is narrow.
    pub chips_y: f64,
}

impl Row {
    pub fn cell_x(&self, offset: i64) -> Option<f64> {
        let i = offset - self.start;
        (i >= 0 && (i as usize) < self.slots).then(|| self.x0 + i as f64 * self.cell_w)
    }
    pub fn cell_center(&self, offset: i64) -> Pt {
        let i = (offset - self.start).clamp(0, self.slots as i64 - 1);
        Pt {
            x: self.x0 + i as f64 * self.cell_w + self.cell_w / 2.0,
            y: self.y + self.h / 2.0,
        }
    }
    pub fn entry(&self) -> Pt {
        Pt {
            x: self.x0 - 4.0,
            y: self.y + self.h / 2.0,
        }
    }
    pub fn right(&self) -> f64 {
        self.x0 + self.slots as f64 * self.cell_w
    }
}

/// Where the groups and producers sit relative to the brokers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Producers | brokers | groups, left to right.
    Across,
    /// Producers over brokers over groups (narrow boxes).
    Down,
}

#[derive(Clone, Debug)]
pub struct Layout {
    /// The logical size (the SVG's viewBox).
    pub w: f64,
    pub h: f64,
    /// CSS px per unit.
    pub scale: f64,
    pub flow: Flow,
    pub producers: Vec<(ProducerIdx, Rect)>,
    pub brokers: Vec<(BrokerId, Rect)>,
    pub rows: Vec<Row>,
    /// (broker, y, topic) of each caption over a run of a broker's rows:
    /// `__consumer_offsets` above the internal rows, and each topic's name
    /// when several topics' names do not fit beside their rows (the rows
    /// then say `P0`, as the internal ones do); with one topic, its name
    /// over each column's first broker.
    pub captions: Vec<(BrokerId, f64, TopicId)>,
    pub groups: Vec<(GroupIdx, Rect)>,
    pub consumers: Vec<(ConsumerIdx, Rect)>,
    /// The content is taller than the box even at scale 1 (the stage
    /// scrolls); false whenever the cluster fits.
    pub overflow: bool,
    /// Groups drawn tight (see `TIGHT_CONSUMER_H`).
    pub tight_groups: bool,
    /// Groups drawn smaller still (see `MINI_CONSUMER_H`).
    pub mini_groups: bool,
    /// How much detail the arrangement gave up (tight, compact followers,
    /// leaders only), so growing never trades detail for size.
    pub detail_lost: u8,
    /// Offsets a log row shows (the fewest of any row).
    pub slots: usize,
    /// Offsets a log row would show with no long key to widen its cells.
    pub room: usize,
    /// Texts drawn cut with an ellipsis: keys too long for their cell,
    /// partition names too long for their column (0, 1 or 2).
    pub cut: u8,
    /// A caption over each column of brokers names the one topic (its
    /// rows say `P0`); [`layout`] drops it before a worse arrangement.
    pub headed: bool,
}

impl Layout {
    /// A row shows its newest offsets; when `record` (the one the narration
    /// is about) is older, its row starts at it, so a short row still draws
    /// it (an 800x500 embed: all-1 retried behind one-1). The newest offsets
    /// give way until the focus moves on.
    #[inline(never)]
    pub fn start_rows_at(&mut self, e: &Engine, record: RecordId) {
        for row in &mut self.rows {
            let Some(log) = e.brokers()[row.broker.0 as usize]
                .replica(row.tp)
                .map(|r| &r.log)
            else {
                continue;
            };
            let from = (row.start - 64).max(log.log_start().0);
            if let Some(off) = (from..row.start)
                .find(|o| log.entry(Offset(*o)).and_then(|en| en.record) == Some(record))
            {
                row.start = off;
            }
        }
    }

    pub fn row(&self, broker: BrokerId, tp: Tp) -> Option<&Row> {
        self.rows.iter().find(|r| r.broker == broker && r.tp == tp)
    }
    pub fn leader_row(&self, e: &Engine, tp: Tp) -> Option<&Row> {
        let l = e.leader_of(tp)?;
        self.row(l, tp)
    }
    /// Where replica `broker` of `tp` is drawn: its row, or its chip in
    /// the leader's row (leaders-only mode), at the first offset `offset`.
    pub fn replica_point(&self, e: &Engine, broker: BrokerId, tp: Tp, offset: i64) -> Option<Pt> {
        if let Some(r) = self.row(broker, tp) {
            return Some(r.cell_center(offset));
        }
        let lr = self.leader_row(e, tp)?;
        let x = lr.followers.iter().find(|f| f.0 == broker)?.1;
        Some(Pt { x, y: lr.chips_y })
    }
    pub fn producer(&self, p: ProducerIdx) -> Option<Rect> {
        self.producers.iter().find(|x| x.0 == p).map(|x| x.1)
    }
    pub fn consumer(&self, c: ConsumerIdx) -> Option<Rect> {
        self.consumers.iter().find(|x| x.0 == c).map(|x| x.1)
    }
    pub fn broker(&self, b: BrokerId) -> Option<Rect> {
        self.brokers.iter().find(|x| x.0 == b).map(|x| x.1)
    }
    pub fn group(&self, g: GroupIdx) -> Option<Rect> {
        self.groups.iter().find(|x| x.0 == g).map(|x| x.1)
    }
    /// Where a producer's records leave it (its edge towards the brokers).
    /// Acknowledgements and errors park here too: the bottom-right corner,
    /// clear of the counters and of the records waiting in the tray.
    pub fn producer_port(&self, p: ProducerIdx) -> Pt {
        match self.producer(p) {
            Some(r) => Pt {
                x: r.right() - 4.0,
                y: r.bottom() - 16.0,
            },
            None => Pt { x: 60.0, y: 60.0 },
        }
    }
    /// Where a consumer's records and protocol messages arrive: the slot at
    /// the top right of its box, beside its title (never on its labels).
    pub fn consumer_port(&self, c: ConsumerIdx) -> Pt {
        match self.consumer(c) {
            Some(r) => Pt {
                x: r.right() - 26.0,
                y: r.y + 16.0,
            },
            None => Pt {
                x: self.w - 60.0,
                y: 60.0,
            },
        }
    }
    /// Where a message between a broker and a consumer at height `y`
    /// leaves or reaches the broker: its right edge, level with `y` as far
    /// as the box reaches (below its header).
    pub fn broker_side_port(&self, b: BrokerId, y: f64) -> Option<Pt> {
        self.broker(b).map(|r| Pt {
            x: r.right(),
            y: clamp(
                y,
                r.y + BROKER_HEADER,
                (r.bottom() - 10.0).max(r.y + BROKER_HEADER),
            ),
        })
    }
    /// Where a protocol message leaves or reaches a broker: the right end
    /// of its header, under the coordinator tag.
    pub fn broker_port(&self, b: BrokerId) -> Option<Pt> {
        self.broker(b).map(|r| Pt {
            x: r.right() - 40.0,
            y: r.y + BROKER_HEADER + 6.0,
        })
    }
}

/// What the layout draws, read from the engine once per [`layout`] (every
/// arrangement and scale it tries shares it).
struct Content {
    /// Each broker's user partitions and `__consumer_offsets` partitions.
    hosted: Vec<(Vec<Tp>, Vec<Tp>)>,
    /// The width (units) a row's label needs for the longest partition name.
    label_need: f64,
    /// The width a cell needs for the longest key of the newest records and
    /// of those the scenario will send (up to the [`KEY_CHARS`] characters a key
    /// shows whole).
    key_need: f64,
}

fn content(e: &Engine) -> Content {
    let label = e
        .topics()
        .iter()
        .filter(|t| !t.internal)
        .map(|t| t.name.chars().count() + 1 + (t.partitions.len().max(2) - 1).to_string().len())
        .max()
        .unwrap_or(0);
    // The newest records are the ones drawn; the keys the scenario will
    // send (its producers' key lists, its script's sends) count from the
    // start, so the cells do not widen, and the picture jump, as they arrive.
    let c = e.config();
    let planned = c
        .producers
        .iter()
        .filter(|p| p.workload.records > 0)
        .flat_map(|p| match &p.workload.keys {
            crate::engine::config::KeyMode::Cycle(keys) => keys.as_slice(),
            _ => &[],
        })
        .chain(c.script.iter().filter_map(|s| match &s.command {
            crate::engine::command::Command::Produce { key, .. } => key.as_ref(),
            _ => None,
        }))
        .map(|k| k.chars().count());
    let key = e
        .records()
        .iter()
        .rev()
        .take(64)
        .filter(|r| r.kind == crate::engine::record::RecordKind::Data)
        .map(|r| key_label(r).chars().count())
        .chain(planned)
        .fold(3, usize::max);
    Content {
        hosted: hosted(e),
        label_need: LABEL_PAD + label as f64 * LABEL_CHAR_W,
        key_need: 8.0 + key.min(KEY_CHARS) as f64 * KEY_CHAR_W,
    }
}

/// A record's label in its cell: its key, or `#event_id` for a null key.
pub fn key_label(r: &crate::engine::record::RecordData) -> String {
    r.key_text().unwrap_or_else(|| format!("#{}", r.event_id.0))
}

/// How many characters of a key fit a cell `cell_w` units wide: what
/// [`Content::key_need`] asks room for, and one more, narrowed to fit (the
/// cell's label has a `textLength`): "zero-1" whole in a 44-unit cell
/// reads better than "…ro-1", and [`KEY_CHAR_W`] is the wide end of the
/// glyphs' advances.
pub fn key_chars_in(cell_w: f64) -> usize {
    ((cell_w - 8.0) / KEY_CHAR_W) as usize + 1
}

/// The replicas each broker draws: its user partitions, then (for the
/// group coordinator) the groups' `__consumer_offsets` partitions.
fn hosted(e: &Engine) -> Vec<(Vec<Tp>, Vec<Tp>)> {
    let user_tps: Vec<Tp> = e
        .all_partitions()
        .into_iter()
        .filter(|tp| !e.topic(tp.topic).internal)
        .collect();
    let offsets_tps: Vec<Tp> = {
        let mut v: Vec<Tp> = e.groups().iter().map(|g| g.offsets_tp).collect();
        crate::engine::vecmap::sort_small_by_key(&mut v, |tp| *tp);
        v.dedup();
        v
    };
    e.brokers()
        .iter()
        .map(|b| {
            let user = user_tps
                .iter()
                .copied()
                .filter(|tp| b.replica(*tp).is_some())
                .collect();
            // Only the coordinator's copy of the offsets partition is drawn:
            // that is where commits land; followers' copies are noise here.
            let internal = offsets_tps
                .iter()
                .copied()
                .filter(|tp| {
                    b.replica(*tp).is_some()
                        && (e.leader_of(*tp) == Some(b.id) || e.brokers().len() == 1)
                })
                .collect();
            (user, internal)
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct Plan {
    flow: Flow,
    /// Broker columns.
    cols: usize,
    /// Followers as compact rows.
    compact: bool,
    /// Only leaders get rows; followers are chips in them.
    leaders_only: bool,
    /// Groups drawn tight.
    tight: bool,
    /// Groups drawn mini (implies tight).
    mini: bool,
    /// One topic whose name its rows cannot hold: a caption over each
    /// column of brokers names it, where the height allows.
    headed: bool,
}

/// The width of a follower chip ("B2 −3").
pub const CHIP_W: f64 = 40.0;
/// A follower drawn as a dot (narrow columns).
pub const DOT_W: f64 = 14.0;
/// The height of a chip, and of the line that holds chips under the cells.
pub const CHIP_H: f64 = 20.0;

/// `x` kept within `lo..=hi` (`lo <= hi`). Not `f64::clamp`: its panic
/// message formats floats, and the float formatter costs the wasm bundle
/// kilobytes.
fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    x.max(lo).min(hi)
}

/// The layout of `e` for a box of `box_w`×`box_h` CSS px. `max_scale` caps
/// how large it grows (presentation mode raises it); it never shrinks below
/// scale 1 (11 px text): a cluster that does not fit scrolls instead.
pub fn layout(e: &Engine, box_w: f64, box_h: f64, max_scale: f64) -> Layout {
    let min_scale = 1.0;
    let box_w = box_w.max(40.0);
    let box_h = box_h.max(30.0);
    let content = content(e);
    // As large as reads well: about 12.4 px text on a 1280×800 screen,
    // 19 px on a 1920×1080 projector; never below 1 (11 px text).
    let preferred = clamp(
        (box_w / 780.0).min(box_h / 520.0),
        min_scale,
        max_scale.max(min_scale),
    );
    let fit = |scale: f64| -> Option<Layout> {
        let (w, h) = (box_w / scale, box_h / scale);
        let fits = |lay: &Layout| lay.h <= h + 0.5;
        plans(e, w).into_iter().find_map(|plan| {
            // (Without the topic's caption, rather than a worse plan; built
            // again only when the caption was placed.)
            let lay = build(e, &content, w, plan)?;
            let lay = if fits(&lay) || !lay.headed {
                Some(lay)
            } else {
                let plan = Plan {
                    headed: false,
                    ..plan
                };
                build(e, &content, w, plan)
            };
            lay.filter(fits).map(|mut lay| {
                centre_vertically(&mut lay, h);
                lay.scale = scale;
                lay
            })
        })
    };
    let mut scale = preferred;
    loop {
        if let Some(mut best) = fit(scale) {
            // Room to spare: grow (a small cluster fills its box), keeping
            // the arrangement, up to `max_scale`.
            let cap = max_scale.max(1.0).min(preferred * 1.4);
            while best.scale * 1.05 <= cap {
                match fit(best.scale * 1.05) {
                    Some(bigger)
                        if bigger.flow == best.flow
                            && bigger.detail_lost <= best.detail_lost
                            && bigger.cut <= best.cut
                            && bigger.captions.len() >= best.captions.len()
                            && (bigger.room >= best.room.min(WANT_SLOTS)
                                || best.scale * MIN_FONT < 12.0)
                            && bigger.slots >= best.slots.min(KEEP_SLOTS) =>
                    {
                        best = bigger
                    }
                    _ => break,
                }
            }
            // Names cut to "or…-0" and keys to "…er-4" (brokers in two
            // columns): up to an eighth smaller, if that draws them all
            // whole with no less detail (one column, longer rows), and not
            // below 12 px text where the box allowed more.
            let floor = (best.scale * 0.88)
                .max(min_scale)
                .max(preferred.min(12.0 / MIN_FONT));
            let mut smaller = best.scale;
            while best.cut > 0 && smaller * 0.97 >= floor {
                smaller *= 0.97;
                if let Some(whole) =
                    fit(smaller).filter(|l| l.cut == 0 && l.detail_lost <= best.detail_lost)
                {
                    return whole;
                }
            }
            return best;
        }
        if scale <= min_scale {
            break;
        }
        scale = (scale * 0.93).max(min_scale);
    }
    // Nothing fits even at scale 1: the most compact arrangement, taller
    // than the box (the stage scrolls rather than shrinking the text).
    let (w, h) = (box_w / min_scale, box_h / min_scale);
    let narrowest = Plan {
        flow: Flow::Down,
        cols: 1,
        compact: true,
        leaders_only: e.brokers().len() > 1,
        tight: true,
        mini: true,
        headed: false,
    };
    let plan = plans(e, w).into_iter().last().unwrap_or(narrowest);
    let mut lay = build(e, &content, w, plan)
        .or_else(|| build(e, &content, w, narrowest))
        .unwrap_or_else(|| {
            // Narrower than any plan allows (a tiny box): a wider drawing
            // shown smaller, rather than failing.
            let wide = w.max(480.0);
            // (Only if even that cannot place the brokers, which no
            // scenario within the limits reaches: an empty stage.)
            build(e, &content, wide, narrowest).unwrap_or_else(|| Layout {
                h: 100.0,
                overflow: true,
                ..Layout::blank(wide, narrowest)
            })
        });
    lay.overflow = lay.h > h + 0.5;
    lay.h = lay.h.max(h);
    lay.scale = min_scale;
    lay
}

/// Arrangements to try at width `w`, best first.
fn plans(e: &Engine, w: f64) -> Vec<Plan> {
    let nb = e.brokers().len().max(1);
    let mut v = Vec::new();
    let across = w >= 520.0;
    for (compact, leaders_only, tight, mini) in [
        (false, false, false, false),
        (false, false, true, false),
        (true, false, true, false),
        (true, true, true, false),
        (true, nb > 1, true, true),
    ] {
        if leaders_only && nb == 1 && !mini {
            continue;
        }
        if across {
            // Brokers stacked while they fit, so a log's row is as long as
            // it can be (more offsets, whole keys); columns when they don't.
            for cols in 1..=nb {
                v.push(Plan {
                    flow: Flow::Across,
                    cols,
                    compact,
                    leaders_only,
                    tight,
                    mini,
                    headed: true,
                });
            }
        }
        for cols in (1..=nb.min(2)).rev() {
            v.push(Plan {
                flow: Flow::Down,
                cols,
                compact,
                leaders_only,
                tight,
                mini,
                headed: true,
            });
        }
    }
    v
}

impl Layout {
    /// Nothing placed yet, for `plan` at width `w`.
    fn blank(w: f64, plan: Plan) -> Layout {
        Layout {
            w,
            h: 0.0,
            scale: 1.0,
            flow: plan.flow,
            producers: Vec::new(),
            brokers: Vec::new(),
            rows: Vec::new(),
            captions: Vec::new(),
            groups: Vec::new(),
            consumers: Vec::new(),
            overflow: false,
            tight_groups: plan.tight,
            mini_groups: plan.mini,
            detail_lost: plan.tight as u8
                + 2 * plan.compact as u8
                + 4 * plan.leaders_only as u8
                + 8 * plan.mini as u8,
            slots: usize::MAX,
            room: usize::MAX,
            cut: 0,
            headed: false,
        }
    }
}

/// Moves everything down so the content sits in the middle of `h`, by at
/// most 120 units: a drawing much shorter than its box stays put while it
/// grows (a consumer joins, a row appears) rather than move up by half of
/// each growth. (40 left nine-stages at 1280x800 in the top 55% of its box
/// over an empty band, which an audit read as unfinished.)
fn centre_vertically(lay: &mut Layout, h: f64) {
    let dy = ((h - lay.h) / 2.0).max(0.0).min(120.0);
    lay.h = h;
    if dy <= 0.0 {
        return;
    }
    for (_, r) in lay.producers.iter_mut() {
        r.y += dy;
    }
    for (_, r) in lay.brokers.iter_mut() {
        r.y += dy;
    }
    for (_, r) in lay.groups.iter_mut() {
        r.y += dy;
    }
    for (_, r) in lay.consumers.iter_mut() {
        r.y += dy;
    }
    for r in lay.rows.iter_mut() {
        r.y += dy;
        r.chips_y += dy;
    }
    for c in lay.captions.iter_mut() {
        c.1 += dy;
    }
}

/// Brokers, their rows and captions inside `area` (x, y, width), in `cols`
/// columns. Returns the height used, or None if a column is too narrow.
#[allow(clippy::too_many_arguments)]
fn place_brokers(
    e: &Engine,
    content: &Content,
    x: f64,
    y: f64,
    width: f64,
    cols: usize,
    compact: bool,
    leaders_only: bool,
    tight: bool,
    headed: bool,
    lay: &mut Layout,
) -> Option<f64> {
    let nb = e.brokers().len();
    let cols = cols.clamp(1, nb.max(1));
    let bw = (width - (cols as f64 - 1.0) * BROKER_GAP) / cols as f64;
    // The row label: a topic-partition name, whole when 30% of the broker
    // allows (a short name leaves the rest to the cells).
    let (label_need, key_need) = (content.label_need, content.key_need);
    let mut label_w = clamp(label_need, 56.0, clamp(bw * 0.3, 56.0, 150.0));
    // Two topics or more whose names do not fit ("or…-0" beside "pa…-0"):
    // a caption names each topic over its rows, which say P0 (P999 fits).
    // One topic's rows say P0 too, and its name is a caption over each
    // column of brokers (a line per broker would not fit an 800x500 embed).
    let cut = label_need > label_w + 0.01;
    let captioned = cut && e.topics().iter().filter(|t| !t.internal).count() > 1;
    if captioned {
        label_w = 56.0;
    }
    let label_chars = ((label_w - LABEL_PAD) / LABEL_CHAR_W + 1e-9)
        .floor()
        .max(3.0) as usize;
    // Followers' chips at the end of a leader's row, in leaders-only mode.
    let max_followers = if leaders_only {
        e.topics()
            .iter()
            .flat_map(|t| t.partitions.iter())
            .map(|m| m.replicas.len().saturating_sub(1))
            .max()
            .unwrap_or(0)
    } else {
        0
    };
    // A leader's followers: labelled chips beside its cells when that
    // leaves room for three offsets; else dots (their state by shape, the
    // numbers in the tooltip) beside two; else chips on a line of their own.
    let room = |each: f64| {
        ((bw - 16.0 - label_w - max_followers as f64 * (each + 4.0)) / CELL_W_MIN).floor() as usize
    };
    let (chip_w, dots, chips_inline, min_slots) = if max_followers == 0 {
        (0.0, false, false, MIN_SLOTS)
    } else if room(CHIP_W) >= MIN_SLOTS {
        (CHIP_W, false, true, MIN_SLOTS)
    } else if room(DOT_W) >= 2 {
        (DOT_W, true, true, 2)
    } else {
        (CHIP_W, false, false, 2)
    };
    let chips_w = max_followers as f64 * (chip_w + 4.0);
    let chips_line = if max_followers > 0 && !chips_inline {
        CHIP_H + 4.0
    } else {
        0.0
    };
    let avail = bw - 8.0 - label_w - 8.0 - if chips_inline { chips_w } else { 0.0 };
    // Cells wide enough for the longest key, while five offsets still fit.
    let cell_w = clamp(avail / WANT_SLOTS as f64, CELL_W_MIN, CELL_W_MAX)
        .max(key_need.min(avail / KEEP_SLOTS as f64));
    let slots = (avail / cell_w + 1e-9).floor() as usize;
    if slots < min_slots {
        return None;
    }
    lay.slots = lay.slots.min(slots);
    // (What the width holds whatever the keys: growing the drawing decides
    // on it, so a longer key does not change the scale, see `layout`.)
    let plain = clamp(avail / WANT_SLOTS as f64, CELL_W_MIN, CELL_W_MAX);
    lay.room = lay.room.min((avail / plain + 1e-9).floor() as usize);
    lay.cut = (key_need > cell_w + 0.01) as u8 + (cut && !captioned) as u8;
    let headed = cut && !captioned && headed;
    lay.headed = headed;
    let mut col_y = vec![y + if headed { CAPTION_H } else { 0.0 }; cols];
    for (i, (b, (user, internal))) in e.brokers().iter().zip(content.hosted.iter()).enumerate() {
        let col = i % cols;
        if headed && i < cols {
            if let Some(t) = e.topics().iter().position(|t| !t.internal) {
                lay.captions.push((b.id, y + 12.0, TopicId(t as u16)));
            }
        }
        let bx = x + col as f64 * (bw + BROKER_GAP);
        let by = col_y[col];
        let mut ry = by + BROKER_HEADER;
        // Leaders-only: this broker's rows are the partitions it leads.
        let user: Vec<Tp> = user
            .iter()
            .copied()
            .filter(|tp| !leaders_only || e.leader_of(*tp) == Some(b.id))
            .collect();
        let mut prev_topic = None;
        for (k, tp) in user.iter().chain(internal.iter()).enumerate() {
            let is_internal = k >= user.len();
            // (Tight: no caption line; the pink row and the broker's
            // "coordinator" tag say what it is, its tooltip names it. But
            // under the topic's caption it would pass for that topic's.)
            let first_of_topic = prev_topic.replace(tp.topic) != Some(tp.topic);
            if first_of_topic
                && if is_internal {
                    !tight || headed
                } else {
                    captioned
                }
            {
                lay.captions.push((b.id, ry + 13.0, tp.topic));
                ry += CAPTION_H;
            }
            let rep = b.replica(*tp).expect("hosted");
            let leader = e.leader_of(*tp) == Some(b.id);
            let row_compact = compact && !leader && !is_internal;
            let cell_h = if row_compact {
                COMPACT_CELL_H
            } else if tight {
                TIGHT_CELL_H
            } else {
                CELL_H
            };
            let band_bottom = if row_compact || is_internal {
                5.0
            } else {
                BAND_BOTTOM
            };
            let leo = rep.log.leo().0;
            // The newest offsets and the LEO's empty slot; in a short row
            // (an 800x500 embed's three or four slots) a log that fills
            // it exactly shows whole instead, the LEO past the row's end:
            // there an empty slot hid one of broker 2's three records,
            // which the lesson's stop was about. A longer row keeps its
            // LEO slot (an audit read a full row without it as cut).
            let log_start = rep.log.log_start().0;
            let start = if slots <= SHORT_ROW_SLOTS && leo - log_start == slots as i64 {
                log_start
            } else {
                (leo + 1 - slots as i64).max(log_start)
            };
            let x0 = bx + 8.0 + label_w;
            let with_chips = leaders_only && !is_internal;
            let followers = if with_chips {
                let chips_x = if chips_inline {
                    x0 + slots as f64 * cell_w + 6.0
                } else {
                    x0
                };
                e.partition_meta(*tp)
                    .replicas
                    .iter()
                    .filter(|r| **r != b.id)
                    .enumerate()
                    .map(|(i, r)| (*r, chips_x + i as f64 * (chip_w + 4.0) + chip_w / 2.0))
                    .collect()
            } else {
                Vec::new()
            };
            lay.rows.push(Row {
                tp: *tp,
                broker: b.id,
                y: ry + BAND_TOP,
                h: cell_h,
                label_x: bx + 8.0,
                label_chars,
                x0,
                cell_w,
                slots,
                start,
                internal: is_internal,
                compact: row_compact,
                followers,
                dots,
                chips_y: if chips_inline {
                    ry + BAND_TOP + cell_h / 2.0
                } else {
                    ry + BAND_TOP + cell_h + band_bottom + CHIP_H / 2.0
                },
            });
            ry += BAND_TOP + cell_h + band_bottom + if with_chips { chips_line } else { 0.0 };
        }
        let h = ry - by + 6.0;
        lay.brokers.push((
            b.id,
            Rect {
                x: bx,
                y: by,
                w: bw,
                h,
            },
        ));
        col_y[col] = by + h + BROKER_GAP;
    }
    let bottom = col_y.iter().cloned().fold(y, f64::max) - BROKER_GAP;
    Some(bottom - y)
}

/// The consumers of each group, in order.
fn members(e: &Engine, g: GroupIdx) -> Vec<ConsumerIdx> {
    e.consumers()
        .iter()
        .filter(|c| c.group == g)
        .map(|c| c.idx)
        .collect()
}

fn build(e: &Engine, content: &Content, w: f64, plan: Plan) -> Option<Layout> {
    let mut lay = Layout::blank(w, plan);
    let (consumer_h, group_head, group_foot) = if plan.mini {
        (MINI_CONSUMER_H, TIGHT_GROUP_HEAD, MINI_GROUP_FOOT)
    } else if plan.tight {
        (TIGHT_CONSUMER_H, TIGHT_GROUP_HEAD, TIGHT_GROUP_FOOT)
    } else {
        (CONSUMER_H, GROUP_HEAD, GROUP_FOOT)
    };
    let np = e.producers().len().max(1) as f64;
    match plan.flow {
        Flow::Across => {
            let pw = clamp(w * 0.15, 104.0, 150.0);
            let cw = clamp(w * 0.21, 172.0, 220.0);
            let gap = if w < 700.0 { 12.0 } else { GAP };
            let bx = PAD + pw + gap;
            let bwidth = w - 2.0 * PAD - pw - cw - 2.0 * gap;
            let brokers_h = place_brokers(
                e,
                content,
                bx,
                PAD,
                bwidth,
                plan.cols,
                plan.compact,
                plan.leaders_only,
                plan.tight,
                plan.headed,
                &mut lay,
            )?;
            // Producers: stacked, centred on the brokers.
            let min_h = if plan.tight {
                TIGHT_PRODUCER_H
            } else {
                PRODUCER_MIN_H
            };
            let ph = clamp(
                (brokers_h - 10.0 * (np - 1.0)) / np,
                min_h,
                160.0_f64.max(min_h),
            );
            let p_top = PAD + ((brokers_h - ph * np - 10.0 * (np - 1.0)) / 2.0).max(0.0);
            for (i, p) in e.producers().iter().enumerate() {
                lay.producers.push((
                    p.idx,
                    Rect {
                        x: PAD,
                        y: p_top + i as f64 * (ph + 10.0),
                        w: pw,
                        h: ph,
                    },
                ));
            }
            let p_bottom = p_top + np * (ph + 10.0) - 10.0;
            // Groups and their consumers: stacked on the right.
            let gx = w - PAD - cw;
            let mut gy = PAD;
            for g in e.groups() {
                let ms = members(e, g.idx);
                let gh = group_head + ms.len() as f64 * (consumer_h + 6.0) + group_foot;
                lay.groups.push((
                    g.idx,
                    Rect {
                        x: gx,
                        y: gy,
                        w: cw,
                        h: gh,
                    },
                ));
                for (j, c) in ms.iter().enumerate() {
                    lay.consumers.push((
                        *c,
                        Rect {
                            x: gx + 6.0,
                            y: gy + group_head + j as f64 * (consumer_h + 6.0),
                            w: cw - 12.0,
                            h: consumer_h,
                        },
                    ));
                }
                gy += gh + 10.0;
            }
            lay.h = (PAD + brokers_h).max(gy - 10.0).max(p_bottom) + PAD;
        }
        Flow::Down => {
            // Producers side by side on top; a lone one is a band across
            // the stage, its tray beside its counters (see `WIDE_PRODUCER_H`).
            let wide = np == 1.0 && w - 2.0 * PAD >= WIDE_PRODUCER_W;
            let ph = if wide {
                WIDE_PRODUCER_H
            } else if plan.tight {
                TIGHT_PRODUCER_H
            } else {
                PRODUCER_MIN_H
            };
            // As many producers per line as fit at 110 units or more.
            let per_line =
                (((w - 2.0 * PAD + 10.0) / 120.0).floor() as usize).clamp(1, np as usize);
            let lines = (np as usize).div_ceil(per_line);
            let pw = ((w - 2.0 * PAD - 10.0 * (per_line as f64 - 1.0)) / per_line as f64)
                .min(if wide { f64::MAX } else { 220.0 });
            for (i, p) in e.producers().iter().enumerate() {
                let (col, line) = (i % per_line, i / per_line);
                lay.producers.push((
                    p.idx,
                    Rect {
                        x: PAD + col as f64 * (pw + 10.0),
                        y: PAD + line as f64 * (ph + 10.0),
                        w: pw,
                        h: ph,
                    },
                ));
            }
            let by = PAD + lines as f64 * (ph + 10.0) - 10.0 + GAP;
            let brokers_h = place_brokers(
                e,
                content,
                PAD,
                by,
                w - 2.0 * PAD,
                plan.cols,
                plan.compact,
                plan.leaders_only,
                plan.tight,
                plan.headed,
                &mut lay,
            )?;
            // Groups below, full width; consumers in a grid inside.
            let mut gy = by + brokers_h + GAP;
            let gw = w - 2.0 * PAD;
            // Mini chips of 155 units or more: three share an 800 px
            // embed's row ("B · unr…" at 124 reads "B · unrevoked"), two
            // a phone's.
            let each = if plan.mini { 155.0 } else { 168.0 };
            let per_row = (((gw - 12.0) / each).floor() as usize).max(1);
            let cwid = (gw - 12.0 - 6.0 * (per_row as f64 - 1.0)) / per_row as f64;
            for g in e.groups() {
                let ms = members(e, g.idx);
                let lines = ms.len().div_ceil(per_row).max(1) as f64;
                let gh = group_head + lines * (consumer_h + 6.0) + group_foot;
                lay.groups.push((
                    g.idx,
                    Rect {
                        x: PAD,
                        y: gy,
                        w: gw,
                        h: gh,
                    },
                ));
                for (j, c) in ms.iter().enumerate() {
                    let (col, line) = (j % per_row, j / per_row);
                    lay.consumers.push((
                        *c,
                        Rect {
                            x: PAD + 6.0 + col as f64 * (cwid + 6.0),
                            y: gy + group_head + line as f64 * (consumer_h + 6.0),
                            w: cwid,
                            h: consumer_h,
                        },
                    ));
                }
                gy += gh + 10.0;
            }
            lay.h = gy - 10.0 + PAD;
        }
    }
    Some(lay)
}
