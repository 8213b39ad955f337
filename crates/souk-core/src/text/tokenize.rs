//! Text into search terms, the same way for what is indexed and what is asked.
//!
//! A term is a run of letters and digits, lower-cased, cut where a camelCase hump begins
//! (`createReactApp` gives `create`, `react`, `app`; `XMLHttpRequest` gives `xml`, `http`,
//! `request`). Everything else (`-`, `_`, `.`, `/`, `@`, spaces, punctuation) separates
//! terms. Terms are cut to [`MAX_TERM_LEN`] bytes so no term costs more than that.

use alloc::string::String;

/// The longest term kept, in bytes (cut at a char boundary).
pub const MAX_TERM_LEN: usize = 32;

/// What text is being cut for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Pack text: a camelCase word also gives its whole self (`javascript` as well as
    /// `java` and `script`), so a query typed either way finds it.
    Index,
    /// A query: only the parts, so `createReactApp` finds `create-react-app` too.
    Query,
}

/// Calls `emit` with each term of `text`, in order. `buf` is scratch space, reused so
/// tokenizing allocates nothing per term.
pub fn for_each_term(text: &str, mode: Mode, buf: &mut Terms, mut emit: impl FnMut(&str)) {
    let mut chars = text.chars().peekable();
    let mut prev: Option<char> = None;
    buf.clear();
    while let Some(c) = chars.next() {
        if !c.is_alphanumeric() {
            buf.end_word(mode, &mut emit);
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            let hump = c.is_uppercase()
                && (p.is_lowercase() || (p.is_uppercase() && chars.peek().is_some_and(|n| n.is_lowercase())));
            if hump {
                buf.end_part(&mut emit);
            }
        }
        for lower in c.to_lowercase() {
            push_bounded(&mut buf.part, lower);
            push_bounded(&mut buf.word, lower);
        }
        prev = Some(c);
    }
    buf.end_word(mode, &mut emit);
}

/// Scratch space for [`for_each_term`].
#[derive(Debug, Default)]
pub struct Terms {
    part: String,
    word: String,
    parts: usize,
}

impl Terms {
    fn clear(&mut self) {
        self.part.clear();
        self.word.clear();
        self.parts = 0;
    }

    fn end_part(&mut self, emit: &mut impl FnMut(&str)) {
        if !self.part.is_empty() {
            emit(&self.part);
            self.part.clear();
            self.parts += 1;
        }
    }

    fn end_word(&mut self, mode: Mode, emit: &mut impl FnMut(&str)) {
        self.end_part(emit);
        if mode == Mode::Index && self.parts > 1 {
            emit(&self.word);
        }
        self.clear();
    }
}

fn push_bounded(s: &mut String, c: char) {
    if s.len() + c.len_utf8() <= MAX_TERM_LEN {
        s.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn terms(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_term(text, Mode::Query, &mut Terms::default(), |t| out.push(t.into()));
        out
    }

    #[test]
    fn splits_names_on_separators_and_humps() {
        assert_eq!(terms("@babel/core"), ["babel", "core"]);
        assert_eq!(terms("lodash.merge"), ["lodash", "merge"]);
        assert_eq!(terms("create-react_app"), ["create", "react", "app"]);
        assert_eq!(terms("createReactApp"), ["create", "react", "app"]);
        assert_eq!(terms("XMLHttpRequest"), ["xml", "http", "request"]);
        assert_eq!(terms("base64 ES2015 v8"), ["base64", "es2015", "v8"]);
    }

    #[test]
    fn indexing_also_keeps_whole_camel_case_words() {
        let mut out = Vec::new();
        for_each_term("JavaScript createReactApp", Mode::Index, &mut Terms::default(), |t| {
            out.push(String::from(t))
        });
        assert_eq!(out, ["java", "script", "javascript", "create", "react", "app", "createreactapp"]);
    }

    #[test]
    fn handles_any_script_and_bounds_terms() {
        assert_eq!(terms("Ünïcode Straße"), ["ünïcode", "straße"]);
        assert_eq!(terms("日本語 テキスト"), ["日本語", "テキスト"]);
        assert!(terms("🦀 !!! \u{0} \t").is_empty());
        let long = terms(&"a".repeat(100));
        assert_eq!(long, ["a".repeat(MAX_TERM_LEN)]);
        assert_eq!(terms(&"é".repeat(40))[0].len(), MAX_TERM_LEN);
    }
}
