//! The two storage shapes every index column is made of: an interned string table and
//! ragged lists of ids. Both are flat vectors, so a snapshot stores them as they are.

use alloc::string::String;
use alloc::vec::Vec;

use hashbrown::HashMap;

/// Interned strings: one text buffer and the end offset of each string in it.
///
/// Invariant (checked when a snapshot is loaded): `ends` never decreases, its last entry
/// is `text.len()`, and every entry falls on a char boundary, so [`Strings::get`] cannot
/// panic for an id below [`Strings::len`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Strings {
    pub(crate) text: String,
    pub(crate) ends: Vec<u32>,
}

impl Strings {
    pub(crate) fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the invariant holds; used on every loaded snapshot.
    pub(crate) fn is_well_formed(&self) -> bool {
        let mut prev = 0;
        self.ends.iter().all(|&end| {
            let ok = end >= prev && self.text.is_char_boundary(end as usize);
            prev = end;
            ok
        }) && self.ends.last().map_or(self.text.is_empty(), |&e| e as usize == self.text.len())
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
        let id = self.table.ends.len() as u32;
        self.table.text.push_str(s);
        self.table.ends.push(self.table.text.len() as u32);
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
pub(crate) struct Ragged<T> {
    pub(crate) ends: Vec<u32>,
    pub(crate) items: Vec<T>,
}

pub(crate) type Lists = Ragged<u32>;
pub(crate) type Blobs = Ragged<u8>;

impl<T> Default for Ragged<T> {
    fn default() -> Self {
        Ragged { ends: Vec::new(), items: Vec::new() }
    }
}

impl<T> Ragged<T> {
    pub(crate) fn get(&self, i: usize) -> &[T] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.items[start..self.ends[i] as usize]
    }

    pub(crate) fn push(&mut self, items: impl IntoIterator<Item = T>) {
        self.items.extend(items);
        self.ends.push(self.items.len() as u32);
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
