//! The connection ids and Variable keys a Python file uses, for `airseal doctor`'s explanation of
//! where each resolves from: `*_conn_id="x"` arguments (hooks, operators, sensors),
//! `get_connection("x")` on any hook or `Connection`, `Variable.get("x")` / `key="x"`, and Jinja
//! templates in string literals (`{{ conn.x.password }}`, `{{ var.value.x }}`,
//! `{{ var.json.x }}`, `var.value.get('x')`). Only literal ids count: a computed id cannot be
//! checked statically.

use std::sync::LazyLock;

use regex::Regex;
use ruff_python_ast::PySourceType;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::Ranged;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReferenceKind {
    Connection,
    Variable,
}

/// One use of a connection id or Variable key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub id: String,
    /// 1-based.
    pub line: usize,
}

/// `{{ conn.<id>` and `{{ var.value.<key>` / `var.json.<key>` / `var.value.get('<key>'`.
static TEMPLATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"\bconn\.([A-Za-z_][\w]*)|\bvar\.(?:value|json)\.(?:get\(\s*['"]([^'"]+)['"]|([A-Za-z_][\w]*))"#,
    )
    .ok()
});

/// Every literal connection id and Variable key used in `source`. Files nested deeper than the
/// analyzer's guard are skipped (empty result).
pub fn references(source: &str) -> Vec<Reference> {
    if crate::too_deep(source).is_some() {
        return Vec::new();
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("airseal-references".to_owned())
            .stack_size(crate::ANALYSIS_STACK)
            .spawn_scoped(scope, || collect(source))
            .ok()
            .and_then(|handle| handle.join().ok())
            .unwrap_or_default()
    })
}

fn collect(source: &str) -> Vec<Reference> {
    let parsed = parse_unchecked_source(source, PySourceType::Python);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let mut finder = Finder {
        line_starts,
        found: Vec::new(),
    };
    finder.visit_body(&parsed.syntax().body);
    finder.found
}

struct Finder {
    line_starts: Vec<usize>,
    found: Vec<Reference>,
}

impl Finder {
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn push(&mut self, kind: ReferenceKind, id: &str, offset: usize) {
        if id.is_empty() || id.contains(['{', '}', ' ']) {
            return;
        }
        let line = self.line(offset);
        self.found.push(Reference {
            kind,
            id: id.to_owned(),
            line,
        });
    }

    fn call(&mut self, call: &ExprCall) {
        let method = match call.func.as_ref() {
            Expr::Attribute(attribute) => Some((attribute.attr.as_str(), attribute.value.as_ref())),
            _ => None,
        };
        let first_literal = call
            .arguments
            .args
            .first()
            .and_then(|a| a.as_string_literal_expr())
            .map(|s| s.value.to_str().to_owned());
        let keyword_literal = |name: &str| {
            call.arguments
                .keywords
                .iter()
                .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
                .and_then(|k| k.value.as_string_literal_expr())
                .map(|s| s.value.to_str().to_owned())
        };
        let offset = call.start().to_usize();
        match method {
            Some(("get_connection" | "get_connection_from_secrets", _)) => {
                if let Some(id) = first_literal.or_else(|| keyword_literal("conn_id")) {
                    self.push(ReferenceKind::Connection, &id, offset);
                }
            }
            Some(("get", Expr::Name(name))) if name.id.as_str() == "Variable" => {
                if let Some(key) = first_literal.or_else(|| keyword_literal("key")) {
                    self.push(ReferenceKind::Variable, &key, offset);
                }
            }
            _ => {}
        }
        for keyword in &call.arguments.keywords {
            let Some(arg) = keyword.arg.as_ref() else {
                continue;
            };
            if (arg.as_str() == "conn_id" || arg.as_str().ends_with("_conn_id"))
                && let Some(literal) = keyword.value.as_string_literal_expr()
            {
                self.push(
                    ReferenceKind::Connection,
                    literal.value.to_str(),
                    keyword.start().to_usize(),
                );
            }
        }
    }

    fn template(&mut self, text: &str, offset: usize) {
        if !text.contains("conn.") && !text.contains("var.") {
            return;
        }
        let Some(pattern) = TEMPLATE.as_ref() else {
            return;
        };
        let mut found = Vec::new();
        for captures in pattern.captures_iter(text) {
            if let Some(conn) = captures.get(1) {
                found.push((ReferenceKind::Connection, conn.as_str().to_owned()));
            } else if let Some(key) = captures.get(2).or_else(|| captures.get(3)) {
                // `var.value.get` is a method, not a key.
                if key.as_str() != "get" {
                    found.push((ReferenceKind::Variable, key.as_str().to_owned()));
                }
            }
        }
        for (kind, id) in found {
            self.push(kind, &id, offset);
        }
    }
}

impl<'a> Visitor<'a> for Finder {
    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => self.call(call),
            Expr::StringLiteral(literal) => {
                let text = literal.value.to_str().to_owned();
                self.template(&text, literal.start().to_usize());
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_ids_in_every_form() {
        let source = r#"
from airflow.models import Variable
from airflow.hooks.base import BaseHook
from airflow.providers.postgres.hooks.postgres import PostgresHook

BUCKET = Variable.get("bucket")
other = Variable.get(key="api_token", default_var=None)
conn = BaseHook.get_connection("warehouse")
hook = PostgresHook(postgres_conn_id="reporting_db")
cmd = "psql -p {{ conn.warehouse.password }} {{ var.value.schema }} {{ var.value.get('region') }}"
dynamic = Variable.get(name)
"#;
        let found: Vec<(ReferenceKind, String, usize)> = references(source)
            .into_iter()
            .map(|r| (r.kind, r.id, r.line))
            .collect();
        use ReferenceKind::{Connection, Variable};
        assert_eq!(
            found,
            [
                (Variable, "bucket".to_owned(), 6),
                (Variable, "api_token".to_owned(), 7),
                (Connection, "warehouse".to_owned(), 8),
                (Connection, "reporting_db".to_owned(), 9),
                (Connection, "warehouse".to_owned(), 10),
                (Variable, "schema".to_owned(), 10),
                (Variable, "region".to_owned(), 10),
            ]
        );
    }
}
