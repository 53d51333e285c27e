//! Java's `String` ordering/hashing and a faithful model of `java.util.HashMap` iteration order.
//!
//! Why this exists: Kafka's assignors are Java code, and a few of their decisions depend on
//! *the order in which a `java.util.HashMap` or `HashSet` hands back its entries*. Two examples
//! that change real assignments:
//!
//! * `AbstractStickyAssignor.ConstrainedAssignmentBuilder.assignOwnedPartitions` walks the
//!   members in HashMap order, and only the first `total % members` members it meets that own
//!   "max quota" partitions are allowed to keep that many; later ones are cut down to min quota.
//! * `PartitionMovements.getTheActualPartitionToBeMoved` returns
//!   `set.iterator().next()` of a `HashSet<TopicPartition>` — literally "whatever comes first".
//!
//! A HashMap's iteration order is not random, it is fully determined by the keys' `hashCode()`,
//! the table size and the insertion history. This module reproduces OpenJDK's `HashMap`
//! (JDK 8 through 25 share the algorithm) so the Rust port makes the same choices:
//!
//! * `hash = h ^ (h >>> 16)` ("spread"), bucket `= hash & (table.length - 1)`;
//! * the table is allocated lazily (16 buckets, threshold 12 for the default constructor) and
//!   doubles when `++size > threshold`; a resize splits every bucket into a "lo" and a "hi" list
//!   **preserving relative order**;
//! * new keys are appended at the tail of their bucket's chain;
//! * a chain that reaches 9 nodes is *treeified* (a red-black tree ordered by hash, then by
//!   `compareTo` for `Comparable` keys) — unless the table is smaller than 64, in which case the
//!   table is resized instead. Tree bins still keep a `next` list, but its order is perturbed:
//!   the tree root is moved to the front and new nodes are linked right after their tree parent.
//!   Tree bins shrink back into plain chains on resize (≤ 6 nodes) or when the tree gets small
//!   during removal.
//!
//! Iteration walks buckets `0..n` and follows each bucket's `next` list — exactly what
//! `HashMap.HashIterator` does.
//!
//! The only thing that cannot be reproduced is `HashMap.TreeNode.tieBreakOrder`, used when two
//! *non-Comparable* keys with the same 32-bit hash share a tree bin: Java breaks that tie with
//! `System.identityHashCode`, which is random per JVM run. We break it by insertion sequence.
//! (For the sets Kafka iterates — partitions of one topic — distinct keys never share a hash,
//! so this path is unreachable there.)
//!
//! Also here: Java's `String.hashCode()` (31-polynomial over UTF-16 code units with `int`
//! overflow) and `String.compareTo()` (UTF-16 code unit order, so `"B" < "a"` and
//! `"consumer-10" < "consumer-2"`), plus `TopicPartition.hashCode()`.

use std::cmp::Ordering;

use super::List;

/// `java.lang.String.hashCode()`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units,
/// with 32-bit two's-complement overflow.
pub fn string_hash_code(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

/// `java.lang.String.compareTo()`: lexicographic over UTF-16 code units, a proper prefix sorts
/// first. This differs from Rust's `str` ordering (UTF-8 bytes = code points) only when a
/// supplementary character (U+10000 and up, encoded as surrogates 0xD800..0xDFFF) meets a
/// character in U+E000..=U+FFFF; we take the cheap path whenever that cannot happen.
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    if a.is_ascii() || b.is_ascii() {
        // An ASCII string never contains surrogates or U+E000..; byte order agrees with UTF-16.
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `org.apache.kafka.common.TopicPartition.hashCode()`:
/// `31 * (31 + partition) + topic.hashCode()` with `int` overflow.
pub fn topic_partition_hash_code(topic_hash: i32, partition: u32) -> i32 {
    // Kafka partitions are Java ints; a u32 above i32::MAX would be negative in Java.
    let p = partition as i32;
    31i32
        .wrapping_add(p)
        .wrapping_mul(31)
        .wrapping_add(topic_hash)
}

/// `HashMap.hash(key)`: fold the high 16 bits into the low ones, because the bucket index only
/// uses the low bits of the hash.
pub fn spread(h: i32) -> i32 {
    h ^ ((h as u32) >> 16) as i32
}

/// A key that knows its Java `hashCode()` and, if its Java class implements `Comparable`, its
/// Java `compareTo()`.
pub trait JavaKey: Eq {
    /// The key's Java `hashCode()`.
    fn java_hash_code(&self) -> i32;
    /// `Some(order)` if the Java class is `Comparable` (e.g. `String`); `None` otherwise (e.g.
    /// `TopicPartition`). Only consulted inside treeified bins.
    fn java_compare(&self, _other: &Self) -> Option<Ordering> {
        None
    }
}

impl JavaKey for String {
    fn java_hash_code(&self) -> i32 {
        string_hash_code(self)
    }
    fn java_compare(&self, other: &Self) -> Option<Ordering> {
        Some(compare_strings(self, other))
    }
}

/// `java.lang.Integer`: `hashCode()` is the value itself, `compareTo` the numeric order.
impl JavaKey for i32 {
    fn java_hash_code(&self) -> i32 {
        *self
    }
    fn java_compare(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The initial capacity `new HashSet<>(collection)` asks for, as JDK 19 and later compute it
/// (`HashMap.newHashMap(Math.max(c.size(), 12))`: `ceil(max(size, 12) / 0.75)`, so never
/// less than 16 buckets). This is the JDK of Kafka's official image (Java 21). Pass it to
/// [`JavaHashMap::with_capacity`].
///
/// JDK 17 asked for `Math.max((int) (c.size() / .75f) + 1, 16)`, which gives a table twice
/// as large — and so a different iteration order — for sizes of 24, 48, 96, ... elements.
pub fn hash_set_capacity(len: usize) -> usize {
    (len.max(12) as f64 / 0.75).ceil() as usize
}

const NIL: usize = usize::MAX;
const DEFAULT_INITIAL_CAPACITY: usize = 16;
const MAXIMUM_CAPACITY: usize = 1 << 30;
const LOAD_FACTOR: f32 = 0.75;
const TREEIFY_THRESHOLD: usize = 8;
const UNTREEIFY_THRESHOLD: usize = 6;
const MIN_TREEIFY_CAPACITY: usize = 64;

/// One node of the table. Keys and values live beside it, in `JavaHashMap::entries`.
struct Slot {
    hash: i32,
    next: usize,
    // Tree-bin fields (meaningful only while `tree` is true).
    tree: bool,
    parent: usize,
    /// Left and right child.
    child: [usize; 2],
    prev: usize,
    red: bool,
    /// Insertion sequence: our stand-in for `System.identityHashCode` in `tieBreakOrder`.
    seq: u64,
}

/// `compareTo` between the keys of two nodes (`None`: the key class is not `Comparable`).
type Cmp<'c> = &'c dyn Fn(usize, usize) -> Option<Ordering>;

/// The key-independent part of the map: buckets, chains and tree bins, addressed by node
/// index. It is not generic, so every `JavaHashMap<K, V>` shares one copy of this code; the
/// few places that compare keys get a `Cmp` callback.
struct Table {
    /// Bucket heads; empty until the first insertion (Java allocates lazily).
    table: List<usize>,
    slots: List<Slot>,
    free: Vec<usize>,
    size: usize,
    /// Java's `threshold` field: before allocation it holds the initial capacity.
    threshold: usize,
    seq: u64,
}

/// `java.util.HashMap<K, V>` with the default load factor, reproducing its iteration order.
///
/// `HashSet<E>` is a `HashMap<E, Object>` in Java, so use `JavaHashMap<E, ()>` for it.
pub struct JavaHashMap<K, V> {
    t: Table,
    /// Key and value of each node (`None` for free nodes), indexed like `Table::slots`.
    entries: List<Option<(K, V)>>,
}

impl<K: JavaKey, V> Default for JavaHashMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: JavaKey, V> JavaHashMap<K, V> {
    /// `new HashMap<>()`: 16 buckets on first use.
    pub fn new() -> Self {
        JavaHashMap {
            t: Table {
                table: List(Vec::new()),
                slots: List(Vec::new()),
                free: Vec::new(),
                size: 0,
                threshold: 0,
                seq: 0,
            },
            entries: List(Vec::new()),
        }
    }

    /// `new HashMap<>(initialCapacity)`: the table size is the next power of two.
    pub fn with_capacity(initial_capacity: usize) -> Self {
        let mut map = Self::new();
        map.t.threshold = table_size_for(initial_capacity.min(MAXIMUM_CAPACITY));
        map
    }

    pub fn len(&self) -> usize {
        self.t.size
    }

    pub fn is_empty(&self) -> bool {
        self.t.size == 0
    }

    fn find_node(&self, key: &K) -> usize {
        let entries = &self.entries;
        self.t.find(
            spread(key.java_hash_code()),
            &|e| matches!(&entries[e], Some((k, _)) if k == key),
        )
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.find_node(key) != NIL
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        match self.find_node(key) {
            NIL => None,
            i => self.entries[i].as_ref().map(|(_, v)| v),
        }
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.find_node(key) {
            NIL => None,
            i => self.entries[i].as_mut().map(|(_, v)| v),
        }
    }

    /// Entries in `HashMap.entrySet().iterator()` order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            map: self,
            bucket: 0,
            node: NIL,
        }
    }

    /// Keys in iteration order.
    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.iter().map(|(k, _)| k)
    }

    /// `keySet().iterator().next()`.
    pub fn first_key(&self) -> Option<&K> {
        self.iter().next().map(|(k, _)| k)
    }

    /// `HashMap.put` (`putVal(hash, key, value, false, true)`): returns the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let existing = self.find_node(&key);
        if existing != NIL {
            // Replacing a value never moves the node.
            return self.entries[existing]
                .as_mut()
                .map(|(_, v)| std::mem::replace(v, value));
        }
        let node = self.t.alloc(spread(key.java_hash_code()));
        if node == self.entries.len() {
            self.entries.push(Some((key, value)));
        } else {
            self.entries[node] = Some((key, value));
        }
        let entries = &self.entries;
        self.t.link(node, &|a, b| match (&entries[a], &entries[b]) {
            (Some((x, _)), Some((y, _))) => x.java_compare(y),
            _ => None,
        });
        None
    }

    /// `HashMap.remove(key)` (`removeNode(..., movable = true)`).
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let node = self.find_node(key);
        if node == NIL {
            return None;
        }
        self.t.unlink(node);
        self.entries[node].take().map(|(_, v)| v)
    }
}

impl Table {
    /// Node `i`. All node accesses go through these two, so the table code shares one bounds
    /// check panic location instead of carrying one per access.
    #[inline(always)]
    fn n(&self, i: usize) -> &Slot {
        &self.slots[i]
    }

    #[inline(always)]
    fn m(&mut self, i: usize) -> &mut Slot {
        &mut self.slots[i]
    }

    /// The node with hash `hash` whose key satisfies `is_key`, or `NIL`.
    fn find(&self, hash: i32, is_key: &dyn Fn(usize) -> bool) -> usize {
        if self.table.is_empty() {
            return NIL;
        }
        let mut e = self.table[bucket(hash, self.table.len())];
        // Tree bins keep every node on the `next` list too, so a list walk finds the same node.
        while e != NIL {
            if self.n(e).hash == hash && is_key(e) {
                return e;
            }
            e = self.n(e).next;
        }
        NIL
    }

    /// Java's `newNode` for a key about to be inserted; the caller stores the entry at the
    /// returned index, then calls `link`.
    fn alloc(&mut self, hash: i32) -> usize {
        self.seq += 1;
        let slot = Slot {
            hash,
            next: NIL,
            tree: false,
            parent: NIL,
            child: [NIL; 2],
            prev: NIL,
            red: false,
            seq: self.seq,
        };
        if let Some(i) = self.free.pop() {
            self.slots[i] = slot;
            i
        } else {
            self.slots.push(slot);
            self.slots.len() - 1
        }
    }

    /// The rest of `putVal` for a key known to be absent, allocated as `node`.
    fn link(&mut self, node: usize, cmp: Cmp<'_>) {
        if self.table.is_empty() {
            self.resize(cmp);
        }
        let hash = self.n(node).hash;
        let i = bucket(hash, self.table.len());
        let p = self.table[i];
        if p == NIL {
            self.table[i] = node;
        } else if self.n(p).tree {
            self.put_tree_val(p, node, cmp);
        } else {
            // Append at the tail; `bin_count` ends as (chain length before append) - 1.
            let mut p = p;
            let mut bin_count = 0usize;
            while self.n(p).next != NIL {
                p = self.n(p).next;
                bin_count += 1;
            }
            self.m(p).next = node;
            if bin_count >= TREEIFY_THRESHOLD - 1 {
                self.treeify_bin(hash, cmp);
            }
        }
        self.size += 1;
        if self.size > self.threshold {
            self.resize(cmp);
        }
    }

    /// `removeNode(..., movable = true)` of a node found by `find`.
    fn unlink(&mut self, node: usize) {
        let index = bucket(self.n(node).hash, self.table.len());
        if self.n(node).tree {
            self.remove_tree_node(node, true);
        } else {
            let head = self.table[index];
            if head == node {
                self.table[index] = self.n(node).next;
            } else {
                let mut p = head;
                while self.n(p).next != node {
                    p = self.n(p).next;
                }
                self.m(p).next = self.n(node).next;
            }
        }
        self.size -= 1;
        self.m(node).next = NIL;
        self.free.push(node);
    }

    /// `HashMap.resize()`: allocate, or double and split every bin preserving order.
    fn resize(&mut self, cmp: Cmp<'_>) {
        let old_cap = self.table.len();
        let old_thr = self.threshold;
        let new_cap;
        let mut new_thr = 0usize;
        if old_cap > 0 {
            if old_cap >= MAXIMUM_CAPACITY {
                self.threshold = i32::MAX as usize;
                return;
            }
            new_cap = old_cap << 1;
            if new_cap < MAXIMUM_CAPACITY && old_cap >= DEFAULT_INITIAL_CAPACITY {
                new_thr = old_thr << 1;
            }
        } else if old_thr > 0 {
            new_cap = old_thr;
        } else {
            new_cap = DEFAULT_INITIAL_CAPACITY;
            new_thr = (LOAD_FACTOR * DEFAULT_INITIAL_CAPACITY as f32) as usize;
        }
        if new_thr == 0 {
            let ft = new_cap as f32 * LOAD_FACTOR;
            new_thr = if new_cap < MAXIMUM_CAPACITY && ft < MAXIMUM_CAPACITY as f32 {
                ft as usize
            } else {
                i32::MAX as usize
            };
        }
        self.threshold = new_thr;
        let old_tab = std::mem::replace(&mut self.table, List(vec![NIL; new_cap]));
        for (j, &head) in old_tab.iter().enumerate() {
            if head == NIL {
                continue;
            }
            if self.n(head).next == NIL {
                let b = bucket(self.n(head).hash, new_cap);
                self.table[b] = head;
            } else if self.n(head).tree {
                self.split(head, j, old_cap, cmp);
            } else {
                let (mut lo_head, mut lo_tail, mut hi_head, mut hi_tail) = (NIL, NIL, NIL, NIL);
                let mut e = head;
                while e != NIL {
                    let next = self.n(e).next;
                    if (self.n(e).hash as u32 as usize) & old_cap == 0 {
                        if lo_tail == NIL {
                            lo_head = e;
                        } else {
                            self.m(lo_tail).next = e;
                        }
                        lo_tail = e;
                    } else {
                        if hi_tail == NIL {
                            hi_head = e;
                        } else {
                            self.m(hi_tail).next = e;
                        }
                        hi_tail = e;
                    }
                    e = next;
                }
                if lo_tail != NIL {
                    self.m(lo_tail).next = NIL;
                    self.table[j] = lo_head;
                }
                if hi_tail != NIL {
                    self.m(hi_tail).next = NIL;
                    self.table[j + old_cap] = hi_head;
                }
            }
        }
    }

    /// `HashMap.treeifyBin`: small tables grow instead of growing trees.
    fn treeify_bin(&mut self, hash: i32, cmp: Cmp<'_>) {
        let n = self.table.len();
        if n < MIN_TREEIFY_CAPACITY {
            self.resize(cmp);
            return;
        }
        let index = bucket(hash, n);
        let head = self.table[index];
        if head == NIL {
            return;
        }
        // replacementTreeNode keeps the chain order and links `prev`.
        let mut prev = NIL;
        let mut e = head;
        while e != NIL {
            let s = self.m(e);
            s.tree = true;
            s.prev = prev;
            s.parent = NIL;
            s.child = [NIL; 2];
            s.red = false;
            prev = e;
            e = s.next;
        }
        self.treeify(head, cmp);
    }

    // ---- HashMap.TreeNode -------------------------------------------------------------------

    fn root_of(&self, mut r: usize) -> usize {
        while self.n(r).parent != NIL {
            r = self.n(r).parent;
        }
        r
    }

    /// Direction for inserting node `x` below node `p`: Java's `dir` (-1 / 1).
    fn tree_dir(&self, x: usize, p: usize, cmp: Cmp<'_>) -> i32 {
        let (h, k_seq) = (self.n(x).hash, self.n(x).seq);
        let ph = self.n(p).hash;
        if ph > h {
            return -1;
        }
        if ph < h {
            return 1;
        }
        match cmp(x, p) {
            Some(Ordering::Less) => -1,
            Some(Ordering::Greater) => 1,
            // tieBreakOrder: class names equal, then identityHashCode (modelled by sequence).
            _ => {
                if k_seq <= self.n(p).seq {
                    -1
                } else {
                    1
                }
            }
        }
    }

    fn move_root_to_front(&mut self, root: usize) {
        if root == NIL || self.table.is_empty() {
            return;
        }
        let index = bucket(self.n(root).hash, self.table.len());
        let first = self.table[index];
        if root != first {
            self.table[index] = root;
            let rp = self.n(root).prev;
            let rn = self.n(root).next;
            if rn != NIL {
                self.m(rn).prev = rp;
            }
            if rp != NIL {
                self.m(rp).next = rn;
            }
            if first != NIL {
                self.m(first).prev = root;
            }
            self.m(root).next = first;
            self.m(root).prev = NIL;
        }
    }

    /// `TreeNode.treeify`: build the red-black tree from the `next` list starting at `head`.
    fn treeify(&mut self, head: usize, cmp: Cmp<'_>) {
        let mut root = NIL;
        let mut x = head;
        while x != NIL {
            let next = self.n(x).next;
            self.m(x).child[0] = NIL;
            self.m(x).child[1] = NIL;
            if root == NIL {
                self.m(x).parent = NIL;
                self.m(x).red = false;
                root = x;
            } else {
                let mut p = root;
                loop {
                    let dir = self.tree_dir(x, p, cmp);
                    let xp = p;
                    p = if dir <= 0 {
                        self.n(p).child[0]
                    } else {
                        self.n(p).child[1]
                    };
                    if p == NIL {
                        self.m(x).parent = xp;
                        if dir <= 0 {
                            self.m(xp).child[0] = x;
                        } else {
                            self.m(xp).child[1] = x;
                        }
                        root = self.balance_insertion(root, x);
                        break;
                    }
                }
            }
            x = next;
        }
        self.move_root_to_front(root);
    }

    /// `TreeNode.untreeify`: the same `next` list, as plain nodes.
    fn untreeify(&mut self, head: usize) -> usize {
        let mut q = head;
        while q != NIL {
            let s = self.m(q);
            s.tree = false;
            s.parent = NIL;
            s.child = [NIL; 2];
            s.prev = NIL;
            s.red = false;
            q = s.next;
        }
        head
    }

    /// `TreeNode.putTreeVal` for a key known to be absent, already allocated as node `x`: it
    /// is linked into the `next` list right after its tree parent.
    fn put_tree_val(&mut self, first: usize, x: usize, cmp: Cmp<'_>) {
        let root = if self.n(first).parent != NIL {
            self.root_of(first)
        } else {
            first
        };
        let mut p = root;
        loop {
            let dir = self.tree_dir(x, p, cmp);
            let xp = p;
            p = if dir <= 0 {
                self.n(p).child[0]
            } else {
                self.n(p).child[1]
            };
            if p == NIL {
                let xpn = self.n(xp).next;
                self.m(x).next = xpn;
                self.m(x).tree = true;
                if dir <= 0 {
                    self.m(xp).child[0] = x;
                } else {
                    self.m(xp).child[1] = x;
                }
                self.m(xp).next = x;
                self.m(x).parent = xp;
                self.m(x).prev = xp;
                if xpn != NIL {
                    self.m(xpn).prev = x;
                }
                let r = self.balance_insertion(root, x);
                self.move_root_to_front(r);
                return;
            }
        }
    }

    /// `TreeNode.removeTreeNode(map, tab, movable)` with `this = node`.
    fn remove_tree_node(&mut self, node: usize, movable: bool) {
        let n = self.table.len();
        if n == 0 {
            return;
        }
        let index = bucket(self.n(node).hash, n);
        let mut first = self.table[index];
        let mut root = first;
        let succ = self.n(node).next;
        let pred = self.n(node).prev;
        if pred == NIL {
            self.table[index] = succ;
            first = succ;
        } else {
            self.m(pred).next = succ;
        }
        if succ != NIL {
            self.m(succ).prev = pred;
        }
        if first == NIL {
            return;
        }
        if self.n(root).parent != NIL {
            root = self.root_of(root);
        }
        let too_small = root == NIL
            || (movable && {
                let rr = self.n(root).child[1];
                let rl = self.n(root).child[0];
                rr == NIL || rl == NIL || self.n(rl).child[0] == NIL
            });
        if too_small {
            let head = self.untreeify(first);
            self.table[index] = head;
            return;
        }
        let p = node;
        let pl = self.n(p).child[0];
        let pr = self.n(p).child[1];
        let replacement;
        if pl != NIL && pr != NIL {
            let mut s = pr;
            while self.n(s).child[0] != NIL {
                s = self.n(s).child[0];
            }
            // swap colors
            let c = self.n(s).red;
            self.m(s).red = self.n(p).red;
            self.m(p).red = c;
            let sr = self.n(s).child[1];
            let pp = self.n(p).parent;
            if s == pr {
                self.m(p).parent = s;
                self.m(s).child[1] = p;
            } else {
                let sp = self.n(s).parent;
                self.m(p).parent = sp;
                if sp != NIL {
                    if s == self.n(sp).child[0] {
                        self.m(sp).child[0] = p;
                    } else {
                        self.m(sp).child[1] = p;
                    }
                }
                self.m(s).child[1] = pr;
                if pr != NIL {
                    self.m(pr).parent = s;
                }
            }
            self.m(p).child[0] = NIL;
            self.m(p).child[1] = sr;
            if sr != NIL {
                self.m(sr).parent = p;
            }
            self.m(s).child[0] = pl;
            if pl != NIL {
                self.m(pl).parent = s;
            }
            self.m(s).parent = pp;
            if pp == NIL {
                root = s;
            } else if p == self.n(pp).child[0] {
                self.m(pp).child[0] = s;
            } else {
                self.m(pp).child[1] = s;
            }
            replacement = if sr != NIL { sr } else { p };
        } else if pl != NIL {
            replacement = pl;
        } else if pr != NIL {
            replacement = pr;
        } else {
            replacement = p;
        }
        if replacement != p {
            let pp = self.n(p).parent;
            self.m(replacement).parent = pp;
            if pp == NIL {
                root = replacement;
                self.m(root).red = false;
            } else if p == self.n(pp).child[0] {
                self.m(pp).child[0] = replacement;
            } else {
                self.m(pp).child[1] = replacement;
            }
            self.m(p).child[0] = NIL;
            self.m(p).child[1] = NIL;
            self.m(p).parent = NIL;
        }
        let r = if self.n(p).red {
            root
        } else {
            self.balance_deletion(root, replacement)
        };
        if replacement == p {
            let pp = self.n(p).parent;
            self.m(p).parent = NIL;
            if pp != NIL {
                if p == self.n(pp).child[0] {
                    self.m(pp).child[0] = NIL;
                } else if p == self.n(pp).child[1] {
                    self.m(pp).child[1] = NIL;
                }
            }
        }
        if movable {
            self.move_root_to_front(r);
        }
    }

    /// `TreeNode.split`: resize of a tree bin into lo/hi lists, re-treeifying or untreeifying.
    fn split(&mut self, head: usize, index: usize, bit: usize, cmp: Cmp<'_>) {
        let (mut lo_head, mut lo_tail, mut hi_head, mut hi_tail) = (NIL, NIL, NIL, NIL);
        let (mut lc, mut hc) = (0usize, 0usize);
        let mut e = head;
        while e != NIL {
            let next = self.n(e).next;
            self.m(e).next = NIL;
            if (self.n(e).hash as u32 as usize) & bit == 0 {
                self.m(e).prev = lo_tail;
                if lo_tail == NIL {
                    lo_head = e;
                } else {
                    self.m(lo_tail).next = e;
                }
                lo_tail = e;
                lc += 1;
            } else {
                self.m(e).prev = hi_tail;
                if hi_tail == NIL {
                    hi_head = e;
                } else {
                    self.m(hi_tail).next = e;
                }
                hi_tail = e;
                hc += 1;
            }
            e = next;
        }
        if lo_head != NIL {
            if lc <= UNTREEIFY_THRESHOLD {
                let h = self.untreeify(lo_head);
                self.table[index] = h;
            } else {
                self.table[index] = lo_head;
                if hi_head != NIL {
                    self.treeify(lo_head, cmp);
                }
            }
        }
        if hi_head != NIL {
            if hc <= UNTREEIFY_THRESHOLD {
                let h = self.untreeify(hi_head);
                self.table[index + bit] = h;
            } else {
                self.table[index + bit] = hi_head;
                if lo_head != NIL {
                    self.treeify(hi_head, cmp);
                }
            }
        }
    }

    /// `rotateLeft` (`d == 0`) or `rotateRight` (`d == 1`) around `p`: its child on side
    /// `1 - d` takes its place. The two Java methods are mirror images, and so are the two
    /// halves of each balancing method below; indexing children by side keeps one copy.
    fn rotate(&mut self, mut root: usize, p: usize, d: usize) -> usize {
        if p != NIL {
            let r = self.n(p).child[1 - d];
            if r != NIL {
                let rl = self.n(r).child[d];
                self.m(p).child[1 - d] = rl;
                if rl != NIL {
                    self.m(rl).parent = p;
                }
                let pp = self.n(p).parent;
                self.m(r).parent = pp;
                if pp == NIL {
                    root = r;
                    self.m(r).red = false;
                } else if self.n(pp).child[d] == p {
                    self.m(pp).child[d] = r;
                } else {
                    self.m(pp).child[1 - d] = r;
                }
                self.m(r).child[d] = p;
                self.m(p).parent = r;
            }
        }
        root
    }

    fn is_red(&self, x: usize) -> bool {
        x != NIL && self.n(x).red
    }

    fn balance_insertion(&mut self, mut root: usize, mut x: usize) -> usize {
        self.m(x).red = true;
        loop {
            let mut xp = self.n(x).parent;
            if xp == NIL {
                self.m(x).red = false;
                return x;
            }
            if !self.n(xp).red {
                return root;
            }
            let mut xpp = self.n(xp).parent;
            if xpp == NIL {
                return root;
            }
            // d: the side of `xp` under `xpp` (Java's `xp == xppl` branch is d == 0).
            let d = usize::from(xp != self.n(xpp).child[0]);
            let uncle = self.n(xpp).child[1 - d];
            if self.is_red(uncle) {
                self.m(uncle).red = false;
                self.m(xp).red = false;
                self.m(xpp).red = true;
                x = xpp;
            } else {
                if x == self.n(xp).child[1 - d] {
                    x = xp;
                    root = self.rotate(root, x, d);
                    xp = self.n(x).parent;
                    xpp = if xp == NIL { NIL } else { self.n(xp).parent };
                }
                if xp != NIL {
                    self.m(xp).red = false;
                    if xpp != NIL {
                        self.m(xpp).red = true;
                        root = self.rotate(root, xpp, 1 - d);
                    }
                }
            }
        }
    }

    fn balance_deletion(&mut self, mut root: usize, mut x: usize) -> usize {
        loop {
            if x == NIL || x == root {
                return root;
            }
            let mut xp = self.n(x).parent;
            if xp == NIL {
                self.m(x).red = false;
                return x;
            }
            if self.n(x).red {
                self.m(x).red = false;
                return root;
            }
            // d: the side of `x` under `xp` (Java's `xpl == x` branch is d == 0); `s` is the
            // sibling (Java's `xpr`, or `xpl` in the mirrored branch), `near`/`far` its
            // children on side d / 1 - d (`sl`/`sr`, or `sr`/`sl`).
            let d = usize::from(self.n(xp).child[0] != x);
            let mut s = self.n(xp).child[1 - d];
            if self.is_red(s) {
                self.m(s).red = false;
                self.m(xp).red = true;
                root = self.rotate(root, xp, d);
                xp = self.n(x).parent;
                s = if xp == NIL {
                    NIL
                } else {
                    self.n(xp).child[1 - d]
                };
            }
            if s == NIL {
                x = xp;
            } else {
                let near = self.n(s).child[d];
                let far = self.n(s).child[1 - d];
                if !self.is_red(far) && !self.is_red(near) {
                    self.m(s).red = true;
                    x = xp;
                } else {
                    if !self.is_red(far) {
                        if near != NIL {
                            self.m(near).red = false;
                        }
                        self.m(s).red = true;
                        root = self.rotate(root, s, 1 - d);
                        xp = self.n(x).parent;
                        s = if xp == NIL {
                            NIL
                        } else {
                            self.n(xp).child[1 - d]
                        };
                    }
                    if s != NIL {
                        let red = xp != NIL && self.n(xp).red;
                        self.m(s).red = red;
                        let far = self.n(s).child[1 - d];
                        if far != NIL {
                            self.m(far).red = false;
                        }
                    }
                    if xp != NIL {
                        self.m(xp).red = false;
                        root = self.rotate(root, xp, d);
                    }
                    x = root;
                }
            }
        }
    }
}

/// Iterator in `HashMap.HashIterator` order: buckets ascending, each bucket's `next` list.
pub struct Iter<'a, K, V> {
    map: &'a JavaHashMap<K, V>,
    bucket: usize,
    node: usize,
}

impl<'a, K: JavaKey, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);
    fn next(&mut self) -> Option<Self::Item> {
        let t = &self.map.t;
        if self.node != NIL {
            self.node = t.slots[self.node].next;
        }
        while self.node == NIL {
            if self.bucket >= t.table.len() {
                return None;
            }
            self.node = t.table[self.bucket];
            self.bucket += 1;
        }
        let (k, v) = self.map.entries[self.node].as_ref()?;
        Some((k, v))
    }
}

fn bucket(hash: i32, n: usize) -> usize {
    (hash as u32 as usize) & (n - 1)
}

/// `HashMap.tableSizeFor`: the smallest power of two >= cap (1 for 0).
fn table_size_for(cap: usize) -> usize {
    cap.max(1).next_power_of_two().min(MAXIMUM_CAPACITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_matches_java() {
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("a"), 97);
        // "hello".hashCode() == 99162322 in Java.
        assert_eq!(string_hash_code("hello"), 99_162_322);
        // int overflow wraps: this famous string hashes to Integer.MIN_VALUE in Java.
        assert_eq!(string_hash_code("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn string_order_is_utf16() {
        assert_eq!(compare_strings("B", "a"), Ordering::Less);
        assert_eq!(compare_strings("consumer-10", "consumer-2"), Ordering::Less);
        // U+FF21 (fullwidth A) sorts after a surrogate pair in Rust but before it in Java.
        assert_eq!(compare_strings("\u{FF21}", "\u{1F600}"), Ordering::Greater);
        assert_eq!("\u{FF21}".cmp("\u{1F600}"), Ordering::Less);
    }

    #[test]
    fn small_map_iterates_by_bucket() {
        // "b"(98) lands in bucket 2, "a"(97) in bucket 1: iteration is a, b regardless of
        // insertion order.
        let mut m = JavaHashMap::new();
        m.insert("b".to_string(), 1);
        m.insert("a".to_string(), 2);
        let keys: Vec<&String> = m.keys().collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(m.remove(&"a".to_string()), Some(2));
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&"b".to_string()), Some(&1));
    }
}
