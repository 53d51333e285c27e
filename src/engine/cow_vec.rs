//! A growable vector whose clones share memory: the storage behind time
//! travel.
//!
//! Time travel keeps snapshots of the whole engine every few thousand steps
//! and replays from the nearest one. A 100,000-record run holds about 80 MB
//! of partition logs, records and ledger entries; copying that per snapshot
//! would cost tens of milliseconds and gigabytes. But nearly all of it is
//! append-only history that two snapshots have in common, so the big
//! append-only collections are kept in fixed-size **chunks** behind reference
//! counts. Cloning copies one pointer per chunk; writing to an element copies
//! just its chunk if a snapshot still shares it (copy-on-write, like a
//! persistent vector: 64-element leaves under 64-pointer branches). Kafka keeps a log in segment files for a similar
//! reason: old segments are immutable, only the active one changes.
//!
//! Iteration order, indexing and contents are exactly those of a `Vec`, so
//! the engine's behaviour does not depend on the chunking.

// `Rc`, not `Arc`: the engine is single-threaded (it is not `Send`), and a
// push checks its chunks' counts: plain loads, not atomic operations.
use std::rc::Rc;

/// Elements per leaf chunk: a write to a shared element copies one leaf
/// (and one branch of pointers), so a snapshot costs little even when the
/// run keeps appending to many logs.
const LEAF: usize = 64;
/// Leaves per branch: a clone copies one pointer per `LEAF × BRANCH` =
/// 4096 elements.
const BRANCH: usize = 64;
const PER_BRANCH: usize = LEAF * BRANCH;

type Leaf<T> = Rc<Vec<T>>;

/// `Rc::make_mut` with its common case inlined: a chunk no snapshot shares
/// is written in place after two loads; only a shared one is copied (out
/// of line). Every push and every write goes through here. (Inlined
/// everywhere natively; the page leaves it to the compiler, which keeps
/// its first load smaller.)
#[cfg_attr(engine_speed, inline(always))]
fn unique<V: Clone>(rc: &mut Rc<V>) -> &mut V {
    if Rc::get_mut(rc).is_none() {
        unshare(rc);
    }
    Rc::get_mut(rc).expect("unshared above")
}

#[cold]
#[inline(never)]
fn unshare<V: Clone>(rc: &mut Rc<V>) {
    Rc::make_mut(rc);
}

/// A new empty branch or leaf of room `n` at the end of `chunks`: every
/// 64th push. Out of line natively; the page keeps it in `push`.
#[cfg_attr(engine_speed, cold, inline(never))]
#[cfg_attr(not(engine_speed), inline(always))]
fn new_chunk<V>(chunks: &mut Vec<Rc<Vec<V>>>, n: usize) {
    chunks.push(Rc::new(Vec::with_capacity(n)));
}

#[derive(Clone)]
pub struct CowVec<T> {
    branches: Vec<Rc<Vec<Leaf<T>>>>,
    len: usize,
}

impl<T> Default for CowVec<T> {
    fn default() -> Self {
        CowVec {
            branches: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> CowVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// (Inlined natively: records, logs and the ledger push ~250,000
    /// times in a 3 x 20k-record W1 run; a new leaf is out of line.)
    #[cfg_attr(engine_speed, inline(always))]
    pub fn push(&mut self, value: T) {
        if self.len % PER_BRANCH == 0 {
            new_chunk(&mut self.branches, BRANCH);
        }
        let branch = unique(self.branches.last_mut().expect("a branch was just ensured"));
        if self.len % LEAF == 0 {
            new_chunk(branch, LEAF);
        }
        unique(branch.last_mut().expect("a leaf was just ensured")).push(value);
        self.len += 1;
    }

    #[cfg_attr(not(engine_speed), inline)]
    #[cfg_attr(engine_speed, inline(always))]
    fn at(&self, i: usize) -> &T {
        &self.branches[i / PER_BRANCH][(i % PER_BRANCH) / LEAF][i % LEAF]
    }

    #[cfg_attr(engine_speed, inline(always))]
    pub fn get(&self, i: usize) -> Option<&T> {
        (i < self.len).then(|| self.at(i))
    }

    /// A mutable element; copies its leaf (and branch) first if a clone
    /// shares them.
    #[cfg_attr(engine_speed, inline(always))]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        let branch = unique(&mut self.branches[i / PER_BRANCH]);
        let leaf = unique(&mut branch[(i % PER_BRANCH) / LEAF]);
        Some(&mut leaf[i % LEAF])
    }

    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).map(|i| self.at(i))
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// All elements, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.branches
            .iter()
            .flat_map(|b| b.iter())
            .flat_map(|l| l.iter())
    }

    /// Elements `lo..hi` (clamped to the length), in order.
    pub fn range(&self, lo: usize, hi: usize) -> impl Iterator<Item = &T> + '_ {
        let hi = hi.min(self.len);
        let lo = lo.min(hi);
        (lo..hi).map(move |i| self.at(i))
    }

    /// Keeps the first `n` elements and returns the rest, in order.
    pub fn split_off(&mut self, n: usize) -> Vec<T> {
        if n >= self.len {
            return Vec::new();
        }
        let removed: Vec<T> = self.range(n, self.len).cloned().collect();
        self.truncate(n);
        removed
    }

    /// Grows to `n` elements with copies of `value` (never shrinks).
    #[cfg(not(engine_speed))]
    pub fn resize(&mut self, n: usize, value: T) {
        while self.len < n {
            self.push(value.clone());
        }
    }

    /// Keeps the first `n` elements.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        self.branches.truncate(n.div_ceil(PER_BRANCH));
        let in_branch = n % PER_BRANCH;
        if in_branch != 0 {
            let branch = Rc::make_mut(self.branches.last_mut().expect("n > 0"));
            branch.truncate(in_branch.div_ceil(LEAF));
            if in_branch % LEAF != 0 {
                let leaf = Rc::make_mut(branch.last_mut().expect("in_branch > 0"));
                leaf.truncate(in_branch % LEAF);
            }
        }
        self.len = n;
    }

    /// Every element, mutably (copies every shared leaf).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.branches
            .iter_mut()
            .flat_map(|b| Rc::make_mut(b).iter_mut())
            .flat_map(|l| Rc::make_mut(l).iter_mut())
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

impl<T: Clone> std::ops::Index<usize> for CowVec<T> {
    type Output = T;
    #[cfg_attr(engine_speed, inline(always))]
    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(v) => v,
            None => panic!("index {i} out of bounds (len {})", self.len),
        }
    }
}

impl<T: Clone> std::ops::IndexMut<usize> for CowVec<T> {
    #[cfg_attr(engine_speed, inline(always))]
    fn index_mut(&mut self, i: usize) -> &mut T {
        let len = self.len;
        match self.get_mut(i) {
            Some(v) => v,
            None => panic!("index {i} out of bounds (len {len})"),
        }
    }
}

impl<T: Clone> FromIterator<T> for CowVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = CowVec::new();
        for x in iter {
            v.push(x);
        }
        v
    }
}

impl<T: Clone + PartialEq> PartialEq for CowVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Clone + Eq> Eq for CowVec<T> {}

impl<T: Clone + std::fmt::Debug> std::fmt::Debug for CowVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// A value shared between snapshots until one of them writes to it (then
/// that one gets its own copy). Used for a broker's replicas: a cluster
/// hosts 150 replicas of `__consumer_offsets` alone, and between two
/// snapshots only a few of them change.
#[derive(Clone, PartialEq, Eq)]
pub struct Shared<T>(Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Rc::new(value))
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> std::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        unique(&mut self.0)
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_across_chunk_boundaries() {
        let mut c = CowVec::new();
        let mut v = Vec::new();
        for i in 0..(3 * PER_BRANCH + 7) {
            c.push(i);
            v.push(i);
        }
        assert_eq!(c.len(), v.len());
        assert!(c.iter().eq(v.iter()));
        assert!(c
            .range(LEAF - 2, PER_BRANCH + 3)
            .eq(v[LEAF - 2..PER_BRANCH + 3].iter()));
        #[cfg(engine_speed)]
        for (lo, hi) in [(LEAF - 2, PER_BRANCH + 3), (5, 5), (3, 9), (0, usize::MAX)] {
            assert_eq!(c.copy_range(lo, hi), v[lo..hi.min(v.len())]);
        }
        assert_eq!(
            c.split_off(PER_BRANCH + LEAF + 1),
            v.split_off(PER_BRANCH + LEAF + 1)
        );
        assert!(c.iter().eq(v.iter()));
        c.truncate(PER_BRANCH);
        v.truncate(PER_BRANCH);
        assert!(c.iter().eq(v.iter()));
        c.truncate(LEAF + 3);
        v.truncate(LEAF + 3);
        assert!(c.iter().eq(v.iter()));
        c.push(99);
        v.push(99);
        assert_eq!(c.last(), v.last());
        assert_eq!(c.to_vec(), v);
    }

    #[test]
    fn a_write_after_clone_leaves_the_clone_unchanged() {
        let mut a: CowVec<u32> = (0..9000).collect();
        let snapshot = a.clone();
        a[5] = 500;
        a.push(7);
        a.truncate(10);
        assert_eq!(snapshot.len(), 9000);
        assert_eq!(snapshot[5], 5);
        assert_eq!(snapshot[8999], 8999);
        assert_eq!(a[5], 500);
        assert_eq!(a.len(), 10);
    }

    #[test]
    fn untouched_chunks_are_shared_not_copied() {
        let mut a: CowVec<u32> = (0..(2 * PER_BRANCH as u32)).collect();
        let snapshot = a.clone();
        a[0] = 1;
        // Only the first leaf (and its branch) was copied.
        assert!(!Rc::ptr_eq(&a.branches[0], &snapshot.branches[0]));
        assert!(!Rc::ptr_eq(&a.branches[0][0], &snapshot.branches[0][0]));
        for k in 1..BRANCH {
            assert!(Rc::ptr_eq(&a.branches[0][k], &snapshot.branches[0][k]));
        }
        assert!(Rc::ptr_eq(&a.branches[1], &snapshot.branches[1]));
    }
}

/// A log read's entries (`PartitionLog::read`), natively. (At the end of
/// the file: the page's code keeps its lines, and so its panic locations.)
#[cfg(engine_speed)]
impl<T: Clone + Copy> CowVec<T> {
    /// Elements `lo..hi` (clamped to the length) in a new vector, copied a
    /// leaf's run at a time: collecting `range` took its three bounds
    /// checks and a 72-byte copy for each entry of ~107,000 log reads in
    /// the 3 x 20k-record W1 full run. The page collects `range`.
    #[inline(always)]
    pub fn copy_range(&self, lo: usize, hi: usize) -> Vec<T> {
        let mut out = Vec::new();
        self.copy_range_into(lo, hi, &mut out);
        out
    }
}

/// A follower's append of the entries a fetch brought (`PartitionLog`'s
/// native `append_fetched`), natively.
#[cfg(engine_speed)]
impl<T: Clone + Copy> CowVec<T> {
    /// Appends `values` in order, a leaf's run at a time: each run checks
    /// its chunks' counts once and is copied by one `extend_from_slice`.
    /// `push` checks both chunks and moves one element at a time: ~100
    /// instructions for each 72-byte log entry of the ~244,000 a follower
    /// appended in the 3 x 20k-record W1 full run (about four per fetch
    /// answer). The page pushes one at a time.
    #[inline(always)]
    pub fn extend_from_slice(&mut self, mut values: &[T]) {
        while !values.is_empty() {
            let (run, rest) = values.split_at((LEAF - self.len % LEAF).min(values.len()));
            self.last_leaf().extend_from_slice(run);
            self.len += run.len();
            values = rest;
        }
    }
}

#[cfg(all(test, engine_speed))]
mod extend_tests {
    use super::*;

    #[test]
    fn extend_from_slice_is_pushes_in_order_and_leaves_a_clone_alone() {
        let mut pushed = CowVec::new();
        let mut extended = CowVec::new();
        let mut n = 0u32;
        for run in [0, 1, 3, LEAF - 4, LEAF + 5, PER_BRANCH, 2 * LEAF + 1] {
            let values: Vec<u32> = (n..n + run as u32).collect();
            n += run as u32;
            let snapshot = extended.clone();
            values.iter().for_each(|v| pushed.push(*v));
            extended.extend_from_slice(&values);
            assert_eq!(extended, pushed);
            assert_eq!(snapshot.len() + run, extended.len());
            assert!(snapshot.iter().eq(pushed.iter().take(snapshot.len())));
        }
    }
}

/// Batched access, natively: the ledger's batch events (`Ledger::observe`).
#[cfg(engine_speed)]
impl<T: Clone> CowVec<T> {
    /// A reader that keeps the last leaf it read: indexes close together
    /// (a produce batch's records, a few to a leaf) are read without the
    /// walk from the root (two divisions and three bounds checks).
    #[inline(always)]
    pub fn reader(&self) -> Reader<'_, T> {
        Reader {
            v: self,
            base: 0,
            leaf: &[],
        }
    }

    /// `f(element, x)` for each `(i, x)` of `at` with `i` in bounds, in
    /// order: as `get_mut(i).map(|e| f(e, x))` for each, but a run of
    /// indexes in one leaf walks to it and checks its chunks' sharing
    /// once, not once an index.
    #[inline(always)]
    pub fn for_each_at_mut<X>(
        &mut self,
        at: impl Iterator<Item = (usize, X)>,
        mut f: impl FnMut(&mut T, X),
    ) {
        let mut at = at.peekable();
        while let Some((i, x)) = at.next() {
            if i >= self.len {
                continue;
            }
            let branch = unique(&mut self.branches[i / PER_BRANCH]);
            let leaf = unique(&mut branch[(i % PER_BRANCH) / LEAF]);
            f(&mut leaf[i % LEAF], x);
            // The leaf's length bounds the run: past it is past `len`.
            while let Some((j, _)) = at.peek() {
                if j / LEAF != i / LEAF {
                    break;
                }
                let (j, x) = at.next().expect("peeked");
                if let Some(e) = leaf.get_mut(j % LEAF) {
                    f(e, x);
                }
            }
        }
    }
}

/// See [`CowVec::reader`].
#[cfg(engine_speed)]
pub struct Reader<'a, T> {
    v: &'a CowVec<T>,
    /// The index of `leaf`'s first element.
    base: usize,
    leaf: &'a [T],
}

#[cfg(engine_speed)]
impl<'a, T: Clone> Reader<'a, T> {
    /// As [`CowVec::get`].
    #[inline(always)]
    pub fn get(&mut self, i: usize) -> Option<&'a T> {
        // Below `base` wraps to a huge offset: not in the leaf.
        if let Some(x) = self.leaf.get(i.wrapping_sub(self.base)) {
            debug_assert!(std::ptr::eq(x, self.v.at(i)), "the kept leaf holds {i}");
            return Some(x);
        }
        if i >= self.v.len {
            return None;
        }
        self.base = i - i % LEAF;
        self.leaf = &self.v.branches[i / PER_BRANCH][(i % PER_BRANCH) / LEAF];
        Some(&self.leaf[i % LEAF])
    }
}

#[cfg(all(test, engine_speed))]
mod batch_tests {
    use super::*;

    #[test]
    fn reader_and_for_each_at_mut_are_get_and_get_mut() {
        let n = 2 * PER_BRANCH + 70;
        let mut a: CowVec<u32> = (0..n as u32).collect();
        let snapshot = a.clone();
        let mut v: Vec<u32> = a.to_vec();
        // Runs within a leaf, leaf and branch crossings, repeats, a step
        // back, and indexes past the end.
        let at = [0, 3, 63, 64, 65, 4000, 4095, 4096, 5, 5, n - 1, n, n + 3, 7];
        let mut r = a.reader();
        for i in at.into_iter().chain(0..n + 2) {
            assert_eq!(r.get(i), v.get(i));
        }
        a.for_each_at_mut(at.iter().map(|&i| (i, i as u32)), |e, x| *e += x + 1);
        for i in at {
            if let Some(e) = v.get_mut(i) {
                *e += i as u32 + 1;
            }
        }
        assert_eq!(a.to_vec(), v);
        assert!(snapshot.iter().copied().eq(0..n as u32));
    }
}

/// A push that builds its element in place, natively: the record table's
/// (`Engine::records`) pushes, through [`push_in_place!`].
#[cfg(engine_speed)]
impl<T: Clone> CowVec<T> {
    /// As `push(make())`, but `make` runs once the element's slot is
    /// ready, so the element is written straight into it. `push(value)`
    /// builds `value` before it makes its leaf unique and checks its
    /// capacity (calls that `value` has to outlive), and so in memory of
    /// its own: a 136-byte `RecordData` was built, copied to `push`'s
    /// argument and copied into the leaf (~29 instructions of `memcpy`
    /// each) for every produced record and every offset commit of the
    /// 3 x 20k-record W1 full run.
    #[inline(always)]
    pub fn push_with(&mut self, make: impl FnOnce() -> T) {
        let leaf = self.last_leaf();
        // With room checked here, `Vec::push`'s own check is known to
        // pass and `make`'s value goes straight into the slot. A leaf
        // copied by a snapshot's write may be full (a cloned `Vec` keeps
        // no spare room): that push grows it, out of line.
        if leaf.len() < leaf.capacity() {
            leaf.push(make());
        } else {
            push_growing(leaf, make);
        }
        self.len += 1;
    }
}

#[cfg(engine_speed)]
impl<T: Clone> CowVec<T> {
    /// The leaf the next element goes to, made unique (with its branch),
    /// and new if the last one is full: `push`'s walk, for the native
    /// appends (`push_with`, `extend_from_slice`).
    #[inline(always)]
    fn last_leaf(&mut self) -> &mut Vec<T> {
        if self.len % PER_BRANCH == 0 {
            new_chunk(&mut self.branches, BRANCH);
        }
        let branch = unique(self.branches.last_mut().expect("a branch was just ensured"));
        if self.len % LEAF == 0 {
            new_chunk(branch, LEAF);
        }
        unique(branch.last_mut().expect("a leaf was just ensured"))
    }
}

/// [`CowVec::push_with`]'s push into a full leaf.
#[cfg(engine_speed)]
#[cold]
#[inline(never)]
fn push_growing<V>(leaf: &mut Vec<V>, make: impl FnOnce() -> V) {
    leaf.push(make());
}

/// `push_in_place!(self.records.push(value))`: natively
/// `self.records.push_with(|| value)` ([`CowVec::push_with`], the value
/// built in its slot), on the course page the push as written, exactly the
/// tokens the page always had (as `sim.rs`'s `speed_or_page!`, whose page
/// expression would repeat `value`; one argument, so `rustfmt` keeps the
/// push's lines and the page's panic locations below it).
#[cfg(engine_speed)]
macro_rules! push_in_place {
    ($owner:ident . $vec:ident . push($value:expr)) => {{
        #[allow(unused_imports)] // A `CowVec`'s own `push_with` comes first.
        use $crate::engine::cow_vec::PushWith as _;
        $owner.$vec.push_with(|| $value)
    }};
}
#[cfg(not(engine_speed))]
macro_rules! push_in_place {
    ($owner:ident . $vec:ident . push($value:expr)) => {
        $owner.$vec.push($value)
    };
}
pub(crate) use push_in_place;

#[cfg(all(test, engine_speed))]
mod push_with_tests {
    use super::*;

    #[test]
    fn push_with_is_push_and_leaves_a_clone_alone() {
        let mut pushed = CowVec::new();
        let mut built = CowVec::new();
        for i in 0..(PER_BRANCH + 2 * LEAF + 3) as u32 {
            // A snapshot's write leaves a full, cloned leaf behind it now
            // and then: the next push must make room.
            let snapshot = built.clone();
            if i % 97 == 0 && i > 0 {
                built[i as usize - 1] = i - 1;
            }
            pushed.push(i);
            built.push_with(|| i);
            assert_eq!(built, pushed);
            assert_eq!(snapshot.len() + 1, built.len());
        }
    }
}

/// Growth a leaf's run at a time, natively: the ledger's index and count
/// tables (`ledger.rs`) grow by `resize`.
#[cfg(engine_speed)]
impl<T: Clone> CowVec<T> {
    /// Grows to `n` elements with copies of `value` (never shrinks), a
    /// leaf's run at a time: each run checks its chunks' counts once and
    /// is filled by one `Vec::resize`. The page pushes one at a time
    /// (~40 instructions an element), and the ledger's per-group
    /// processed counts grow ~12 cells at a time, a produce batch's worth
    /// of one partition's records (~62,000 cells in the 3 x 20k-record W1
    /// full run, ~2.5 M instructions).
    #[inline(always)]
    pub fn resize(&mut self, n: usize, value: T) {
        while self.len < n {
            let run = (LEAF - self.len % LEAF).min(n - self.len);
            let leaf = self.last_leaf();
            leaf.resize(leaf.len() + run, value.clone());
            self.len += run;
        }
    }
}

#[cfg(all(test, engine_speed))]
mod resize_tests {
    use super::*;

    #[test]
    fn resize_is_pushes_and_leaves_a_clone_alone() {
        let mut pushed = CowVec::new();
        let mut grown = CowVec::new();
        for (k, n) in [
            0,
            1,
            3,
            LEAF - 1,
            LEAF + 5,
            PER_BRANCH + 2,
            2 * PER_BRANCH + LEAF,
        ]
        .into_iter()
        .enumerate()
        {
            let snapshot = grown.clone();
            while pushed.len() < n {
                pushed.push(k as u32);
            }
            grown.resize(n, k as u32);
            assert_eq!(grown, pushed);
            assert_eq!(snapshot.len() + (n - snapshot.len().min(n)), grown.len());
            assert!(snapshot.iter().eq(pushed.iter().take(snapshot.len())));
        }
    }
}

/// `push_with` for a plain `Vec`, natively: the outbox's effects
/// (`outbox.rs`), through [`push_in_place!`].
#[cfg(engine_speed)]
pub(crate) trait PushWith<T> {
    /// As `push(make())`, with `make`'s value written straight into its
    /// slot (see [`CowVec::push_with`]).
    fn push_with(&mut self, make: impl FnOnce() -> T);
}

#[cfg(engine_speed)]
impl<T> PushWith<T> for Vec<T> {
    #[inline(always)]
    fn push_with(&mut self, make: impl FnOnce() -> T) {
        if self.len() < self.capacity() {
            self.push(make());
        } else {
            push_growing(self, make);
        }
    }
}

/// A log read's entries into a buffer kept from an earlier read
/// (`PartitionLog::read_into`), natively.
#[cfg(engine_speed)]
impl<T: Clone + Copy> CowVec<T> {
    /// Appends elements `lo..hi` (clamped to the length) to `out`, copied
    /// a leaf's run at a time ([`CowVec::copy_range`] into a given
    /// buffer: one with room already takes no allocation).
    #[inline(always)]
    pub fn copy_range_into(&self, lo: usize, hi: usize, out: &mut Vec<T>) {
        let hi = hi.min(self.len);
        let mut i = lo.min(hi);
        out.reserve(hi - i);
        while i < hi {
            let leaf = &self.branches[i / PER_BRANCH][(i % PER_BRANCH) / LEAF];
            let start = i % LEAF;
            let end = leaf.len().min(start + (hi - i));
            out.extend_from_slice(&leaf[start..end]);
            i += end - start;
        }
    }
}
