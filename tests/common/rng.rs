//! The tests' one PRNG: the engine's PCG32 (`kafkascope::engine::rng`), with
//! the few helpers the generators of random inputs need. Every random test
//! input is reproducible from its seed.

use kafkascope::engine::rng::Pcg32;

pub struct Rng(Pcg32);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(Pcg32::new(seed, 0x7465_7374))
    }

    pub fn next(&mut self) -> u64 {
        (u64::from(self.0.next_u32()) << 32) | u64::from(self.0.next_u32())
    }

    /// A number in `0..n` (0 when `n` is 0), in `n`'s own integer type.
    pub fn below<T>(&mut self, n: T) -> T
    where
        T: TryInto<u64> + TryFrom<u64>,
    {
        let n: u64 = n.try_into().ok().unwrap_or(0);
        let r = if n == 0 { 0 } else { self.next() % n };
        T::try_from(r).ok().expect("below n fits n's type")
    }

    /// True once in `n` draws on average.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    /// True `percent` times in 100 on average.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100u64) < percent
    }
}
