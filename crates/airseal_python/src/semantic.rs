//! What names in a DAG file refer to: imports and aliases resolved to qualified names
//! (`from airflow.models import Variable as V` makes `V.get` mean `airflow.models.Variable.get`),
//! and recognizers for the Airflow APIs the rules care about, in their Airflow 2 and Airflow 3
//! (`airflow.sdk`) spellings.

use rustc_hash::FxHashMap;

use ruff_python_ast::{Expr, ExprCall, Stmt};

/// Local name → qualified name, from the file's import statements.
#[derive(Debug, Default)]
pub struct Imports {
    // Fx, not SipHash: keys are the file's own identifiers, looked up for every call.
    names: FxHashMap<String, String>,
}

impl Imports {
    /// Records an `import` / `from ... import` statement (at any depth: an import inside a task
    /// function still tells what its names mean).
    pub fn record(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let module = alias.name.as_str();
                    match &alias.asname {
                        Some(asname) => {
                            self.names
                                .insert(asname.as_str().to_owned(), module.to_owned());
                        }
                        None => {
                            // `import os.path` binds `os`.
                            let top = module.split('.').next().unwrap_or(module);
                            self.names.insert(top.to_owned(), top.to_owned());
                        }
                    }
                }
            }
            Stmt::ImportFrom(from) => {
                let module = from.module.as_ref().map_or("", |m| m.as_str());
                for alias in &from.names {
                    let name = alias.name.as_str();
                    if name == "*" {
                        continue;
                    }
                    let local = alias.asname.as_ref().map_or(name, |a| a.as_str());
                    let qualified = if module.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{module}.{name}")
                    };
                    self.names.insert(local.to_owned(), qualified);
                }
            }
            _ => {}
        }
    }

    /// The last segment of the name an expression refers to, without building the whole dotted
    /// name: `V` imported as `airflow.models.Variable` → `Variable`; `boto3.client` → `client`.
    /// Recognizers test this first, so most calls cost no allocation.
    pub fn last_name<'e>(&'e self, expr: &'e Expr) -> Option<&'e str> {
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                Some(self.names.get(id).map_or(id, |q| last_segment(q)))
            }
            Expr::Attribute(attr) => Some(attr.attr.as_str()),
            _ => None,
        }
    }

    /// The dotted name an expression refers to: `V.get` → `airflow.models.Variable.get`. Names
    /// that were not imported stay as written (`Variable.get` with a star import, `print`).
    pub fn qualified(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                Some(self.names.get(id).cloned().unwrap_or_else(|| id.to_owned()))
            }
            Expr::Attribute(attr) => {
                let base = self.qualified(&attr.value)?;
                Some(format!("{base}.{}", attr.attr.as_str()))
            }
            _ => None,
        }
    }
}

/// The last dotted segment: `airflow.models.Variable` → `Variable`.
pub fn last_segment(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
}

/// Whether a qualified name is one of Airflow's, or a bare name that was never imported (a star
/// import, a re-export the file does not show): both are taken at their word.
fn airflow_or_bare(qualified: &str, class: &str) -> bool {
    qualified == class || (qualified.starts_with("airflow.") && last_segment(qualified) == class)
}

/// `Variable.get(...)` (also `get_variable_from_secrets`), Airflow 2 or 3.
pub fn is_variable_get(imports: &Imports, call: &ExprCall) -> bool {
    if !matches!(
        imports.last_name(&call.func),
        Some("get" | "get_variable_from_secrets")
    ) {
        return false;
    }
    let Some(name) = imports.qualified(&call.func) else {
        return false;
    };
    let Some((class, method)) = name.rsplit_once('.') else {
        return false;
    };
    matches!(method, "get" | "get_variable_from_secrets") && airflow_or_bare(class, "Variable")
}

/// A connection lookup: `BaseHook.get_connection(id)`, `SomeHook.get_connection(id)`,
/// `Connection.get(id)`, `Connection.get_connection_from_secrets(id)`.
pub fn is_connection_lookup(imports: &Imports, call: &ExprCall) -> bool {
    if !matches!(
        imports.last_name(&call.func),
        Some("get_connection" | "get" | "get_connection_from_secrets")
    ) {
        return false;
    }
    let Some(name) = imports.qualified(&call.func) else {
        return false;
    };
    let Some((class, method)) = name.rsplit_once('.') else {
        return false;
    };
    let class_name = last_segment(class);
    match method {
        "get_connection" => class_name.ends_with("Hook"),
        "get" | "get_connection_from_secrets" => airflow_or_bare(class, "Connection"),
        _ => false,
    }
}

/// `Connection(...)` built in code.
pub fn is_connection_constructor(imports: &Imports, call: &ExprCall) -> bool {
    imports.last_name(&call.func) == Some("Connection")
        && imports
            .qualified(&call.func)
            .is_some_and(|name| airflow_or_bare(&name, "Connection"))
}

/// `DAG(...)`, `airflow.DAG(...)`, `airflow.sdk.DAG(...)`.
pub fn is_dag_constructor(imports: &Imports, call: &ExprCall) -> bool {
    imports.last_name(&call.func) == Some("DAG")
        && imports
            .qualified(&call.func)
            .is_some_and(|name| airflow_or_bare(&name, "DAG"))
}

/// An operator or sensor constructor: `BashOperator(...)`, `S3KeySensor(...)`, any class
/// from `airflow.operators` / `airflow.providers` / `airflow.sensors`.
pub fn is_operator_constructor(imports: &Imports, call: &ExprCall) -> bool {
    if !imports
        .last_name(&call.func)
        .is_some_and(|last| last.starts_with(|c: char| c.is_ascii_uppercase()))
    {
        return false;
    }
    let Some(name) = imports.qualified(&call.func) else {
        return false;
    };
    let last = last_segment(&name);
    let class_like = last.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    class_like
        && (last.ends_with("Operator")
            || last.ends_with("Sensor")
            || name.starts_with("airflow.operators.")
            || name.starts_with("airflow.sensors.")
            || (name.starts_with("airflow.providers.")
                && (name.contains(".operators.") || name.contains(".sensors."))))
}

/// The decorator's callee: `@task`, `@task.kubernetes(...)`, `@dag(...)`.
fn decorator_name(imports: &Imports, decorator: &Expr) -> Option<String> {
    let callee = match decorator {
        Expr::Call(call) => &*call.func,
        other => other,
    };
    imports.qualified(callee)
}

/// `@dag` / `@dag(...)`: the function body runs when the DAG file is parsed.
pub fn is_dag_decorator(imports: &Imports, decorator: &Expr) -> bool {
    decorator_name(imports, decorator).is_some_and(|name| {
        matches!(
            name.as_str(),
            "dag"
                | "airflow.decorators.dag"
                | "airflow.sdk.dag"
                | "airflow.sdk.definitions.dag.dag"
        )
    })
}

/// `@task`, `@task.virtualenv`, `@task.kubernetes(...)`, `@task_group` is not one.
pub fn is_task_decorator(imports: &Imports, decorator: &Expr) -> bool {
    decorator_name(imports, decorator).is_some_and(|name| {
        let base = name
            .strip_prefix("airflow.decorators.")
            .or_else(|| name.strip_prefix("airflow.sdk."))
            .unwrap_or(&name);
        base == "task" || base.starts_with("task.")
    })
}

/// A call that reads the environment: `os.environ[...]` is a subscript (see
/// [`env_subscript_name`]); these are the call forms, returning the name argument.
pub fn env_read_name<'a>(imports: &Imports, call: &'a ExprCall) -> Option<&'a Expr> {
    if !matches!(
        imports.last_name(&call.func),
        Some("getenv" | "get" | "setdefault" | "pop")
    ) {
        return None;
    }
    let name = imports.qualified(&call.func)?;
    match name.as_str() {
        "os.getenv" | "os.environ.get" | "os.environ.setdefault" | "os.environ.pop" => {
            call.arguments.args.first().or_else(|| {
                call.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "key"))
                    .map(|k| &k.value)
            })
        }
        _ => None,
    }
}

/// `os.environ["X"]`: the subscript's key expression.
pub fn env_subscript_name<'a>(
    imports: &Imports,
    subscript: &'a ruff_python_ast::ExprSubscript,
) -> Option<&'a Expr> {
    if imports.last_name(&subscript.value) != Some("environ") {
        return None;
    }
    let name = imports.qualified(&subscript.value)?;
    (name == "os.environ").then_some(&*subscript.slice)
}

/// A logging call: `print`, `logging.info`, `log.info`, `logger.warning`, `self.log.error`,
/// `ti.log.debug`, `LOG.exception`.
pub fn is_logging_call(imports: &Imports, call: &ExprCall) -> bool {
    if !matches!(
        imports.last_name(&call.func),
        Some(
            "print"
                | "pprint"
                | "debug"
                | "info"
                | "warning"
                | "warn"
                | "error"
                | "exception"
                | "critical"
                | "fatal"
                | "log"
        )
    ) {
        return false;
    }
    let Some(name) = imports.qualified(&call.func) else {
        return false;
    };
    if name == "print" || name == "pprint.pprint" || name == "pprint" {
        return true;
    }
    let Some((receiver, method)) = name.rsplit_once('.') else {
        return false;
    };
    let level = matches!(
        method,
        "debug"
            | "info"
            | "warning"
            | "warn"
            | "error"
            | "exception"
            | "critical"
            | "fatal"
            | "log"
    );
    let receiver = last_segment(receiver).to_ascii_lowercase();
    level
        && (receiver == "logging"
            || receiver == "log"
            || receiver == "logger"
            || receiver == "_log"
            || receiver == "_logger"
            || receiver.ends_with("_log")
            || receiver.ends_with("_logger"))
}

/// The keyword argument `name` of a call.
pub fn keyword<'a>(call: &'a ExprCall, name: &str) -> Option<&'a Expr> {
    call.arguments
        .keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
        .map(|k| &k.value)
}
