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

const NIL: usize = usize::MAX;
const DEFAULT_INITIAL_CAPACITY: usize = 16;
const MAXIMUM_CAPACITY: usize = 1 << 30;
const LOAD_FACTOR: f32 = 0.75;
const TREEIFY_THRESHOLD: usize = 8;
const UNTREEIFY_THRESHOLD: usize = 6;
const MIN_TREEIFY_CAPACITY: usize = 64;

struct Slot<K, V> {
    hash: i32,
    key: Option<K>,
    value: Option<V>,
    next: usize,
    // Tree-bin fields (meaningful only while `tree` is true).
    tree: bool,
    parent: usize,
    left: usize,
    right: usize,
    prev: usize,
    red: bool,
    /// Insertion sequence: our stand-in for `System.identityHashCode` in `tieBreakOrder`.
    seq: u64,
}

/// `java.util.HashMap<K, V>` with the default load factor, reproducing its iteration order.
///
/// `HashSet<E>` is a `HashMap<E, Object>` in Java, so use `JavaHashMap<E, ()>` for it.
pub struct JavaHashMap<K, V> {
    /// Bucket heads; empty until the first insertion (Java allocates lazily).
    table: Vec<usize>,
    slots: Vec<Slot<K, V>>,
    free: Vec<usize>,
    size: usize,
    /// Java's `threshold` field: before allocation it holds the initial capacity.
    threshold: usize,
    seq: u64,
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
            table: Vec::new(),
            slots: Vec::new(),
            free: Vec::new(),
            size: 0,
            threshold: 0,
            seq: 0,
        }
    }

    /// `new HashMap<>(initialCapacity)`: the table size is the next power of two.
    pub fn with_capacity(initial_capacity: usize) -> Self {
        let mut map = Self::new();
        map.threshold = table_size_for(initial_capacity.min(MAXIMUM_CAPACITY));
        map
    }

    pub fn len(&self) -> usize {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    fn slot(&self, i: usize) -> &Slot<K, V> {
        &self.slots[i]
    }

    fn key_of(&self, i: usize) -> &K {
        self.slots[i]
            .key
            .as_ref()
            .expect("live HashMap node has a key")
    }

    fn find_node(&self, key: &K) -> usize {
        if self.table.is_empty() {
            return NIL;
        }
        let hash = spread(key.java_hash_code());
        let mut e = self.table[bucket(hash, self.table.len())];
        // Tree bins keep every node on the `next` list too, so a list walk finds the same node.
        while e != NIL {
            if self.slots[e].hash == hash && self.key_of(e) == key {
                return e;
            }
            e = self.slots[e].next;
        }
        NIL
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.find_node(key) != NIL
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        match self.find_node(key) {
            NIL => None,
            i => self.slots[i].value.as_ref(),
        }
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.find_node(key) {
            NIL => None,
            i => self.slots[i].value.as_mut(),
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

    fn new_slot(&mut self, hash: i32, key: K, value: V, next: usize, tree: bool) -> usize {
        self.seq += 1;
        let slot = Slot {
            hash,
            key: Some(key),
            value: Some(value),
            next,
            tree,
            parent: NIL,
            left: NIL,
            right: NIL,
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

    /// `HashMap.put` (`putVal(hash, key, value, false, true)`): returns the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = spread(key.java_hash_code());
        if self.table.is_empty() {
            self.resize();
        }
        let existing = self.find_node(&key);
        if existing != NIL {
            // Replacing a value never moves the node.
            return self.slots[existing].value.replace(value);
        }
        let n = self.table.len();
        let i = bucket(hash, n);
        let p = self.table[i];
        if p == NIL {
            let node = self.new_slot(hash, key, value, NIL, false);
            self.table[i] = node;
        } else if self.slots[p].tree {
            self.put_tree_val(p, hash, key, value);
        } else {
            // Append at the tail; `bin_count` ends as (chain length before append) - 1.
            let mut p = p;
            let mut bin_count = 0usize;
            while self.slots[p].next != NIL {
                p = self.slots[p].next;
                bin_count += 1;
            }
            let node = self.new_slot(hash, key, value, NIL, false);
            self.slots[p].next = node;
            if bin_count >= TREEIFY_THRESHOLD - 1 {
                self.treeify_bin(hash);
            }
        }
        self.size += 1;
        if self.size > self.threshold {
            self.resize();
        }
        None
    }

    /// `HashMap.remove(key)` (`removeNode(..., movable = true)`).
    pub fn remove(&mut self, key: &K) -> Option<V> {
        let node = self.find_node(key);
        if node == NIL {
            return None;
        }
        let index = bucket(self.slots[node].hash, self.table.len());
        if self.slots[node].tree {
            self.remove_tree_node(node, true);
        } else {
            let head = self.table[index];
            if head == node {
                self.table[index] = self.slots[node].next;
            } else {
                let mut p = head;
                while self.slots[p].next != node {
                    p = self.slots[p].next;
                }
                self.slots[p].next = self.slots[node].next;
            }
        }
        self.size -= 1;
        let slot = &mut self.slots[node];
        slot.key = None;
        let value = slot.value.take();
        slot.next = NIL;
        self.free.push(node);
        value
    }

    /// `HashMap.resize()`: allocate, or double and split every bin preserving order.
    fn resize(&mut self) {
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
        let old_tab = std::mem::replace(&mut self.table, vec![NIL; new_cap]);
        for (j, &head) in old_tab.iter().enumerate() {
            if head == NIL {
                continue;
            }
            if self.slots[head].next == NIL {
                let b = bucket(self.slots[head].hash, new_cap);
                self.table[b] = head;
            } else if self.slots[head].tree {
                self.split(head, j, old_cap);
            } else {
                let (mut lo_head, mut lo_tail, mut hi_head, mut hi_tail) = (NIL, NIL, NIL, NIL);
                let mut e = head;
                while e != NIL {
                    let next = self.slots[e].next;
                    if (self.slots[e].hash as u32 as usize) & old_cap == 0 {
                        if lo_tail == NIL {
                            lo_head = e;
                        } else {
                            self.slots[lo_tail].next = e;
                        }
                        lo_tail = e;
                    } else {
                        if hi_tail == NIL {
                            hi_head = e;
                        } else {
                            self.slots[hi_tail].next = e;
                        }
                        hi_tail = e;
                    }
                    e = next;
                }
                if lo_tail != NIL {
                    self.slots[lo_tail].next = NIL;
                    self.table[j] = lo_head;
                }
                if hi_tail != NIL {
                    self.slots[hi_tail].next = NIL;
                    self.table[j + old_cap] = hi_head;
                }
            }
        }
    }

    /// `HashMap.treeifyBin`: small tables grow instead of growing trees.
    fn treeify_bin(&mut self, hash: i32) {
        let n = self.table.len();
        if n < MIN_TREEIFY_CAPACITY {
            self.resize();
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
            let s = &mut self.slots[e];
            s.tree = true;
            s.prev = prev;
            s.parent = NIL;
            s.left = NIL;
            s.right = NIL;
            s.red = false;
            prev = e;
            e = s.next;
        }
        self.treeify(head);
    }

    // ---- HashMap.TreeNode -------------------------------------------------------------------

    fn root_of(&self, mut r: usize) -> usize {
        while self.slots[r].parent != NIL {
            r = self.slots[r].parent;
        }
        r
    }

    /// Direction for inserting key `(h, k)` below node `p`: Java's `dir` (-1 / 1).
    fn tree_dir(&self, h: i32, k: &K, k_seq: u64, p: usize) -> i32 {
        let ph = self.slots[p].hash;
        if ph > h {
            return -1;
        }
        if ph < h {
            return 1;
        }
        match k.java_compare(self.key_of(p)) {
            Some(Ordering::Less) => -1,
            Some(Ordering::Greater) => 1,
            // tieBreakOrder: class names equal, then identityHashCode (modelled by sequence).
            _ => {
                if k_seq <= self.slots[p].seq {
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
        let index = bucket(self.slots[root].hash, self.table.len());
        let first = self.table[index];
        if root != first {
            self.table[index] = root;
            let rp = self.slots[root].prev;
            let rn = self.slots[root].next;
            if rn != NIL {
                self.slots[rn].prev = rp;
            }
            if rp != NIL {
                self.slots[rp].next = rn;
            }
            if first != NIL {
                self.slots[first].prev = root;
            }
            self.slots[root].next = first;
            self.slots[root].prev = NIL;
        }
    }

    /// `TreeNode.treeify`: build the red-black tree from the `next` list starting at `head`.
    fn treeify(&mut self, head: usize) {
        let mut root = NIL;
        let mut x = head;
        while x != NIL {
            let next = self.slots[x].next;
            self.slots[x].left = NIL;
            self.slots[x].right = NIL;
            if root == NIL {
                self.slots[x].parent = NIL;
                self.slots[x].red = false;
                root = x;
            } else {
                let h = self.slots[x].hash;
                let x_seq = self.slots[x].seq;
                let mut p = root;
                loop {
                    let dir = self.tree_dir(h, self.key_of(x), x_seq, p);
                    let xp = p;
                    p = if dir <= 0 {
                        self.slots[p].left
                    } else {
                        self.slots[p].right
                    };
                    if p == NIL {
                        self.slots[x].parent = xp;
                        if dir <= 0 {
                            self.slots[xp].left = x;
                        } else {
                            self.slots[xp].right = x;
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
            let s = &mut self.slots[q];
            s.tree = false;
            s.parent = NIL;
            s.left = NIL;
            s.right = NIL;
            s.prev = NIL;
            s.red = false;
            q = s.next;
        }
        head
    }

    /// `TreeNode.putTreeVal` for a key known to be absent: the new node is linked into the
    /// `next` list right after its tree parent.
    fn put_tree_val(&mut self, first: usize, h: i32, key: K, value: V) {
        let root = if self.slots[first].parent != NIL {
            self.root_of(first)
        } else {
            first
        };
        let k_seq = self.seq + 1; // the sequence new_slot is about to hand out
        let mut p = root;
        loop {
            let dir = self.tree_dir(h, &key, k_seq, p);
            let xp = p;
            p = if dir <= 0 {
                self.slots[p].left
            } else {
                self.slots[p].right
            };
            if p == NIL {
                let xpn = self.slots[xp].next;
                let x = self.new_slot(h, key, value, xpn, true);
                if dir <= 0 {
                    self.slots[xp].left = x;
                } else {
                    self.slots[xp].right = x;
                }
                self.slots[xp].next = x;
                self.slots[x].parent = xp;
                self.slots[x].prev = xp;
                if xpn != NIL {
                    self.slots[xpn].prev = x;
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
        let index = bucket(self.slots[node].hash, n);
        let mut first = self.table[index];
        let mut root = first;
        let succ = self.slots[node].next;
        let pred = self.slots[node].prev;
        if pred == NIL {
            self.table[index] = succ;
            first = succ;
        } else {
            self.slots[pred].next = succ;
        }
        if succ != NIL {
            self.slots[succ].prev = pred;
        }
        if first == NIL {
            return;
        }
        if self.slots[root].parent != NIL {
            root = self.root_of(root);
        }
        let too_small = root == NIL
            || (movable && {
                let rr = self.slots[root].right;
                let rl = self.slots[root].left;
                rr == NIL || rl == NIL || self.slots[rl].left == NIL
            });
        if too_small {
            let head = self.untreeify(first);
            self.table[index] = head;
            return;
        }
        let p = node;
        let pl = self.slots[p].left;
        let pr = self.slots[p].right;
        let replacement;
        if pl != NIL && pr != NIL {
            let mut s = pr;
            while self.slots[s].left != NIL {
                s = self.slots[s].left;
            }
            // swap colors
            let c = self.slots[s].red;
            self.slots[s].red = self.slots[p].red;
            self.slots[p].red = c;
            let sr = self.slots[s].right;
            let pp = self.slots[p].parent;
            if s == pr {
                self.slots[p].parent = s;
                self.slots[s].right = p;
            } else {
                let sp = self.slots[s].parent;
                self.slots[p].parent = sp;
                if sp != NIL {
                    if s == self.slots[sp].left {
                        self.slots[sp].left = p;
                    } else {
                        self.slots[sp].right = p;
                    }
                }
                self.slots[s].right = pr;
                if pr != NIL {
                    self.slots[pr].parent = s;
                }
            }
            self.slots[p].left = NIL;
            self.slots[p].right = sr;
            if sr != NIL {
                self.slots[sr].parent = p;
            }
            self.slots[s].left = pl;
            if pl != NIL {
                self.slots[pl].parent = s;
            }
            self.slots[s].parent = pp;
            if pp == NIL {
                root = s;
            } else if p == self.slots[pp].left {
                self.slots[pp].left = s;
            } else {
                self.slots[pp].right = s;
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
            let pp = self.slots[p].parent;
            self.slots[replacement].parent = pp;
            if pp == NIL {
                root = replacement;
                self.slots[root].red = false;
            } else if p == self.slots[pp].left {
                self.slots[pp].left = replacement;
            } else {
                self.slots[pp].right = replacement;
            }
            self.slots[p].left = NIL;
            self.slots[p].right = NIL;
            self.slots[p].parent = NIL;
        }
        let r = if self.slots[p].red {
            root
        } else {
            self.balance_deletion(root, replacement)
        };
        if replacement == p {
            let pp = self.slots[p].parent;
            self.slots[p].parent = NIL;
            if pp != NIL {
                if p == self.slots[pp].left {
                    self.slots[pp].left = NIL;
                } else if p == self.slots[pp].right {
                    self.slots[pp].right = NIL;
                }
            }
        }
        if movable {
            self.move_root_to_front(r);
        }
    }

    /// `TreeNode.split`: resize of a tree bin into lo/hi lists, re-treeifying or untreeifying.
    fn split(&mut self, head: usize, index: usize, bit: usize) {
        let (mut lo_head, mut lo_tail, mut hi_head, mut hi_tail) = (NIL, NIL, NIL, NIL);
        let (mut lc, mut hc) = (0usize, 0usize);
        let mut e = head;
        while e != NIL {
            let next = self.slots[e].next;
            self.slots[e].next = NIL;
            if (self.slots[e].hash as u32 as usize) & bit == 0 {
                self.slots[e].prev = lo_tail;
                if lo_tail == NIL {
                    lo_head = e;
                } else {
                    self.slots[lo_tail].next = e;
                }
                lo_tail = e;
                lc += 1;
            } else {
                self.slots[e].prev = hi_tail;
                if hi_tail == NIL {
                    hi_head = e;
                } else {
                    self.slots[hi_tail].next = e;
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
                    self.treeify(lo_head);
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
                    self.treeify(hi_head);
                }
            }
        }
    }

    fn rotate_left(&mut self, mut root: usize, p: usize) -> usize {
        if p != NIL {
            let r = self.slots[p].right;
            if r != NIL {
                let rl = self.slots[r].left;
                self.slots[p].right = rl;
                if rl != NIL {
                    self.slots[rl].parent = p;
                }
                let pp = self.slots[p].parent;
                self.slots[r].parent = pp;
                if pp == NIL {
                    root = r;
                    self.slots[r].red = false;
                } else if self.slots[pp].left == p {
                    self.slots[pp].left = r;
                } else {
                    self.slots[pp].right = r;
                }
                self.slots[r].left = p;
                self.slots[p].parent = r;
            }
        }
        root
    }

    fn rotate_right(&mut self, mut root: usize, p: usize) -> usize {
        if p != NIL {
            let l = self.slots[p].left;
            if l != NIL {
                let lr = self.slots[l].right;
                self.slots[p].left = lr;
                if lr != NIL {
                    self.slots[lr].parent = p;
                }
                let pp = self.slots[p].parent;
                self.slots[l].parent = pp;
                if pp == NIL {
                    root = l;
                    self.slots[l].red = false;
                } else if self.slots[pp].right == p {
                    self.slots[pp].right = l;
                } else {
                    self.slots[pp].left = l;
                }
                self.slots[l].right = p;
                self.slots[p].parent = l;
            }
        }
        root
    }

    fn is_red(&self, x: usize) -> bool {
        x != NIL && self.slots[x].red
    }

    fn balance_insertion(&mut self, mut root: usize, mut x: usize) -> usize {
        self.slots[x].red = true;
        loop {
            let mut xp = self.slots[x].parent;
            if xp == NIL {
                self.slots[x].red = false;
                return x;
            }
            if !self.slots[xp].red {
                return root;
            }
            let mut xpp = self.slots[xp].parent;
            if xpp == NIL {
                return root;
            }
            let xppl = self.slots[xpp].left;
            if xp == xppl {
                let xppr = self.slots[xpp].right;
                if self.is_red(xppr) {
                    self.slots[xppr].red = false;
                    self.slots[xp].red = false;
                    self.slots[xpp].red = true;
                    x = xpp;
                } else {
                    if x == self.slots[xp].right {
                        x = xp;
                        root = self.rotate_left(root, x);
                        xp = self.slots[x].parent;
                        xpp = if xp == NIL {
                            NIL
                        } else {
                            self.slots[xp].parent
                        };
                    }
                    if xp != NIL {
                        self.slots[xp].red = false;
                        if xpp != NIL {
                            self.slots[xpp].red = true;
                            root = self.rotate_right(root, xpp);
                        }
                    }
                }
            } else if self.is_red(xppl) {
                self.slots[xppl].red = false;
                self.slots[xp].red = false;
                self.slots[xpp].red = true;
                x = xpp;
            } else {
                if x == self.slots[xp].left {
                    x = xp;
                    root = self.rotate_right(root, x);
                    xp = self.slots[x].parent;
                    xpp = if xp == NIL {
                        NIL
                    } else {
                        self.slots[xp].parent
                    };
                }
                if xp != NIL {
                    self.slots[xp].red = false;
                    if xpp != NIL {
                        self.slots[xpp].red = true;
                        root = self.rotate_left(root, xpp);
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
            let mut xp = self.slots[x].parent;
            if xp == NIL {
                self.slots[x].red = false;
                return x;
            }
            if self.slots[x].red {
                self.slots[x].red = false;
                return root;
            }
            let xpl = self.slots[xp].left;
            if xpl == x {
                let mut xpr = self.slots[xp].right;
                if self.is_red(xpr) {
                    self.slots[xpr].red = false;
                    self.slots[xp].red = true;
                    root = self.rotate_left(root, xp);
                    xp = self.slots[x].parent;
                    xpr = if xp == NIL { NIL } else { self.slots[xp].right };
                }
                if xpr == NIL {
                    x = xp;
                } else {
                    let sl = self.slots[xpr].left;
                    let mut sr = self.slots[xpr].right;
                    if !self.is_red(sr) && !self.is_red(sl) {
                        self.slots[xpr].red = true;
                        x = xp;
                    } else {
                        if !self.is_red(sr) {
                            if sl != NIL {
                                self.slots[sl].red = false;
                            }
                            self.slots[xpr].red = true;
                            root = self.rotate_right(root, xpr);
                            xp = self.slots[x].parent;
                            xpr = if xp == NIL { NIL } else { self.slots[xp].right };
                        }
                        if xpr != NIL {
                            self.slots[xpr].red =
                                if xp == NIL { false } else { self.slots[xp].red };
                            sr = self.slots[xpr].right;
                            if sr != NIL {
                                self.slots[sr].red = false;
                            }
                        }
                        if xp != NIL {
                            self.slots[xp].red = false;
                            root = self.rotate_left(root, xp);
                        }
                        x = root;
                    }
                }
            } else {
                let mut xpl = xpl;
                if self.is_red(xpl) {
                    self.slots[xpl].red = false;
                    self.slots[xp].red = true;
                    root = self.rotate_right(root, xp);
                    xp = self.slots[x].parent;
                    xpl = if xp == NIL { NIL } else { self.slots[xp].left };
                }
                if xpl == NIL {
                    x = xp;
                } else {
                    let mut sl = self.slots[xpl].left;
                    let sr = self.slots[xpl].right;
                    if !self.is_red(sl) && !self.is_red(sr) {
                        self.slots[xpl].red = true;
                        x = xp;
                    } else {
                        if !self.is_red(sl) {
                            if sr != NIL {
                                self.slots[sr].red = false;
                            }
                            self.slots[xpl].red = true;
                            root = self.rotate_left(root, xpl);
                            xp = self.slots[x].parent;
                            xpl = if xp == NIL { NIL } else { self.slots[xp].left };
                        }
                        if xpl != NIL {
                            self.slots[xpl].red =
                                if xp == NIL { false } else { self.slots[xp].red };
                            sl = self.slots[xpl].left;
                            if sl != NIL {
                                self.slots[sl].red = false;
                            }
                        }
                        if xp != NIL {
                            self.slots[xp].red = false;
                            root = self.rotate_right(root, xp);
                        }
                        x = root;
                    }
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
        let map = self.map;
        if self.node != NIL {
            self.node = map.slot(self.node).next;
        }
        while self.node == NIL {
            if self.bucket >= map.table.len() {
                return None;
            }
            self.node = map.table[self.bucket];
            self.bucket += 1;
        }
        let slot = map.slot(self.node);
        Some((slot.key.as_ref()?, slot.value.as_ref()?))
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
