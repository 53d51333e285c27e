//! A map keyed by (topic, partition), for the maps every request touches.
//!
//! A broker looks up its replica of a partition for each partition of each
//! fetch and produce: dozens of lookups per request, millions in a long run.
//! Topic ids and partition numbers are dense (`TopicId` indexes the topic
//! table, partitions count from 0), so a slot per partition gives an O(1)
//! lookup where [`VecMap`](crate::engine::vecmap::VecMap)'s binary search
//! compared keys. Iteration is in (topic, partition) order, the order of
//! `Tp`'s `Ord`, so swapping one map for the other changes no behaviour.

use crate::engine::ids::Tp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpMap<V> {
    /// `slots[topic][partition]`, holding the key beside the value so
    /// iteration can hand out `&Tp` as `VecMap` does.
    slots: Vec<Vec<Option<(Tp, V)>>>,
    len: usize,
}

impl<V> Default for TpMap<V> {
    fn default() -> Self {
        TpMap {
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<V> TpMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn slot(&self, tp: &Tp) -> Option<&Option<(Tp, V)>> {
        self.slots
            .get(tp.topic.0 as usize)?
            .get(tp.partition.0 as usize)
    }

    pub fn get(&self, tp: &Tp) -> Option<&V> {
        self.slot(tp)?.as_ref().map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, tp: &Tp) -> Option<&mut V> {
        self.slots
            .get_mut(tp.topic.0 as usize)?
            .get_mut(tp.partition.0 as usize)?
            .as_mut()
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, tp: &Tp) -> bool {
        self.get(tp).is_some()
    }

    pub fn insert(&mut self, tp: Tp, v: V) -> Option<V> {
        let (t, p) = (tp.topic.0 as usize, tp.partition.0 as usize);
        if self.slots.len() <= t {
            self.slots.resize_with(t + 1, Vec::new);
        }
        let row = &mut self.slots[t];
        if row.len() <= p {
            row.resize_with(p + 1, || None);
        }
        let old = row[p].replace((tp, v)).map(|(_, v)| v);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    pub fn remove(&mut self, tp: &Tp) -> Option<V> {
        let old = self
            .slots
            .get_mut(tp.topic.0 as usize)?
            .get_mut(tp.partition.0 as usize)?
            .take()
            .map(|(_, v)| v);
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    pub fn iter(&self) -> Iter<'_, V> {
        fn pair<V>(s: &Option<(Tp, V)>) -> Option<(&Tp, &V)> {
            s.as_ref().map(|(k, v)| (k, v))
        }
        self.slots.iter().flatten().filter_map(pair::<V>)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Tp, &mut V)> {
        self.slots
            .iter_mut()
            .flatten()
            .filter_map(|s| s.as_mut().map(|(k, v)| (&*k, v)))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Tp> {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.iter_mut().map(|(_, v)| v)
    }
}

/// Iterator over a [`TpMap`] in (topic, partition) order.
pub type Iter<'a, V> = std::iter::FilterMap<
    std::iter::Flatten<std::slice::Iter<'a, Vec<Option<(Tp, V)>>>>,
    fn(&'a Option<(Tp, V)>) -> Option<(&'a Tp, &'a V)>,
>;

impl<'a, V> IntoIterator for &'a TpMap<V> {
    type Item = (&'a Tp, &'a V);
    type IntoIter = Iter<'a, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<V> std::ops::Index<&Tp> for TpMap<V> {
    type Output = V;
    fn index(&self, tp: &Tp) -> &V {
        self.get(tp).expect("no entry for this partition")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ids::TopicId;
    use crate::engine::vecmap::VecMap;

    #[test]
    fn iterates_and_looks_up_exactly_like_a_vecmap() {
        let mut a: TpMap<u32> = TpMap::new();
        let mut b: VecMap<Tp, u32> = VecMap::new();
        // Inserted out of order, with gaps, a replacement and removals.
        let ops: &[(u16, u32, Option<u32>)] = &[
            (2, 5, Some(1)),
            (0, 3, Some(2)),
            (1, 0, Some(3)),
            (0, 0, Some(4)),
            (2, 5, Some(5)),
            (0, 3, None),
            (3, 1, None),
            (1, 7, Some(6)),
        ];
        for &(t, p, v) in ops {
            let tp = Tp::new(TopicId(t), p);
            match v {
                Some(v) => assert_eq!(a.insert(tp, v), b.insert(tp, v)),
                None => assert_eq!(a.remove(&tp), b.remove(&tp)),
            }
            assert_eq!(a.len(), b.len());
            let ia: Vec<_> = a.iter().collect();
            let ib: Vec<_> = b.iter().collect();
            assert_eq!(ia, ib, "same order after {t}-{p}");
        }
        assert_eq!(a.get(&Tp::new(TopicId(9), 9)), None);
        assert_eq!(a[&Tp::new(TopicId(1), 7)], 6);
    }
}
