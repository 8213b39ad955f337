//! The storage every index column is made of: flat [`Column`]s of plain values, an
//! interned string table, and ragged lists of ids. A snapshot stores each as it is, so a
//! loaded index reads them in place from the snapshot's bytes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::ops::{Deref, Range};

use bytemuck::Pod;
use bytes::Bytes;
use hashbrown::HashMap;

/// A value a column holds: plain bytes, little-endian in a snapshot.
pub(crate) trait Plain: Pod {
    /// The value with its bytes swapped between little-endian and this machine's order
    /// (either way; nothing to do on a little-endian machine).
    fn le(self) -> Self;
}

macro_rules! plain_int {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            fn le(self) -> Self {
                <$t>::from_le(self)
            }
        }
    )*};
}
plain_int!(u8, u16, u32, u64);

impl<const N: usize> Plain for [u8; N] {
    fn le(self) -> Self {
        self
    }
}

/// A column of plain values, built in memory or read in place from a snapshot (the
/// columns of one loaded index all share its bytes, so loading copies nothing). Either
/// way it reads as a slice.
#[derive(Clone)]
pub(crate) enum Column<T> {
    Owned(Vec<T>),
    /// A section of a snapshot's bytes, checked when made to be a whole number of `T`s
    /// aligned for `T` on a little-endian machine, so the view of it cannot fail later.
    Shared(Bytes),
}

impl<T: Plain> Column<T> {
    /// The section `range` of `bytes` as a column: read in place where this machine can
    /// (little-endian, the section aligned for `T`, as every snapshot writer aligns it),
    /// copied where not. `None` if the range is out of bounds or not a whole number of `T`s.
    pub(crate) fn read(bytes: &Bytes, range: Range<usize>) -> Option<Column<T>> {
        let raw = bytes.get(range.clone())?;
        let width = core::mem::size_of::<T>();
        if raw.len() % width != 0 {
            return None;
        }
        if cfg!(target_endian = "little") && bytemuck::try_cast_slice::<u8, T>(raw).is_ok() {
            return Some(Column::Shared(bytes.slice(range)));
        }
        let values = raw.chunks_exact(width).map(|c| bytemuck::pod_read_unaligned::<T>(c).le());
        Some(Column::Owned(values.collect()))
    }

    /// The values to change, copied out of the shared bytes first if they are there.
    pub(crate) fn to_mut(&mut self) -> &mut Vec<T> {
        if let Column::Shared(_) = self {
            *self = Column::Owned(self.to_vec());
        }
        match self {
            Column::Owned(values) => values,
            Column::Shared(_) => unreachable!("made owned above"),
        }
    }

    pub(crate) fn push(&mut self, value: T) {
        self.to_mut().push(value);
    }
}

/// `values` as a snapshot stores them: their little-endian bytes.
pub(crate) fn le_bytes<T: Plain>(values: &[T]) -> Vec<u8> {
    if cfg!(target_endian = "little") {
        return bytemuck::cast_slice(values).to_vec();
    }
    let mut out = Vec::with_capacity(core::mem::size_of_val(values));
    for v in values {
        out.extend_from_slice(bytemuck::bytes_of(&v.le()));
    }
    out
}

impl<T: Plain> Deref for Column<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Column::Owned(values) => values,
            Column::Shared(bytes) => bytemuck::try_cast_slice(bytes).unwrap_or_default(),
        }
    }
}

impl<T> Default for Column<T> {
    fn default() -> Self {
        Column::Owned(Vec::new())
    }
}

impl<T> From<Vec<T>> for Column<T> {
    fn from(values: Vec<T>) -> Self {
        Column::Owned(values)
    }
}

impl<T: Plain + PartialEq> PartialEq for Column<T> {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl<T: Plain + Eq> Eq for Column<T> {}

impl<T: Plain + fmt::Debug> fmt::Debug for Column<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self[..].fmt(f)
    }
}

/// Interned strings: one text buffer and the end offset of each string in it, a [`Blobs`]
/// read as text.
///
/// Invariant (checked whenever a snapshot is read): [`Ragged`]'s, so [`Strings::bytes`]
/// cannot panic for an id below [`Strings::len`]. A loaded snapshot's text is also UTF-8
/// split on char boundaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Strings(pub(crate) Blobs);

impl Strings {
    pub(crate) fn new(text: Column<u8>, ends: Column<u32>) -> Self {
        Strings(Ragged { ends, items: text })
    }

    /// Every string, end to end.
    pub(crate) fn text(&self) -> &Column<u8> {
        &self.0.items
    }

    /// Where each string ends in [`Strings::text`].
    pub(crate) fn ends(&self) -> &Column<u32> {
        &self.0.ends
    }

    /// The bytes its two vectors hold.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.0.memory_bytes()
    }

    /// String `id` (empty should the text not be UTF-8, which loading rules out).
    pub(crate) fn get(&self, id: u32) -> &str {
        core::str::from_utf8(self.bytes(id)).unwrap_or_default()
    }

    /// String `id`'s bytes.
    pub(crate) fn bytes(&self, id: u32) -> &[u8] {
        self.0.get(id as usize)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.ends.len()
    }

    /// Whether the invariant holds; used on every snapshot read.
    pub(crate) fn is_well_formed(&self) -> bool {
        self.0.is_well_formed()
    }

    /// Whether every string starts on a char boundary (of UTF-8 text).
    pub(crate) fn is_split_on_chars(&self) -> bool {
        // A char boundary is any byte that is not a continuation byte (0b10xx_xxxx).
        let text: &[u8] = &self.0.items;
        self.0.ends.iter().all(|&end| text.get(end as usize).is_none_or(|&b| (b as i8) >= -0x40))
    }
}

/// Builds a [`Strings`] table, giving equal strings one id.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    table: Strings,
    ids: HashMap<String, u32>,
}

impl Interner {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.table.len() as u32;
        self.table.0.push(s.bytes());
        self.ids.insert(s.into(), id);
        id
    }

    pub(crate) fn finish(self) -> Strings {
        self.table
    }
}

/// Items per record: record `i` owns `items[ends[i-1]..ends[i]]`. [`Lists`] of string ids
/// for columns like tags, [`Blobs`] of bytes for data whose reader gives it meaning.
///
/// Invariant (checked on load): `ends` never decreases and ends at `items.len()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ragged<T: Plain> {
    pub(crate) ends: Column<u32>,
    pub(crate) items: Column<T>,
}

pub(crate) type Lists = Ragged<u32>;
pub(crate) type Blobs = Ragged<u8>;

impl<T: Plain> Default for Ragged<T> {
    fn default() -> Self {
        Ragged { ends: Column::default(), items: Column::default() }
    }
}

impl<T: Plain> Ragged<T> {
    pub(crate) fn get(&self, i: usize) -> &[T] {
        &self.items[self.start(i) as usize..self.ends[i] as usize]
    }

    /// Where record `i`'s items start.
    fn start(&self, i: usize) -> u32 {
        if i == 0 { 0 } else { self.ends[i - 1] }
    }

    pub(crate) fn push(&mut self, items: impl IntoIterator<Item = T>) {
        self.items.to_mut().extend(items);
        self.ends.push(self.items.len() as u32);
    }

    /// Appends `other`'s lists `rows`, each item mapped by `f`.
    pub(crate) fn extend_rows(&mut self, other: &Ragged<T>, rows: Range<usize>, f: impl Fn(T) -> T) {
        if rows.is_empty() {
            return;
        }
        let (start, end) = (other.start(rows.start), other.ends[rows.end - 1]);
        let items = self.items.to_mut();
        let offset = items.len() as u32;
        items.extend(other.items[start as usize..end as usize].iter().map(|&item| f(item)));
        self.ends.to_mut().extend(other.ends[rows].iter().map(|&end| end - start + offset));
    }

    /// The bytes its two vectors hold.
    pub(crate) fn memory_bytes(&self) -> usize {
        core::mem::size_of_val(&self.ends[..]) + core::mem::size_of_val(&self.items[..])
    }

    pub(crate) fn is_well_formed(&self) -> bool {
        self.ends.windows(2).all(|w| w[0] <= w[1])
            && self.ends.last().map_or(self.items.is_empty(), |&e| e as usize == self.items.len())
    }
}
