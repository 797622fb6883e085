//! ## What it does
//! Finds a constant string assigned to a name that says it is a secret (`DB_PASSWORD = "..."`,
//! `self.api_key = "..."`, `config["token"] = "..."`, `os.environ["AWS_SECRET_ACCESS_KEY"] =
//! "..."`), compared with one (`if password == "..."`), or used as the default of such a
//! parameter (`def connect(user, password="...")`). This is bandit's B105 / B106 / B107
//! territory, with no entropy threshold: a weak password (`"root"`, `"1234"`) is still a
//! hardcoded password. Only placeholders, templates, paths and environment variable names are
//! skipped.
//! ## Why is this bad?
//! A module-level constant in a DAG file is read by the scheduler or DAG processor on every
//! parse and is shown in the web UI's "Code" view to everyone who can see the DAG; it lives in
//! the repository's history forever. A default parameter value is a password that every caller
//! that forgets the argument silently uses. A comparison with a literal is a backdoor.
//! ## Example
//! ```python
//! WAREHOUSE_PASSWORD = "Tr0ub4dor&3"
//!
//! def load(password="Tr0ub4dor&3"):
//!     ...
//! ```
//! ## How to fix
//! Delete the constant and read the secret where it is used, at run time: a connection's
//! password through the hook (`PostgresHook(postgres_conn_id="warehouse")`), or a Variable
//! whose name contains a masker keyword (`Variable.get("warehouse_password")`) inside the task.
//! Rotate the exposed value: it is in the repository's history.

use ruff_python_ast::{CmpOp, Expr, ExprCompare, StmtFunctionDef};

use airseal_finding::{Confidence, Severity};

use crate::checker::{Checker, expr_span};
use crate::names::{is_sensitive_name, secret_word};
use crate::registry::RuleSpec;
use crate::strings::{
    ValueKind, classify_password, classify_value, is_credential_for, static_string,
};

pub const RULE: RuleSpec = RuleSpec {
    code: "DAG002",
    name: "hardcoded-secret-assignment",
    summary: "Hardcoded secret assigned to, compared with, or defaulted for a sensitive name",
    severity: Severity::High,
    confidence: Confidence::High,
    overlap_rank: Some(20),
    references: &[
        "https://bandit.readthedocs.io/en/latest/plugins/b105_hardcoded_password_string.html",
        "https://bandit.readthedocs.io/en/latest/plugins/b107_hardcoded_password_default.html",
    ],
    source: include_str!("dag002_hardcoded_secret_assignment.rs"),
};

/// The name a target or operand stands for: `x`, `obj.x`, `d["x"]`.
fn target_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(a.attr.to_string()),
        Expr::Subscript(s) => static_string(&s.slice),
        _ => None,
    }
}

fn literal_credential(name: &str, value: &Expr) -> bool {
    static_string(value).is_some_and(|v| is_credential_for(name, &v))
}

/// Comparisons report any non-placeholder constant: `password == "this cool password"` is a
/// check against a hardcoded password whatever it reads like.
fn compared_credential(name: &str, value: &Expr) -> bool {
    let classify = if crate::names::is_password_name(name) {
        classify_password
    } else {
        classify_value
    };
    static_string(value).is_some_and(|v| classify(&v) == ValueKind::Credential)
}

const FIX: &str = "Read it at run time instead: a connection's password through the hook (`*_conn_id=`), or `Variable.get(\"<name>\")` with a name containing a masker keyword, inside the task. Rotate the exposed value.";

pub fn check_assign(checker: &mut Checker<'_>, targets: &[Expr], value: &Expr) {
    for target in targets {
        let Some(name) = target_name(target) else {
            continue;
        };
        if !is_sensitive_name(&name) || !literal_credential(&name, value) {
            continue;
        }
        checker.report(
            &RULE,
            expr_span(value),
            format!("Hardcoded {} assigned to `{name}`", secret_word(&name)),
            FIX.to_owned(),
            true,
        );
        return;
    }
}

pub fn check_compare(checker: &mut Checker<'_>, compare: &ExprCompare) {
    if !compare
        .ops
        .iter()
        .all(|op| matches!(op, CmpOp::Eq | CmpOp::NotEq | CmpOp::Is | CmpOp::IsNot))
    {
        return;
    }
    let operands: Vec<&Expr> = std::iter::once(&*compare.left)
        .chain(compare.comparators.iter())
        .collect();
    // Like bandit: in a chain that compares a sensitive name, every constant is the password.
    let Some(name) = operands
        .iter()
        .filter_map(|e| target_name(e))
        .find(|n| is_sensitive_name(n))
    else {
        return;
    };
    let conn_string = crate::names::is_connection_string_name(&name);
    for operand in operands {
        let credential = if conn_string {
            static_string(operand).is_some_and(|v| is_credential_for(&name, &v))
        } else {
            compared_credential(&name, operand)
        };
        if target_name(operand).is_none() && credential {
            checker.report(
                &RULE,
                expr_span(operand),
                format!("`{name}` compared with a hardcoded {}", secret_word(&name)),
                "Compare with a value read at run time from the secrets backend (a connection's password or a Variable), never with a constant.".to_owned(),
                true,
            );
        }
    }
}

pub fn check_function(checker: &mut Checker<'_>, function: &StmtFunctionDef) {
    for parameter in function.parameters.iter_non_variadic_params() {
        let name = parameter.parameter.name.as_str();
        let Some(default) = parameter.default() else {
            continue;
        };
        if is_sensitive_name(name) && literal_credential(name, default) {
            checker.report(
                &RULE,
                expr_span(default),
                format!(
                    "Hardcoded {} as the default of parameter `{name}` of `{}`",
                    secret_word(name),
                    function.name.as_str()
                ),
                format!("Default `{name}` to `None` and read the secret at run time when it is not given (a connection's password through its hook, or a Variable with a sensitive name)."),
                true,
            );
        }
    }
}
