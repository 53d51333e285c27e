//! Plots drawn in the page, as inline SVG, from [`crate::metrics::Metrics`]:
//! consumer lag over time (per partition and per group), produce latency per
//! `acks` setting, and each group's generations on a timeline with its
//! rebalance pauses.
//!
//! Plain view functions drawn by the `Tables` component (the metrics change
//! on exactly the steps the tables do, so a component of their own would
//! compare its props and never skip), and the shapes are built by small
//! non-generic helpers, as in `stage.rs`: `html!` expands every element into
//! a good deal of code, and the bundle has a budget.
//!
//! Each chart is drawn at its real size in CSS pixels (`width` = the
//! viewBox width), so its 12 px text stays 12 px: on a narrow screen the
//! chart scrolls sideways rather than shrinking. Colours come only from
//! CSS classes (the plots section of `static/style.css`), and every series also differs in
//! shape: dash pattern and marker for the lag lines, dot shape for the
//! acks settings, outline and fill for the timeline's states.

use crate::engine::config::Acks;
use crate::engine::ids::Tp;
use crate::metrics::{
    duration, nice_step, seconds, GroupLag, GroupTimeline, MemberState, Metrics, ProducerLatency,
    Series,
};
use crate::ui::stage::{line, push_px, px, text};
use yew::prelude::*;
use yew::virtual_dom::{VList, VText};

/// Chart width in CSS pixels.
pub const WIDTH: f64 = 640.0;
/// Partition lines drawn per lag chart, at most (the highest peaks).
const MAX_LINES: usize = 12;
/// Members drawn per timeline, at most.
const MAX_ROWS: usize = 12;
/// Rebalances the timeline shows (the latest).
const SHOWN_REBALANCES: usize = 6;
/// Approximate width of one character of 12 px text.
const CHAR_W: f64 = 7.0;

// ---- element helpers (one copy each in the bundle) --------------------------------
//
// Coordinates, `<text>` and `<line>` are the stage's own helpers.

/// Path data, built command by command (one `format!` per path would cost
/// the bundle far more).
#[derive(Default)]
struct D(String);

impl D {
    /// A one-number command: `H`, `V`, `h`, `v`.
    #[inline(never)]
    fn c(&mut self, cmd: char, x: f64) -> &mut D {
        self.0.push(cmd);
        push_px(&mut self.0, x);
        self
    }
    /// A two-number command: `M`, `l`.
    #[inline(never)]
    fn c2(&mut self, cmd: char, x: f64, y: f64) -> &mut D {
        self.c(cmd, x);
        self.0.push(' ');
        push_px(&mut self.0, y);
        self
    }
    /// Half a circle of radius `r`, ending `dx` to the side.
    #[inline(never)]
    fn arc(&mut self, r: f64, dx: f64) -> &mut D {
        self.c2('a', r, r);
        self.0.push_str(" 0 1 0 ");
        push_px(&mut self.0, dx);
        self.0.push_str(" 0");
        self
    }
    fn z(&mut self) {
        self.0.push('z');
    }
}

/// Children without a wrapping element.
#[inline(never)]
fn nodes(v: Vec<Html>) -> Html {
    Html::from(VList::with_children(v, None))
}

#[inline(never)]
fn rect(class: &'static str, x: f64, y: f64, w: f64, h: f64) -> Html {
    html! { <rect class={class} x={px(x)} y={px(y)} width={px(w.max(0.0))} height={px(h.max(0.0))} /> }
}

#[inline(never)]
fn path(class: String, d: String) -> Html {
    html! { <path class={class} d={d} /> }
}

/// `<g class><title>tip</title>children</g>`: a shape with a tooltip.
#[inline(never)]
fn tipped(class: &'static str, tip: String, children: Html) -> Html {
    html! { <g class={class}><title>{Html::from(VText::new(tip))}</title>{children}</g> }
}

/// A chart: the SVG (an image with an accessible name and a `<title>`), an
/// optional legend under it and the one-sentence summary.
#[inline(never)]
fn figure(label: String, w: f64, h: f64, body: Html, legend: Html, summary: String) -> Html {
    html! {
        <figure class="plot">
            <div class="plot-scroll" role="group" tabindex="0" aria-label={format!("{label} (scrolls sideways on a narrow screen)")}>
                <svg class="plot-svg" width={px(w)} height={px(h)} viewBox={format!("0 0 {} {}", px(w), px(h))}
                     role="img" aria-label={label.clone()}>
                    <title>{Html::from(VText::new(label))}</title>
                    {body}
                </svg>
            </div>
            {legend}
            <figcaption class="plot-summary">{Html::from(VText::new(summary))}</figcaption>
        </figure>
    }
}

/// A sentence in place of a chart that has nothing to show yet.
#[inline(never)]
fn empty(body: String) -> Html {
    html! { <p class="plot-empty">{Html::from(VText::new(body))}</p> }
}

#[inline(never)]
fn block(heading: &'static str, body: Html) -> Html {
    html! {
        <section class="plot-block">
            <h3 class="plot-heading">{heading}</h3>
            {body}
        </section>
    }
}

/// Appends a marker shape centred on (x, y): 0 circle, 1 square,
/// 2 triangle, 3 diamond.
#[inline(never)]
fn marker(d: &mut D, shape: usize, x: f64, y: f64, r: f64) {
    match shape % 4 {
        0 => {
            d.c2('M', x - r, y).arc(r, 2.0 * r).arc(r, -2.0 * r);
        }
        1 => {
            let k = 0.85 * r;
            d.c2('M', x - k, y - k)
                .c('h', 2.0 * k)
                .c('v', 2.0 * k)
                .c('h', -2.0 * k)
                .z();
        }
        2 => d.c2('M', x, y - r).c2('l', r, 1.8 * r).c('h', -2.0 * r).z(),
        _ => d
            .c2('M', x, y - r)
            .c2('l', r, r)
            .c2('l', -r, r)
            .c2('l', -r, -r)
            .z(),
    }
}

fn marker_d(shape: usize, x: f64, y: f64, r: f64) -> String {
    let mut d = D::default();
    marker(&mut d, shape, x, y, r);
    d.0
}

/// Horizontal axis of simulated time from `t0` to `t1` ms at `x0..x1`,
/// drawn at `y` with tick labels below.
fn time_axis(t0: u64, t1: u64, x0: f64, x1: f64, y: f64, out: &mut Vec<Html>) {
    out.push(line("plot-axis", x0, y, x1, y));
    let span = (t1 - t0).max(1);
    let step = nice_step(span, 6);
    let first = t0.div_ceil(step) * step;
    let mut t = first;
    while t <= t1 {
        let x = x0 + (t - t0) as f64 / span as f64 * (x1 - x0);
        out.push(line("plot-tick", x, y, x, y + 4.0));
        let label = if step < 100 {
            format!("{}.{:02} s", t / 1000, t % 1000 / 10)
        } else if step < 1000 {
            format!("{}.{} s", t / 1000, t % 1000 / 100)
        } else {
            format!("{} s", t / 1000)
        };
        // (The last one ends at its tick when it would run past the edge.)
        let (lx, anchor) = if x > x1 - 18.0 {
            (x + 4.0, "end")
        } else {
            (x, "middle")
        };
        out.push(text("plot-tick-label", lx, y + 17.0, Some(anchor), label));
        t += step;
    }
    out.push(text(
        "plot-axis-title",
        x1,
        y + 32.0,
        Some("end"),
        "simulated time",
    ));
}

// ---- consumer lag -----------------------------------------------------------------

/// The lag of one group: one line per partition (dash pattern and marker
/// tell them apart), the group's total as a thick line, the peak ringed.
#[inline(never)]
fn lag_chart(g: &GroupLag, m: &Metrics) -> Html {
    let Some(t0) = m.start_ms else {
        return empty(format!("{}: no lag measured yet.", g.group_id));
    };
    // Up to the clock (a tenth of a second at least).
    let t1 = m.now_ms.max(t0 + 100);
    let (w, h) = (WIDTH, 250.0);
    let (x0, x1, y0, y1) = (48.0, w - 16.0, 42.0, h - 48.0);
    let top = g.total.peak().map_or(0, |p| p.1).max(1) as u64;
    let ystep = nice_step(top, 5);
    let ymax = top.div_ceil(ystep) * ystep;
    let sx = |t: u64| x0 + (t.max(t0) - t0) as f64 / (t1 - t0) as f64 * (x1 - x0);
    let sy = |v: i64| y1 - v.max(0) as f64 / ymax as f64 * (y1 - y0);
    let mut out = Vec::new();
    // Grid and the lag axis.
    let mut v = 0;
    while v <= ymax {
        let y = sy(v as i64);
        out.push(line("plot-grid", x0, y, x1, y));
        out.push(text(
            "plot-tick-label",
            x0 - 6.0,
            y + 4.0,
            Some("end"),
            v.to_string(),
        ));
        v += ystep;
    }
    out.push(line("plot-axis", x0, y0, x0, y1));
    out.push(text("plot-axis-title", 4.0, 14.0, None, "lag (records)"));
    time_axis(t0, t1, x0, x1, y1, &mut out);
    // The total first: the partitions' lines go over it.
    out.push(path(
        "plot-line plot-total".into(),
        step_path(&g.total, t1, &sx, &sy),
    ));
    // The partitions with the highest peaks, in partition order.
    let mut shown: Vec<usize> = (0..g.partitions.len()).collect();
    if shown.len() > MAX_LINES {
        crate::engine::vecmap::sort_small_by_key(&mut shown, |i| {
            std::cmp::Reverse(g.partitions[*i].2.peak().map_or(0, |p| p.1))
        });
        shown.truncate(MAX_LINES);
        crate::engine::vecmap::sort_small_by_key(&mut shown, |i| *i);
    }
    let n = shown.len();
    let mut legend = Vec::new();
    for (k, &i) in shown.iter().enumerate() {
        let (_, name, s) = &g.partitions[i];
        out.push(path(line_class(k), step_path(s, t1, &sx, &sy)));
        // One marker per line, each at its own time so they never pile up.
        let tm = t0 + (t1 - t0) * (k as u64 + 1) / (n as u64 + 2);
        let y = sy(value_at(s, tm));
        out.push(path(
            format!("plot-mark c{}", k % 6),
            marker_d(k, sx(tm), y, 4.0),
        ));
        legend.push(legend_item(
            nodes(vec![
                path(line_class(k), "M2 7H34".into()),
                path(format!("plot-mark c{}", k % 6), marker_d(k, 18.0, 7.0, 4.0)),
            ]),
            name.clone(),
        ));
    }
    legend.push(legend_item(
        path("plot-line plot-total".into(), "M2 7H34".into()),
        format!("{} total", g.group_id),
    ));
    if let Some((name, t, v)) = g.peak().filter(|p| p.2 > 0) {
        let (x, y) = (sx(t), sy(v));
        let label = format!("peak {v} ({name})");
        // Above the plot, clear of the lines and their markers: starting
        // over the ring, or ending there near the right edge.
        let (lx, anchor) = if x + label.len() as f64 * CHAR_W > x1 {
            (x + 4.0, Some("end"))
        } else {
            (x - 4.0, None)
        };
        out.push(tipped(
            "plot-peak",
            format!("peak: {v} on {name} at {}", seconds(t)),
            nodes(vec![
                path("plot-peak-ring".into(), marker_d(0, x, y, 7.0)),
                text("plot-peak-label", lx, y0 - 12.0, anchor, label),
            ]),
        ));
    }
    let more = g.partitions.len() - n;
    if more > 0 {
        legend.push(legend_item(
            Html::default(),
            format!("({more} partitions with lower peaks not drawn)"),
        ));
    }
    let legend = html! {
        <ul class="plot-legend" aria-label={format!("Lines of the {} lag chart", g.group_id)}>
            {nodes(legend)}
        </ul>
    };
    figure(
        format!("Consumer lag over time, {}", g.group_id),
        w,
        h,
        nodes(out),
        legend,
        g.summary(),
    )
}

/// The `k`-th line's classes: colour `c0`–`c5`, dash `d0`–`d2`. With the
/// marker shape (`k % 4`), dash and marker alone tell 12 lines apart.
fn line_class(k: usize) -> String {
    format!("plot-line c{} d{}", k % 6, k % 3)
}

/// A legend entry: a key (the line's dash and marker; none for a note)
/// and its name.
#[inline(never)]
fn legend_item(key: Html, name: String) -> Html {
    html! {
        <li>
            <svg class="plot-key" width="36" height="14" aria-hidden="true">{key}</svg>
            {Html::from(VText::new(name))}
        </li>
    }
}

/// The series as a step function up to `t1`: `M x y H x V y …`.
fn step_path(s: &Series, t1: u64, sx: &dyn Fn(u64) -> f64, sy: &dyn Fn(i64) -> f64) -> String {
    let mut d = D::default();
    for (i, &(t, v)) in s.points().iter().enumerate() {
        if i == 0 {
            d.c2('M', sx(t), sy(v));
        } else {
            d.c('H', sx(t)).c('V', sy(v));
        }
    }
    if !s.points().is_empty() {
        d.c('H', sx(t1));
    }
    d.0
}

/// The series' value at `t` (0 before its first point).
fn value_at(s: &Series, t: u64) -> i64 {
    s.points()
        .iter()
        .take_while(|p| p.0 <= t)
        .last()
        .map_or(0, |p| p.1)
}

// ---- produce latency ----------------------------------------------------------------

fn acks_rank(a: Acks) -> u8 {
    match a {
        Acks::Zero => 0,
        Acks::One => 1,
        Acks::All => 2,
    }
}

/// One row per producer (acks=0 first, then acks=1, then acks=all): a small
/// histogram of its batches' latencies (bars on a shared millisecond axis,
/// each with its count when there is room), and the median marked by a
/// thick bar and its value. Rows are labelled with the producer and its
/// acks setting, so nothing depends on the bars' colour.
#[inline(never)]
fn latency_chart(m: &Metrics) -> Html {
    let mut rows: Vec<&ProducerLatency> = m.latency.iter().collect();
    crate::engine::vecmap::sort_small_by_key(&mut rows, |p| (acks_rank(p.acks), p.producer));
    let row_h = 62.0;
    let (w, h) = (WIDTH, 16.0 + rows.len() as f64 * row_h + 44.0);
    let (x0, x1, y0) = (170.0, w - 24.0, 16.0);
    let y_axis = y0 + rows.len() as f64 * row_h;
    let top = rows
        .iter()
        .map(|p| p.latencies.max_ms() as u64)
        .max()
        .unwrap_or(0)
        .max(10);
    let step = nice_step(top, 5);
    // One more step of room so the last bin has its width.
    let xmax = (top / step + 1) * step;
    let bin_ms = nice_step(xmax, 40);
    let bins = xmax.div_ceil(bin_ms) as usize;
    let sx = |ms: u64| x0 + ms as f64 / xmax as f64 * (x1 - x0);
    let bin_w = sx(bin_ms) - x0;
    let mut out = Vec::new();
    let mut v = 0;
    while v <= xmax {
        let x = sx(v);
        out.push(line("plot-grid", x, y0, x, y_axis));
        out.push(text(
            "plot-tick-label",
            x,
            y_axis + 17.0,
            Some("middle"),
            format!("{v}"),
        ));
        v += step;
    }
    out.push(line("plot-axis", x0, y_axis, x1, y_axis));
    out.push(text(
        "plot-axis-title",
        x1,
        y_axis + 34.0,
        Some("end"),
        "latency per batch (ms): ack time − send time",
    ));
    for (r, p) in rows.iter().enumerate() {
        let base = y0 + (r + 1) as f64 * row_h - 6.0;
        let tall = row_h - 26.0;
        let mid = base - row_h / 2.0 + 8.0;
        let name: String = p.client_id.chars().take(18).collect();
        out.push(text("plot-row-label", x0 - 10.0, mid, Some("end"), name));
        let count = p.latencies.count();
        out.push(text(
            "plot-row-sub",
            x0 - 10.0,
            mid + 15.0,
            Some("end"),
            format!(
                "acks={} · {count} {}",
                p.acks.label(),
                if count == 1 { "batch" } else { "batches" }
            ),
        ));
        out.push(line("plot-baseline", x0, base, x1, base));
        let mut counts = vec![0u32; bins + 1];
        for s in p.latencies.samples() {
            counts[(s.1 as u64 / bin_ms) as usize] += 1;
        }
        let most = counts.iter().copied().max().unwrap_or(0).max(1);
        let labelled = bin_w >= 14.0 || counts.iter().filter(|c| **c > 0).count() <= 6;
        let mut d = D::default();
        let bw = (bin_w - 1.0).max(1.5);
        for (b, &c) in counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let bh = (c as f64 / most as f64 * tall).max(2.0);
            let x = sx(b as u64 * bin_ms);
            d.c2('M', x + 0.5, base - bh)
                .c('h', bw)
                .c('v', bh)
                .c('h', -bw)
                .z();
            if labelled {
                out.push(text(
                    "lat-count",
                    x + bin_w / 2.0,
                    base - bh - 3.0,
                    Some("middle"),
                    c.to_string(),
                ));
            }
        }
        let class = match p.acks {
            Acks::Zero => "lat-bar a0",
            Acks::One => "lat-bar a1",
            Acks::All => "lat-bar aall",
        };
        out.push(path(class.into(), d.0));
        if let Some(med) = p.latencies.median_ms() {
            let x = sx(med as u64) + bin_w / 2.0;
            out.push(tipped(
                "lat-median",
                format!(
                    "{}: median {med} ms, mean {} ms, from {} to {} ms",
                    p.client_id,
                    p.latencies.mean_ms().unwrap_or(0),
                    p.latencies.min_ms(),
                    p.latencies.max_ms()
                ),
                nodes(vec![
                    line("lat-median-bar", x, base + 4.0, x, base - tall - 4.0),
                    text(
                        "lat-median-label",
                        x + 6.0,
                        base - tall + 6.0,
                        None,
                        format!("median {med} ms"),
                    ),
                ]),
            ));
        }
    }
    figure(
        "Produce latency per batch, by acks setting".into(),
        w,
        h,
        nodes(out),
        Html::default(),
        m.latency_summary(),
    )
}

// ---- generations ------------------------------------------------------------------------

/// A partition's short name on the timeline: `P2`, or `events-2` when the
/// group reads several topics.
fn part_names(parts: &[Tp], lag: Option<&GroupLag>) -> String {
    let multi = lag.filter(|l| {
        l.partitions
            .windows(2)
            .any(|p| p[0].0.topic != p[1].0.topic)
    });
    parts
        .iter()
        .map(|tp| {
            multi
                .and_then(|l| l.partitions.iter().find(|p| p.0 == *tp))
                .map_or_else(|| format!("P{}", tp.partition.0), |p| p.1.clone())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One band per member: what it owned in each generation (filled), when it
/// was paused in a rebalance (dashed outline), when it was down (a thin
/// line). Each rebalance is shaded across all bands; an eager one's
/// stop-the-world moment darker, labelled "rebalance: everyone paused";
/// a cooperative one labelled with its round.
#[inline(never)]
fn generations_chart(g: &GroupTimeline, lag: Option<&GroupLag>, m: &Metrics) -> Html {
    let Some(start) = m.start_ms else {
        return empty(format!("{}: nothing recorded yet.", g.group_id));
    };
    let t1 = m.now_ms.max(start + 100);
    // The window: the latest few rebalances (and the run's start when there
    // are few).
    let t0 = match g
        .rebalances
        .len()
        .checked_sub(SHOWN_REBALANCES)
        .and_then(|i| g.rebalances.get(i))
    {
        Some(r) => r.start_ms.saturating_sub((t1 - r.start_ms) / 20).max(start),
        None => start,
    };
    let rows: Vec<_> = g
        .members
        .iter()
        .filter(|b| {
            b.segments
                .iter()
                .any(|s| s.end_ms.is_none_or(|e| e > t0) && s.state != MemberState::Down)
        })
        .take(MAX_ROWS)
        .collect();
    let row_h = 28.0;
    let (w, h) = (WIDTH, 44.0 + rows.len().max(1) as f64 * row_h + 60.0);
    let (x0, x1, y0) = (40.0, w - 12.0, 44.0);
    let y_axis = y0 + rows.len().max(1) as f64 * row_h;
    let sx = |t: u64| x0 + (t.clamp(t0, t1) - t0) as f64 / (t1 - t0) as f64 * (x1 - x0);
    let mut out = Vec::new();
    let mut over = Vec::new();
    // Rebalances first, under the bands.
    let shown = g
        .rebalances
        .iter()
        .filter(|r| r.end_ms.is_none_or(|e| e >= t0));
    let mut label_end = [f64::MIN; 2];
    for r in shown {
        let (a, b) = (sx(r.start_ms), sx(r.end_ms.unwrap_or(t1)));
        let kind = if r.cooperative {
            "cooperative"
        } else {
            "eager"
        };
        let tip = format!(
            "Rebalance to generation {} ({kind}), {} from {}: {}{}",
            r.generation.map_or("?".into(), |g| g.to_string()),
            duration(r.duration_ms(m.now_ms)),
            seconds(r.start_ms),
            r.reason,
            if r.revoked > 0 {
                format!("; {} partitions revoked", r.revoked)
            } else {
                String::new()
            }
        );
        let stop = (!r.cooperative)
            .then(|| g.everyone_paused(r, m.now_ms))
            .flatten();
        let class = if r.cooperative { "rb coop" } else { "rb eager" };
        // "Everyone paused" only where everyone did.
        let label = match r.label() {
            "rebalance: everyone paused" if stop.is_none() => "rebalance (eager)",
            l => l,
        };
        // The label on the first of two lines where it overlaps no other
        // (or none: the band keeps its tooltip).
        let lw = label.len() as f64 * CHAR_W;
        let label_x = stop.map_or(a, |s| sx(s.0));
        let lx = label_x.min(x1 - lw);
        let free = (0..2).find(|&k| lx >= label_end[k] + 8.0);
        if let Some(k) = free {
            label_end[k] = lx + lw;
        }
        out.push(tipped(
            class,
            tip.clone(),
            rect("rb-band", a, y0 - 4.0, (b - a).max(2.0), y_axis - y0 + 4.0),
        ));
        // Over the bands: the moment everyone stood still, and the label.
        let mut top = Vec::new();
        if let Some((from, until)) = stop {
            top.push(rect(
                "rb-stop",
                sx(from),
                y0 - 4.0,
                (sx(until) - sx(from)).max(3.0),
                y_axis - y0 + 4.0,
            ));
        }
        if let Some(k) = free {
            let ly = 14.0 + k as f64 * 15.0;
            top.push(line("rb-leader", label_x, ly + 3.0, label_x, y0 - 4.0));
            top.push(text("rb-label", lx, ly, None, label.to_string()));
        }
        over.push(tipped(class, tip, nodes(top)));
    }
    // The members' bands.
    for (i, band) in rows.iter().enumerate() {
        let top = y0 + i as f64 * row_h + 3.0;
        let bh = row_h - 6.0;
        out.push(text(
            "plot-row-label",
            x0 - 8.0,
            top + bh / 2.0 + 4.0,
            Some("end"),
            band.label.clone(),
        ));
        for s in band
            .segments
            .iter()
            .filter(|s| s.end_ms.is_none_or(|e| e > t0))
        {
            let (a, b) = (sx(s.start_ms), sx(s.end_ms.unwrap_or(t1)));
            let parts = part_names(&s.partitions, lag);
            let (class, shape, label) = match s.state {
                MemberState::Consuming if s.partitions.is_empty() => (
                    "seg idle",
                    rect("seg-box", a, top, b - a, bh),
                    "idle".to_string(),
                ),
                MemberState::Consuming => {
                    ("seg on", rect("seg-box", a, top, b - a, bh), parts.clone())
                }
                MemberState::Rebalancing => (
                    "seg paused",
                    rect("seg-box", a, top + 2.0, b - a, bh - 4.0),
                    if parts.is_empty() {
                        "paused".to_string()
                    } else {
                        format!("paused, keeps {parts}")
                    },
                ),
                MemberState::Down => (
                    "seg down",
                    line("seg-line", a, top + bh / 2.0, b, top + bh / 2.0),
                    "down".to_string(),
                ),
            };
            // The label, or a count of the partitions when the list is too
            // long for the segment (the tooltip has them all).
            let fits = |l: &str| (b - a) >= l.chars().count() as f64 * CHAR_W + 8.0;
            let n = s.partitions.len();
            let label = match s.state {
                _ if fits(&label) || n < 2 => label,
                MemberState::Rebalancing if fits("paused, keeps 10") => {
                    format!("paused, keeps {n}")
                }
                MemberState::Rebalancing => "paused".to_string(),
                _ => format!("{n} partitions"),
            };
            let fits = fits(&label);
            let tip = format!(
                "{}: {} from {} to {}",
                band.label,
                match s.state {
                    MemberState::Consuming if s.partitions.is_empty() =>
                        "idle (no partition)".to_string(),
                    MemberState::Consuming =>
                        format!("consuming {parts} in generation {}", s.generation),
                    MemberState::Rebalancing if s.partitions.is_empty() =>
                        "paused in a rebalance, owning nothing".to_string(),
                    MemberState::Rebalancing => format!("paused in a rebalance, keeping {parts}"),
                    MemberState::Down => "down".to_string(),
                },
                seconds(s.start_ms),
                s.end_ms.map_or("now".to_string(), seconds),
            );
            let mut seg = vec![shape];
            if fits {
                seg.push(text(
                    "seg-label",
                    a + 4.0,
                    top + bh / 2.0 + 4.0,
                    None,
                    label,
                ));
            }
            out.push(tipped(class, tip, nodes(seg)));
        }
    }
    out.append(&mut over);
    // Generation starts along the time axis.
    let mut last_label_x = f64::MIN;
    for &(t, _, generation) in g.generations.iter().filter(|x| x.0 >= t0) {
        let x = sx(t);
        out.push(line("gen-tick", x, y0 - 4.0, x, y_axis + 4.0));
        let label = format!("gen {generation}");
        let lw = label.len() as f64 * CHAR_W;
        if x - last_label_x > lw + 8.0 {
            // Right of its tick, or left of it at the right edge.
            let (lx, anchor) = if x + 3.0 + lw > x1 {
                (x - 3.0, Some("end"))
            } else {
                (x + 3.0, None)
            };
            out.push(text("gen-label", lx, y_axis + 44.0, anchor, label));
            last_label_x = x;
        }
    }
    time_axis(t0, t1, x0, x1, y_axis, &mut out);
    if rows.is_empty() {
        out.push(text(
            "plot-row-sub",
            x0,
            y0 + 16.0,
            None,
            "No member in this window.",
        ));
    }
    figure(
        format!("Generations and rebalances of {}", g.group_id),
        w,
        h,
        nodes(out),
        Html::default(),
        g.summary(m.now_ms),
    )
}

// ---- the panel ----------------------------------------------------------------------------

/// The Plots tab: every chart that has data, and a sentence for each that has none yet.
pub fn charts(m: &Metrics) -> Html {
    let lag = if m.lag.is_empty() {
        empty(
            "No consumer group reads a topic in this scenario, so there is no lag to plot.".into(),
        )
    } else if m.lag.iter().all(|g| g.total.points().is_empty()) {
        empty("No lag measured yet: step the scenario forward.".into())
    } else {
        nodes(m.lag.iter().map(|g| lag_chart(g, m)).collect())
    };
    let latency = if m.latency.is_empty() {
        empty("No batch has been acknowledged yet: the latency of each one will appear here (acks=0 counts as acknowledged when it is sent).".into())
    } else {
        latency_chart(m)
    };
    let generations = if m.groups.is_empty() {
        empty("No consumer group in this scenario, so there are no generations to show.".into())
    } else {
        nodes(
            m.groups
                .iter()
                .map(|g| generations_chart(g, m.group_lag(g.group), m))
                .collect(),
        )
    };
    html! {
        <div class="plots">
            {nodes(vec![
                block("Consumer lag", lag),
                block("Produce latency by acks", latency),
                block("Generations and rebalances", generations),
            ])}
        </div>
    }
}
