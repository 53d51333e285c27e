//! A small ordered map on a sorted `Vec`, for the engine's many little maps.
//!
//! Why not `BTreeMap`? Determinism only needs *ordered* iteration, and every
//! map in the engine is small (partitions, brokers, members, in-flight
//! batches). `BTreeMap`'s node code is instantiated once per key/value type,
//! and in the browser bundle that cost dominated the engine; a sorted vector
//! with binary search does the same job in a fraction of the code, and is
//! faster for maps of a few dozen entries. Iteration is in key order, like
//! `BTreeMap`, so behaviour never depends on insertion order.
//!
//! [`TpMap`] is the one map looked up on every step (a broker's replicas):
//! the same sorted vector, with a dense (topic, partition) index beside it
//! so a lookup is two array reads instead of a binary search.

use std::borrow::Borrow;

/// Sorts a short slice by a key (stable insertion sort): the few brokers of
/// an ISR, a broker's leaders, a group's rows. Same result as
/// `slice::sort_by_key`, but the standard sort is instantiated once per
/// element type at kilobytes each in the browser bundle, and these slices
/// hold a handful of items.
pub fn sort_small_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && key(&v[j - 1]) > key(&v[j]) {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VecMap<K, V> {
    items: Vec<(K, V)>,
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap { items: Vec::new() }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    pub fn new() -> Self {
        VecMap { items: Vec::new() }
    }

    fn find<Q: Ord + ?Sized>(&self, k: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.items.binary_search_by(|(x, _)| x.borrow().cmp(k))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn get<Q: Ord + ?Sized>(&self, k: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.find(k).ok().map(|i| &self.items[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        match self.find(k) {
            Ok(i) => Some(&mut self.items[i].1),
            Err(_) => None,
        }
    }

    pub fn contains_key<Q: Ord + ?Sized>(&self, k: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.find(k).is_ok()
    }

    /// Inserts, returning the previous value.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.items[i].1, v)),
            Err(i) => {
                self.items.insert(i, (k, v));
                None
            }
        }
    }

    pub fn remove<Q: Ord + ?Sized>(&mut self, k: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        match self.find(k) {
            Ok(i) => Some(self.items.remove(i).1),
            Err(_) => None,
        }
    }

    /// The value for `k`, inserting `f()` first if absent.
    pub fn entry_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.items.insert(i, (k, f()));
                i
            }
        };
        &mut self.items[i].1
    }

    pub fn entry_or_default(&mut self, k: K) -> &mut V
    where
        V: Default,
    {
        self.entry_or_insert_with(k, V::default)
    }

    /// The `i`-th entry in key order: a position stays valid until the next
    /// insert or remove.
    pub fn get_index(&self, i: usize) -> Option<(&K, &V)> {
        self.items.get(i).map(|(k, v)| (k, v))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.items.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.items.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.items.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.items.iter_mut().map(|(_, v)| v)
    }

    pub fn first_key_value(&self) -> Option<(&K, &V)> {
        self.items.first().map(|(k, v)| (k, v))
    }

    pub fn retain(&mut self, mut f: impl FnMut(&K, &mut V) -> bool) {
        self.items.retain_mut(|(k, v)| f(k, v));
    }

    pub fn clear(&mut self) {
        self.items.clear();
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = VecMap::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        fn pair<K, V>(p: &(K, V)) -> (&K, &V) {
            (&p.0, &p.1)
        }
        self.items
            .iter()
            .map(pair as fn(&'a (K, V)) -> (&'a K, &'a V))
    }
}

impl<K: Ord, V, Q: Ord + ?Sized> std::ops::Index<&Q> for VecMap<K, V>
where
    K: Borrow<Q>,
{
    type Output = V;
    fn index(&self, k: &Q) -> &V {
        self.get(k).expect("key present in VecMap")
    }
}

/// A [`VecMap`] keyed by partition, with a dense index beside it: a
/// broker's replicas, looked up by partition several times for each fetch,
/// append and high-watermark move. (Natively; the page keeps the binary
/// search, which costs its first load less code.) Reads that do not look up (iteration,
/// `len`, `get_index`) go to the map itself; it is written only through
/// `insert`, which rebuilds the index (a broker gains a replica rarely).
#[derive(Clone, PartialEq, Eq)]
pub struct TpMap<V> {
    map: VecMap<crate::engine::ids::Tp, V>,
    /// `slots[topic][partition]`: that entry's position in `map`, plus one
    /// (0: none).
    slots: Vec<Vec<u32>>,
}

impl<V> Default for TpMap<V> {
    fn default() -> Self {
        TpMap {
            map: VecMap::new(),
            slots: Vec::new(),
        }
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for TpMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.map.fmt(f)
    }
}

impl<V> std::ops::Deref for TpMap<V> {
    type Target = VecMap<crate::engine::ids::Tp, V>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl<V> TpMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    #[cfg(not(engine_speed))]
    fn position(&self, tp: &crate::engine::ids::Tp) -> Option<usize> {
        self.map.items.binary_search_by(|(k, _)| k.cmp(tp)).ok()
    }

    #[cfg(engine_speed)]
    #[inline]
    fn position(&self, tp: &crate::engine::ids::Tp) -> Option<usize> {
        let slot = *self
            .slots
            .get(tp.topic.0 as usize)?
            .get(tp.partition.0 as usize)?;
        (slot as usize).checked_sub(1)
    }

    #[inline]
    pub fn get(&self, tp: &crate::engine::ids::Tp) -> Option<&V> {
        self.position(tp).map(|i| &self.map.items[i].1)
    }

    #[inline]
    pub fn get_mut(&mut self, tp: &crate::engine::ids::Tp) -> Option<&mut V> {
        self.position(tp).map(|i| &mut self.map.items[i].1)
    }

    pub fn contains_key(&self, tp: &crate::engine::ids::Tp) -> bool {
        self.position(tp).is_some()
    }

    /// Inserts, returning the previous value.
    pub fn insert(&mut self, tp: crate::engine::ids::Tp, v: V) -> Option<V> {
        let old = self.map.insert(tp, v);
        if cfg!(not(engine_speed)) {
            return old;
        }
        self.slots.clear();
        for (i, (tp, _)) in self.map.items.iter().enumerate() {
            let (t, p) = (tp.topic.0 as usize, tp.partition.0 as usize);
            if self.slots.len() <= t {
                self.slots.resize_with(t + 1, Vec::new);
            }
            if self.slots[t].len() <= p {
                self.slots[t].resize(p + 1, 0);
            }
            self.slots[t][p] = i as u32 + 1;
        }
        old
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&crate::engine::ids::Tp, &mut V)> {
        self.map.iter_mut()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut()
    }
}

impl<'a, V> IntoIterator for &'a TpMap<V> {
    type Item = (&'a crate::engine::ids::Tp, &'a V);
    type IntoIter = <&'a VecMap<crate::engine::ids::Tp, V> as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&self.map).into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_small_by_key_matches_the_standard_stable_sort() {
        let mut seed = 7u64;
        for n in 0..40 {
            let v: Vec<(u8, u32)> = (0..n)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut ours = v.clone();
            let mut std = v.clone();
            super::sort_small_by_key(&mut ours, |x| x.0);
            std.sort_by_key(|x| x.0);
            assert_eq!(ours, std, "n = {n}");
        }
    }

    #[test]
    fn keeps_keys_sorted_whatever_the_insertion_order() {
        let mut m = VecMap::new();
        for k in [5, 1, 9, 3, 1] {
            m.insert(k, k * 10);
        }
        assert_eq!(m.keys().copied().collect::<Vec<_>>(), vec![1, 3, 5, 9]);
        assert_eq!(m.remove(&5), Some(50));
        assert_eq!(m.get(&9), Some(&90));
        *m.entry_or_default(4) += 7;
        assert_eq!(m[&4], 7);
        m.retain(|k, _| *k != 1);
        assert_eq!(m.len(), 3);
    }
}
