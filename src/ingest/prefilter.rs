//! Reading for a few accounts: nearly every record of a large log belongs to other accounts, and all a
//! reader needs of those is that they were well-formed, when they were written and whether they named an
//! account (for counts and coverage). A parser told the accounts ([`AccountsOfInterest`]) checks such a
//! record as strictly as any other (field count, UTF-8, time) and counts it in an [`OtherAccountsTally`]
//! instead of building an event for it. Whose record it is comes from its account cell, compared exactly
//! as the reader would compare it: the prefix-named colleague `k.walshe` and a name inside a URL or a note
//! are another account's.

use std::collections::{BTreeMap, HashMap};

use crate::read::timefmt::{Timestamp, UnixTime, UnixWindow, Window};

/// What a reader wants from the logs: only the events of `accounts`; other accounts' records are only
/// counted (with their times, for coverage), judged against `window`.
#[derive(Clone, Copy, Debug)]
pub struct AccountsOfInterest<'a> {
    pub accounts: &'a [String],
    pub window: Window,
}

/// Records of other accounts read cheaply by a parser with a prefilter: counted, not handed over one by
/// one. Everything the reader would have taken from their events (counts, times per hour, records
/// without an account, records inside the window) and nothing else: such an event is never used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OtherAccountsTally {
    /// Well-formed records counted here (a malformed one is rejected as usual, never counted here).
    pub records: u64,
    /// Of those, records with no account (an empty or `-` account cell).
    pub without_account: u64,
    /// Of those, records inside the window.
    pub in_window: u64,
    /// Per UTC hour (hours since the epoch): count, first and last time.
    pub hours: HourTallies,
    /// Of those, records of accounts near the wanted ones (see [`crate::read::near`]): the names the
    /// logs hold that look like an actor's, for the warning when an actor appears in no log.
    pub near: BTreeMap<String, u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HourTally {
    pub count: u64,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// Counts per UTC hour (hours since the epoch). A log's records mostly fall within a few years: the hours
/// near the first one are slots of a vector (a slot per hour is far cheaper than a map lookup per record,
/// and tallies of the same file merge slot by slot); hours far from it go to a map.
#[derive(Clone, Debug, Default)]
pub struct HourTallies {
    /// The hour of `slots[0]`.
    base: i64,
    slots: Vec<Slot>,
    far: HashMap<i64, HourTally, foldhash::fast::FixedState>,
}

/// An hour's tally as a slot holds it: the count (0: no record) and the first and last time as their place
/// in the hour, `second << 32 | nanosecond`, which orders as the times do (a leap second's nanosecond, 10^9
/// or more, stays within its second). 24 bytes where an `Option<HourTally>` takes 40: a piece's tally is
/// written at random hours, copied when trimmed and merged slot by slot, all in proportion to its size.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Slot {
    count: u64,
    first: u64,
    last: u64,
}

impl Slot {
    /// `time`'s place in hour `hour` (which holds it).
    #[inline]
    fn place(time: &Timestamp, hour: i64) -> u64 {
        Slot::place_of(UnixTime::of(time), hour)
    }

    #[inline]
    fn place_of(time: UnixTime, hour: i64) -> u64 {
        ((time.secs - hour * 3600) as u64) << 32 | u64::from(time.nanos)
    }

    /// The time at place `place` of hour `hour`.
    fn time(place: u64, hour: i64) -> Timestamp {
        Timestamp::from_timestamp(hour * 3600 + (place >> 32) as i64, place as u32).expect("a place taken from a time")
    }

    #[inline]
    fn of(cell: &HourTally, hour: i64) -> Slot {
        debug_assert!([cell.first, cell.last].iter().all(|t| t.timestamp().div_euclid(3600) == hour), "{cell:?} is not of hour {hour}");
        Slot { count: cell.count, first: Slot::place(&cell.first, hour), last: Slot::place(&cell.last, hour) }
    }

    fn tally(&self, hour: i64) -> HourTally {
        HourTally { count: self.count, first: Slot::time(self.first, hour), last: Slot::time(self.last, hour) }
    }

    #[inline]
    fn is_used(&self) -> bool {
        self.count > 0
    }

    /// Adds another slot of the same hour.
    #[inline]
    fn merge(&mut self, other: &Slot) {
        if self.count == 0 {
            *self = *other;
        } else if other.count > 0 {
            self.count += other.count;
            self.first = self.first.min(other.first);
            self.last = self.last.max(other.last);
        }
    }
}

/// Hours the slots may span (about 7.5 years); hours beyond go to the map.
const MOST_DENSE_HOURS: i64 = 1 << 16;
/// Hours a new tally's slots span (about eleven months, centred on its first hour). A tally is made for
/// every 2 MB piece of a log: its slots come from the thread's spare ones (see [`HourTallies::trimmed`]),
/// as a new vector for each piece cost more in zeroed pages than the piece's counting.
const NEW_HOURS: usize = 1 << 13;

thread_local! {
    /// Slots of a trimmed tally, all empty again, for the thread's next tally.
    static SPARE_SLOTS: std::cell::Cell<Vec<Slot>> = const { std::cell::Cell::new(Vec::new()) };
}

impl HourTallies {
    /// Counts a record of `time`.
    #[inline]
    pub fn add(&mut self, time: UnixTime) {
        let hour = time.secs.div_euclid(3600);
        match usize::try_from(hour - self.base) {
            Ok(i) if i < self.slots.len() => {
                let place = Slot::place_of(time, hour);
                self.slots[i].merge(&Slot { count: 1, first: place, last: place });
            }
            _ => self.add_outside(hour, HourTally { count: 1, first: time.timestamp(), last: time.timestamp() }),
        }
    }

    /// Adds a count of hour `hour` (whose times lie in that hour).
    #[inline]
    pub fn add_cell(&mut self, hour: i64, cell: HourTally) {
        match usize::try_from(hour - self.base) {
            Ok(i) if i < self.slots.len() => self.slots[i].merge(&Slot::of(&cell, hour)),
            _ => self.add_outside(hour, cell),
        }
    }

    /// [`HourTallies::add_cell`] for an hour outside the slots: the first hour gets the slots; a later one
    /// has them grow to it (to twice their span at least) where the span stays within
    /// [`MOST_DENSE_HOURS`], else it goes to the map (a log spanning more than the first slots, half a year
    /// from a first record at one end, would otherwise send a map look-up per record).
    #[cold]
    fn add_outside(&mut self, hour: i64, cell: HourTally) {
        if self.slots.is_empty() && self.far.is_empty() {
            let mut slots = SPARE_SLOTS.take();
            if slots.len() < NEW_HOURS {
                slots = vec![Slot::default(); NEW_HOURS];
            }
            self.base = hour - (slots.len() / 2) as i64;
            self.slots = slots;
            return self.add_cell(hour, cell);
        }
        if !self.slots.is_empty() && self.cover(hour, hour + 1) {
            return self.add_cell(hour, cell);
        }
        self.far.entry(hour).and_modify(|mine| mine.merge(&cell)).or_insert(cell);
    }

    /// The slots cut down to the hours used (before a tally is sent on); the full ones, emptied, are
    /// kept for the thread's next tally.
    pub fn trimmed(mut self) -> HourTallies {
        let mut slots = std::mem::take(&mut self.slots);
        if let Some(first) = slots.iter().position(Slot::is_used) {
            let last = slots.iter().rposition(Slot::is_used).expect("a slot is used");
            self.slots = slots[first..=last].to_vec();
            self.base += first as i64;
            slots[first..=last].fill(Slot::default());
        }
        if slots.len() >= NEW_HOURS {
            SPARE_SLOTS.set(slots);
        }
        self
    }

    /// Adds another tally's hours.
    pub fn merge(&mut self, other: &HourTallies) {
        if self.slots.is_empty() && self.far.is_empty() {
            self.clone_from(other);
            return;
        }
        let (from, to) = (other.base, other.base + other.slots.len() as i64);
        if !other.slots.is_empty() && self.cover(from, to) {
            let at = (from - self.base) as usize;
            // Slots of the same hour: their places are in the same hour too.
            for (mine, theirs) in self.slots[at..at + other.slots.len()].iter_mut().zip(&other.slots) {
                mine.merge(theirs);
            }
        } else {
            for (i, slot) in other.slots.iter().enumerate() {
                if slot.is_used() {
                    let hour = from + i as i64;
                    self.add_cell(hour, slot.tally(hour));
                }
            }
        }
        for (hour, cell) in &other.far {
            self.add_cell(*hour, *cell);
        }
    }

    /// Grows the slots to cover hours `from..to` (with the hours they hold) where the span stays within
    /// [`MOST_DENSE_HOURS`]; whether they cover them now. They grow to twice their span at least, toward
    /// the hours added, so that a file's tallies coming in time order do not copy them piece after piece.
    fn cover(&mut self, from: i64, to: i64) -> bool {
        let (base, end) = (self.base, self.base + self.slots.len() as i64);
        let (mut low, mut high) = if self.slots.is_empty() { (from, to) } else { (base.min(from), end.max(to)) };
        if !self.slots.is_empty() && (low, high) == (base, end) {
            return true;
        }
        if high - low > MOST_DENSE_HOURS {
            return false;
        }
        let span = end - base;
        let (wider_low, wider_high) = (if low < base { low.min(end - 2 * span) } else { low }, if high > end { high.max(base + 2 * span) } else { high });
        if !self.slots.is_empty() && wider_high - wider_low <= MOST_DENSE_HOURS {
            (low, high) = (wider_low, wider_high);
        }
        let mut slots = vec![Slot::default(); (high - low) as usize];
        if !self.slots.is_empty() {
            let at = (base - low) as usize;
            slots[at..at + self.slots.len()].copy_from_slice(&self.slots);
        }
        self.slots = slots;
        self.base = low;
        // Hours of the map the slots now cover move into them.
        let far = std::mem::take(&mut self.far);
        for (hour, cell) in far {
            self.add_cell(hour, cell);
        }
        true
    }

    /// The hours counted, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, HourTally)> + '_ {
        let dense = self.slots.iter().enumerate().filter(|(_, slot)| slot.is_used()).map(|(i, slot)| {
            let hour = self.base + i as i64;
            (hour, slot.tally(hour))
        });
        dense.chain(self.far.iter().map(|(h, c)| (*h, *c)))
    }

    /// The count of hour `hour`, if any.
    pub fn get(&self, hour: i64) -> Option<HourTally> {
        match usize::try_from(hour - self.base) {
            Ok(i) if i < self.slots.len() => Some(self.slots[i]).filter(Slot::is_used).map(|slot| slot.tally(hour)),
            _ => self.far.get(&hour).copied(),
        }
    }

    /// Hours counted.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_used()).count() + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held, about.
    pub fn bytes(&self) -> usize {
        std::mem::size_of::<Slot>() * self.slots.capacity() + 48 * self.far.capacity()
    }
}

/// Equal when the same hours have the same counts, however they are held.
impl PartialEq for HourTallies {
    fn eq(&self, other: &HourTallies) -> bool {
        self.len() == other.len() && self.iter().all(|(hour, cell)| other.get(hour) == Some(cell))
    }
}

impl OtherAccountsTally {
    /// Records flushed to the reader at a time: keeps the tally's memory and the reader's view current.
    pub const FLUSH_AT: u64 = 1 << 16;

    #[inline]
    pub fn add(&mut self, time: UnixTime, has_account: bool, window: &UnixWindow) {
        self.records += 1;
        self.without_account += u64::from(!has_account);
        self.in_window += u64::from(window.contains(time));
        self.hours.add(time);
    }

    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// The tally as sent to the reader (its hours trimmed to those used).
    pub fn finished(mut self) -> OtherAccountsTally {
        self.hours = std::mem::take(&mut self.hours).trimmed();
        self
    }
}

impl HourTally {
    /// Adds another count of the same hour.
    #[inline]
    pub fn merge(&mut self, other: &HourTally) {
        self.count += other.count;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

impl OtherAccountsTally {
    /// Adds another finished tally's counts (see [`OtherAccountsTally::finished`]).
    pub fn merge(&mut self, other: &OtherAccountsTally) {
        self.records += other.records;
        self.without_account += other.without_account;
        self.in_window += other.in_window;
        self.hours.merge(&other.hours);
        self.add_near(other.near.iter().map(|(a, n)| (a.clone(), *n)));
    }

    /// Adds records of near accounts (counted by the reader as it meets them).
    pub fn add_near(&mut self, counts: impl IntoIterator<Item = (String, u64)>) {
        for (account, n) in counts {
            *self.near.entry(account).or_default() += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tally_counts_hours_window_and_missing_accounts() {
        let t = |s: &str| crate::read::timefmt::parse_zoned(s).unwrap();
        let window = Window { since: Some(t("2019-06-01T00:00:00Z")), until: Some(t("2019-06-30T23:59:59Z")) }.unix();
        let mut tally = OtherAccountsTally::default();
        tally.add(UnixTime::of(&t("2019-06-03T10:40:00Z")), true, &window);
        tally.add(UnixTime::of(&t("2019-06-03T10:05:00Z")), false, &window);
        tally.add(UnixTime::of(&t("2019-07-01T00:00:00Z")), true, &window);
        tally.add(UnixTime::of(&t("1970-01-01T00:00:00Z")), true, &window); // far from the others
        tally.add(UnixTime::of(&t("1970-01-01T00:30:00Z")), true, &window);
        let tally = tally.finished();
        assert_eq!((tally.records, tally.without_account, tally.in_window), (5, 1, 2));
        assert_eq!(tally.hours.len(), 3);
        assert_eq!(tally.hours.get(0).unwrap().count, 2);
        let h = tally.hours.get(t("2019-06-03T10:00:00Z").timestamp() / 3600).unwrap();
        assert_eq!((h.count, h.first, h.last), (2, t("2019-06-03T10:05:00Z"), t("2019-06-03T10:40:00Z")));
    }

    /// A slot keeps a time to the nanosecond, a leap second included, and orders times as they are ordered.
    #[test]
    fn slots_keep_times_exactly_leap_seconds_included() {
        let t = |s: &str| crate::read::timefmt::parse_zoned(s).unwrap();
        let leap = t("2016-12-31T23:59:60.5Z");
        assert!(leap.timestamp_subsec_nanos() >= 1_000_000_000, "chrono's leap second");
        let times = [t("2016-12-31T23:00:00.000000001Z"), t("2016-12-31T23:59:59.999999999Z"), leap, t("2016-12-31T23:30:00Z")];
        let mut tally = HourTallies::default();
        times.iter().for_each(|time| tally.add(UnixTime::of(time)));
        let hour = t("2016-12-31T23:00:00Z").timestamp() / 3600;
        let cell = tally.get(hour).unwrap();
        assert_eq!((cell.count, cell.first, cell.last), (4, times[0], leap));
        // Through trimming and merging, and back out as a cell.
        let mut merged = HourTallies::default();
        merged.add(UnixTime::of(&t("2016-12-31T23:15:00Z")));
        merged.merge(&tally.trimmed());
        let cell = merged.get(hour).unwrap();
        assert_eq!((cell.count, cell.first, cell.last), (5, times[0], leap));
        assert_eq!(merged.iter().collect::<Vec<_>>(), vec![(hour, cell)]);
    }

    /// Tallies of pieces merged (trimmed, with hours far apart, so that slots grow and the map is used)
    /// count what one tally of every record counts.
    #[test]
    fn hour_tallies_merged_in_pieces_equal_one_tally() {
        let base = crate::read::timefmt::parse_zoned("2019-06-03T10:00:00Z").unwrap();
        // Hours spread over ±12 years around the base, in a fixed pseudo-random order.
        let times: Vec<Timestamp> = (0..5000u64)
            .map(|i| {
                let x = i.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 33;
                base + chrono::Duration::seconds((x % (24 * 365 * 3600 * 12)) as i64 * if i % 3 == 0 { -1 } else { 1 })
            })
            .collect();
        let mut whole = HourTallies::default();
        times.iter().for_each(|t| whole.add(UnixTime::of(t)));
        let mut merged = HourTallies::default();
        for piece in times.chunks(700) {
            let mut tally = HourTallies::default();
            piece.iter().for_each(|t| tally.add(UnixTime::of(t)));
            merged.merge(&tally.trimmed());
        }
        assert_eq!(merged, whole);
        assert_eq!(merged.iter().map(|(_, c)| c.count).sum::<u64>(), 5000);
        assert!(!merged.far.is_empty() && merged.slots.len() > 1 << 13, "both ways of holding hours are tested");
    }
}
