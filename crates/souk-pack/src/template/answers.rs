//! Answers: the built-ins, then each variable's value (given, asked or defaulted), checked
//! against its type and rules before anything is rendered.

use std::collections::BTreeMap;
use std::fmt;

use heck::{ToKebabCase, ToPascalCase, ToSnakeCase};

use super::engine::Engine;
use super::spec::{BUILTINS, Kind, Variable};

/// One answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Bool(bool),
    Integer(i64),
    Text(String),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Bool(b) => write!(f, "{b}"),
            Answer::Integer(n) => write!(f, "{n}"),
            Answer::Text(s) => f.write_str(s),
        }
    }
}

/// Every value a project's templates see, by name: the built-ins and the answers.
pub type Answers = BTreeMap<String, Answer>;

/// What the caller knows before any question: the project's name, this year, its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builtins {
    pub name: String,
    pub year: i64,
    pub author: String,
}

impl Builtins {
    fn answers(&self) -> Answers {
        let text = |s: String| Answer::Text(s);
        Answers::from([
            ("name".into(), text(self.name.clone())),
            ("name_snake".into(), text(self.name.to_snake_case())),
            ("name_kebab".into(), text(self.name.to_kebab_case())),
            ("name_pascal".into(), text(self.name.to_pascal_case())),
            ("year".into(), Answer::Integer(self.year)),
            ("author".into(), text(self.author.clone())),
        ])
    }
}

/// Why an answer was refused, naming the variable and its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {rule}")]
pub struct AnswerError {
    pub variable: String,
    pub rule: String,
}

impl Variable {
    /// An answer typed as text (a prompt, `--set`), read as this variable's type and checked.
    pub fn read(&self, text: &str) -> Result<Answer, AnswerError> {
        let answer = match self.kind {
            Kind::String | Kind::Choice => Answer::Text(text.into()),
            Kind::Bool => match text.to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Answer::Bool(true),
                "false" | "no" | "n" | "0" => Answer::Bool(false),
                _ => return Err(self.refuse(format!("must be true or false (got {text:?})"))),
            },
            Kind::Integer => Answer::Integer(
                text.trim()
                    .parse()
                    .map_err(|_| self.refuse(format!("must be a whole number (got {text:?})")))?,
            ),
        };
        self.check(&answer)?;
        Ok(answer)
    }

    /// Whether `answer` keeps this variable's rules: its type, choices, pattern and bounds.
    pub fn check(&self, answer: &Answer) -> Result<(), AnswerError> {
        match (self.kind, answer) {
            (Kind::Bool, Answer::Bool(_)) => Ok(()),
            (Kind::Integer, Answer::Integer(n)) => self.bounds(*n, "be"),
            (Kind::Choice, Answer::Text(s)) if self.choices.contains(s) => Ok(()),
            (Kind::Choice, Answer::Text(s)) => {
                Err(self.refuse(format!("must be one of {} (got {s:?})", self.choices.join(", "))))
            }
            (Kind::String, Answer::Text(s)) => {
                self.bounds(s.chars().count() as i64, "have a length")?;
                match &self.pattern {
                    Some(p) if !whole_match(p, s) => Err(self.refuse(format!("must match {p} (got {s:?})"))),
                    _ => Ok(()),
                }
            }
            (kind, answer) => Err(self.refuse(format!("must be a {kind:?} (got {answer})").to_lowercase())),
        }
    }

    fn bounds(&self, n: i64, what: &str) -> Result<(), AnswerError> {
        match (self.min, self.max) {
            (Some(min), _) if n < min => Err(self.refuse(format!("must {what} at least {min} (got {n})"))),
            (_, Some(max)) if n > max => Err(self.refuse(format!("must {what} at most {max} (got {n})"))),
            _ => Ok(()),
        }
    }

    fn refuse(&self, rule: String) -> AnswerError {
        AnswerError { variable: self.name.clone(), rule }
    }
}

/// Whether the whole of `text` matches `pattern` (checked to compile when the pack was read).
fn whole_match(pattern: &str, text: &str) -> bool {
    regex_lite::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|r| r.is_match(text))
}

/// Asks for a variable, given its default: the answer, or `None` to take the default.
pub type Ask<'a> = &'a mut dyn FnMut(&Variable, Option<&Answer>) -> Option<Answer>;

/// Where answers come from, in order: what the caller gives (`--set`, an answers file, a
/// project's recorded answers), then `ask` (a prompt, for a variable whose `when` holds),
/// then the default. `ask` gets the variable and its default and returns the answer, or
/// `None` to take the default.
pub fn answer(
    variables: &[Variable],
    builtins: &Builtins,
    given: &BTreeMap<String, String>,
    mut ask: Option<Ask<'_>>,
) -> Result<Answers, Vec<AnswerError>> {
    let engine = Engine::new();
    let mut answers = builtins.answers();
    let mut errors = Vec::new();
    // A built-in given (`--set name=...`) is the caller's to put in `builtins`.
    let known = |k: &String| BUILTINS.contains(&k.as_str()) || variables.iter().any(|v| &v.name == k);
    if let Some(unknown) = given.keys().find(|k| !known(k)) {
        let names: Vec<&str> = variables.iter().map(|v| v.name.as_str()).collect();
        errors.push(AnswerError {
            variable: unknown.clone(),
            rule: format!("no pack asks for it (the variables are: {})", names.join(", ")),
        });
    }
    for v in variables {
        let default = match default(&engine, v, &answers) {
            Ok(d) => d,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let asked = match v.when.as_deref().map(|w| engine.holds(&v.name, w, &answers)) {
            Some(Err(message)) => {
                errors.push(v.refuse(message));
                continue;
            }
            Some(Ok(false)) => false,
            _ => true,
        };
        let answer = match given.get(&v.name) {
            Some(text) => v.read(text),
            None => match (asked, ask.as_mut()) {
                (true, Some(ask)) => {
                    ask(v, default.as_ref()).or(default).ok_or_else(|| v.refuse("has no answer".into()))
                }
                _ => default.ok_or_else(|| {
                    v.refuse("has no default: pass --set NAME=VALUE".replace("NAME", &v.name))
                }),
            }
            .and_then(|a| v.check(&a).map(|()| a)),
        };
        match answer {
            Ok(a) => {
                answers.insert(v.name.clone(), a);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(answers) } else { Err(errors) }
}

/// A variable's default: a literal, or a string rendered over the answers so far.
fn default(engine: &Engine, v: &Variable, answers: &Answers) -> Result<Option<Answer>, AnswerError> {
    Ok(match &v.default {
        None => None,
        Some(toml::Value::Boolean(b)) => Some(Answer::Bool(*b)),
        Some(toml::Value::Integer(n)) => Some(Answer::Integer(*n)),
        Some(toml::Value::String(s)) => {
            let name = format!("the default of {}", v.name);
            Some(Answer::Text(engine.render(&name, s, answers).map_err(|e| v.refuse(e.to_string()))?))
        }
        Some(_) => None,
    })
}
