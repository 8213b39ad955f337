//! Generation: a pack and its dependencies rendered into a new project, the same bytes
//! natively and in a tab.
//!
//! - [`spec`]: what a pack's `souk.toml` declares: its `[[variables]]` (typed, with help,
//!   defaults and rules) and its `[template]` globs (verbatim, excluded, conditional,
//!   merged).
//! - [`answers`]: the built-ins (`name` and its cases, `year`, `author`), then every
//!   variable given, asked or defaulted, each checked before anything renders.
//! - [`render`]: every pack of a resolution rendered with one set of answers (minijinja,
//!   strict about undefined values, bounded), into one tree whose paths stay inside it;
//!   two packs writing one path is an error unless the later says how to merge.
//! - [`update`]: a project brought to a newer render, three ways per file, so the user's
//!   edits and the template's changes both survive.
//!
//! The format is documented in `docs/templates.md`.

pub mod answers;
mod engine;
pub mod render;
pub mod spec;
pub mod update;

pub use answers::{Answer, AnswerError, Answers, Ask, Builtins, answer};
pub use engine::RenderError;
pub use render::{
    GenerateError, MAX_TREE, RECORD_DIR, Source, Tree, check, compose, digest, render, render_order,
    variables,
};
pub use spec::{BUILTINS, Files, Kind, Merge, Spec, Variable};
pub use update::{Change, Changes, NEW_SUFFIX, update};

#[cfg(test)]
mod tests;
