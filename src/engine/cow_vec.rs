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
//! persistent vector). Kafka keeps a log in segment files for a similar
//! reason: old segments are immutable, only the active one changes.
//!
//! Iteration order, indexing and contents are exactly those of a `Vec`, so
//! the engine's behaviour does not depend on the chunking.

use std::sync::Arc;

/// Elements per chunk. Small enough that a copy-on-write of one chunk is
/// cheap, large enough that a clone of a 100k-element vector is ~200 pointer
/// copies.
const CHUNK: usize = 512;

#[derive(Clone)]
pub struct CowVec<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for CowVec<T> {
    fn default() -> Self {
        CowVec {
            chunks: Vec::new(),
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

    pub fn push(&mut self, value: T) {
        if self.len % CHUNK == 0 {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        let last = self.chunks.last_mut().expect("a chunk was just ensured");
        Arc::make_mut(last).push(value);
        self.len += 1;
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len {
            return None;
        }
        Some(&self.chunks[i / CHUNK][i % CHUNK])
    }

    /// A mutable element; copies its chunk first if a clone shares it.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i >= self.len {
            return None;
        }
        Some(&mut Arc::make_mut(&mut self.chunks[i / CHUNK])[i % CHUNK])
    }

    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    /// All elements, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// Elements `lo..hi` (clamped to the length), in order.
    pub fn range(&self, lo: usize, hi: usize) -> impl Iterator<Item = &T> + '_ {
        let hi = hi.min(self.len);
        let lo = lo.min(hi);
        (lo..hi).map(move |i| &self.chunks[i / CHUNK][i % CHUNK])
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
        let full = n.div_ceil(CHUNK);
        self.chunks.truncate(full);
        if n % CHUNK != 0 {
            if let Some(last) = self.chunks.last_mut() {
                Arc::make_mut(last).truncate(n % CHUNK);
            }
        }
        self.len = n;
    }

    /// Every element, mutably (copies every shared chunk).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.chunks
            .iter_mut()
            .flat_map(|c| Arc::make_mut(c).iter_mut())
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }
}

impl<T: Clone> std::ops::Index<usize> for CowVec<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        match self.get(i) {
            Some(v) => v,
            None => panic!("index {i} out of bounds (len {})", self.len),
        }
    }
}

impl<T: Clone> std::ops::IndexMut<usize> for CowVec<T> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_vec_across_chunk_boundaries() {
        let mut c = CowVec::new();
        let mut v = Vec::new();
        for i in 0..(3 * CHUNK + 7) {
            c.push(i);
            v.push(i);
        }
        assert_eq!(c.len(), v.len());
        assert!(c.iter().eq(v.iter()));
        assert!(c
            .range(CHUNK - 2, CHUNK + 3)
            .eq(v[CHUNK - 2..CHUNK + 3].iter()));
        assert_eq!(c.split_off(CHUNK + 1), v.split_off(CHUNK + 1));
        assert!(c.iter().eq(v.iter()));
        c.truncate(CHUNK);
        v.truncate(CHUNK);
        assert!(c.iter().eq(v.iter()));
        c.push(99);
        v.push(99);
        assert_eq!(c.last(), v.last());
        assert_eq!(c.to_vec(), v);
    }

    #[test]
    fn a_write_after_clone_leaves_the_clone_unchanged() {
        let mut a: CowVec<u32> = (0..2000).collect();
        let snapshot = a.clone();
        a[5] = 500;
        a.push(7);
        a.truncate(10);
        assert_eq!(snapshot.len(), 2000);
        assert_eq!(snapshot[5], 5);
        assert_eq!(snapshot[1999], 1999);
        assert_eq!(a[5], 500);
        assert_eq!(a.len(), 10);
    }

    #[test]
    fn untouched_chunks_are_shared_not_copied() {
        let mut a: CowVec<u32> = (0..(4 * CHUNK as u32)).collect();
        let snapshot = a.clone();
        a[0] = 1;
        // Only the first chunk was copied.
        assert!(!Arc::ptr_eq(&a.chunks[0], &snapshot.chunks[0]));
        for k in 1..4 {
            assert!(Arc::ptr_eq(&a.chunks[k], &snapshot.chunks[k]));
        }
    }
}
