//! minijinja, set up for source files rather than HTML: nothing escaped, the last newline
//! kept, booleans written `true`/`false` (TOML's, JSON's, YAML's), an undefined variable an
//! error rather than an empty string, and every render bounded in work and output.

use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use super::answers::{Answer, Answers};

/// Fuel for one render: about one instruction or 64 bytes made each, so a template cannot
/// loop or grow past some 64 MB of work however it is written.
const FUEL: u64 = 1_000_000;
/// How deep templates may nest calls and blocks.
const RECURSION: usize = 64;

/// A render that failed: the template's line, if known, and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
pub struct RenderError {
    pub line: Option<usize>,
    pub message: String,
}

impl From<minijinja::Error> for RenderError {
    fn from(e: minijinja::Error) -> Self {
        let message = match (e.kind(), e.detail()) {
            (minijinja::ErrorKind::OutOfFuel, _) => {
                "the template does too much work (a loop too long?)".into()
            }
            (kind, Some(detail)) => format!("{kind}: {detail}"),
            (kind, None) => kind.to_string(),
        };
        RenderError { line: e.line(), message }
    }
}

pub(crate) struct Engine {
    env: Environment<'static>,
}

impl Engine {
    pub fn new() -> Engine {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_fuel(Some(FUEL));
        env.set_recursion_limit(RECURSION);
        let syntax = minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build();
        env.set_syntax(syntax.expect("the default syntax builds"));
        env.set_formatter(|out, state, value| match value.kind() {
            ValueKind::Bool => {
                let text = if value.is_true() { "true" } else { "false" };
                out.write_str(text)
                    .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))
            }
            _ => minijinja::escape_formatter(out, state, value),
        });
        for (name, case) in [
            ("snake_case", heck::ToSnakeCase::to_snake_case as fn(&str) -> String),
            ("kebab_case", heck::ToKebabCase::to_kebab_case),
            ("pascal_case", heck::ToPascalCase::to_pascal_case),
            ("camel_case", heck::ToLowerCamelCase::to_lower_camel_case),
            ("shouty_snake_case", heck::ToShoutySnakeCase::to_shouty_snake_case),
        ] {
            env.add_filter(name, move |s: &str| case(s));
        }
        Engine { env }
    }

    /// `source` rendered over `answers`; `name` names it in errors.
    pub fn render(&self, name: &str, source: &str, answers: &Answers) -> Result<String, RenderError> {
        Ok(self.env.render_named_str(name, source, context(answers))?)
    }

    /// Whether an expression over `answers` holds.
    pub fn holds(&self, name: &str, expression: &str, answers: &Answers) -> Result<bool, String> {
        let holds = self.env.compile_expression(expression).and_then(|e| e.eval(context(answers)));
        holds.map(|v| v.is_true()).map_err(|e| format!("{name}: `{expression}`: {}", RenderError::from(e)))
    }

    /// Whether `source` parses, and the variables it uses.
    pub fn variables(&self, name: &str, source: &str) -> Result<Vec<String>, RenderError> {
        let template = self.env.template_from_named_str(name, source)?;
        Ok(template.undeclared_variables(false).into_iter().collect())
    }
}

fn context(answers: &Answers) -> Value {
    let values: std::collections::BTreeMap<String, Value> = answers
        .iter()
        .map(|(k, a)| {
            let v = match a {
                Answer::Bool(b) => Value::from(*b),
                Answer::Integer(n) => Value::from(*n),
                Answer::Text(s) => Value::from(s.as_str()),
            };
            (k.clone(), v)
        })
        .collect();
    Value::from(values)
}
