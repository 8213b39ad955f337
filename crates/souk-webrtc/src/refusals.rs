//! Negotiations refused or given up, counted by reason, so a tab can show why its direct
//! connections did not come up.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Counts by reason, shared by the transport and the behaviour (and read by the page).
#[derive(Clone, Debug, Default)]
pub struct Refusals(Arc<Mutex<BTreeMap<&'static str, u64>>>);

impl Refusals {
    pub fn count(&self, reason: &'static str) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()).entry(reason).or_default() += 1;
    }

    /// Every reason counted so far, with its count.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|(r, n)| (*r, *n)).collect()
    }
}
