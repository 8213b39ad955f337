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

/// A list of ids per record: record `i` owns `items[ends[i-1]..ends[i]]`.
///
/// Invariant (checked on load): `ends` never decreases and ends at `items.len()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lists {
    pub(crate) ends: Vec<u32>,
    pub(crate) items: Vec<u32>,
}

impl Lists {
    pub(crate) fn get(&self, i: usize) -> &[u32] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.items[start..self.ends[i] as usize]
    }

    pub(crate) fn push(&mut self, items: impl IntoIterator<Item = u32>) {
        self.items.extend(items);
        self.ends.push(self.items.len() as u32);
    }

    pub(crate) fn is_well_formed(&self) -> bool {
        self.ends.windows(2).all(|w| w[0] <= w[1])
            && self.ends.last().map_or(self.items.is_empty(), |&e| e as usize == self.items.len())
    }
}

/// Bytes per record: record `i` owns `bytes[ends[i-1]..ends[i]]`, the way [`Lists`] holds
/// ids. What the bytes mean is their reader's business.
///
/// Invariant (checked on load): `ends` never decreases and ends at `bytes.len()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Blobs {
    pub(crate) ends: Vec<u32>,
    pub(crate) bytes: Vec<u8>,
}

impl Blobs {
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
        self.ends.push(self.bytes.len() as u32);
    }

    pub(crate) fn is_well_formed(&self) -> bool {
        self.ends.windows(2).all(|w| w[0] <= w[1])
            && self.ends.last().map_or(self.bytes.is_empty(), |&e| e as usize == self.bytes.len())
    }
}
