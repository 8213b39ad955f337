//! {{description}}
//!
//! ```
//! assert_eq!({{name_snake}}::add(2, 2), 4);
//! ```

/// Adds two numbers.
pub fn add(left: u64, right: u64) -> u64 {
    left + right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        assert_eq!(add(2, 2), 4);
    }
}
