//! The walk over one module's AST: keeps track of scope (module level and `@dag` bodies run when
//! the DAG file is parsed; task and other function bodies run in a worker), of what local names
//! hold (a Variable, a connection's password, an environment read), and of whether the walk is
//! inside an operator's or DAG's constructor arguments, and hands each node to the rules.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::ops::Range;

use airseal_finding::FindingBuilder;
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ExprCall, Stmt};
use ruff_text_size::Ranged;

use crate::names::{is_sensitive_name, masker_hides};
use crate::registry::RuleSpec;
use crate::rules;
use crate::semantic::{self, Imports};
use crate::strings::{span, static_string};

/// One finding, before the engine places it in the file.
pub struct Report {
    pub builder: FindingBuilder,
    pub span: Range<usize>,
}

/// Where code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// Module level: runs on every parse of the DAG file.
    Module,
    /// A class body: runs when the module runs.
    Class,
    /// The body of a `@dag` function: Airflow calls it while parsing the file.
    DagFunction,
    /// A `@task` function: runs in the worker, once per task instance.
    Task,
    /// Any other function: runs when called (in a task's `python_callable`, an `execute`).
    Function,
}

/// Something secret that a local name or an expression holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `Variable.get(key)`; `key` when it is a constant.
    Variable { key: Option<String> },
    /// A connection object from `BaseHook.get_connection(id)`.
    Connection { conn_id: Option<String> },
    /// `conn.password`, `conn.get_password()`; the receiver's name when it is a plain name.
    ConnectionPassword { receiver: Option<String> },
    /// `conn.get_uri()`: the URI carries the password.
    ConnectionUri,
    /// `conn.extra_dejson["key"]` with a sensitive key.
    ConnectionExtra { key: String },
    /// `os.environ["NAME"]` with a secret-like name.
    Environment { name: String },
}

impl SecretSource {
    /// Whether the value is a secret (a connection object is not printed as one, a Variable
    /// only when its name says so).
    pub fn is_secret(&self) -> bool {
        match self {
            SecretSource::Variable { key } => key
                .as_deref()
                .is_some_and(|k| is_sensitive_name(k) || masker_hides(k)),
            SecretSource::Connection { .. } => false,
            _ => true,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            SecretSource::Variable { key: Some(key) } => format!("Variable `{key}`"),
            SecretSource::Variable { key: None } => "a Variable".to_owned(),
            SecretSource::Connection { conn_id: Some(id) } => format!("connection `{id}`"),
            SecretSource::Connection { conn_id: None } => "a connection".to_owned(),
            SecretSource::ConnectionPassword {
                receiver: Some(name),
            } => {
                format!("the password `{name}.password`")
            }
            SecretSource::ConnectionPassword { receiver: None } => {
                "a password attribute".to_owned()
            }
            SecretSource::ConnectionUri => "a connection's URI (with its password)".to_owned(),
            SecretSource::ConnectionExtra { key } => format!("the connection extra `{key}`"),
            SecretSource::Environment { name } => format!("environment variable `{name}`"),
        }
    }
}

struct Scope {
    kind: ScopeKind,
    bindings: HashMap<String, SecretSource>,
}

pub struct Checker<'a> {
    pub source: &'a str,
    pub imports: Imports,
    scopes: Vec<Scope>,
    /// How many operator / DAG constructor argument lists enclose the current node.
    constructor_depth: usize,
    /// For each call whose arguments enclose the current node, innermost last: whether its
    /// arguments may be templated (anything but a driver or HTTP call).
    call_arguments: Vec<bool>,
    reported: HashSet<(&'static str, Range<usize>)>,
    /// The name the current expression is bound to: an assignment target, a keyword, a dict
    /// key. Used to name the connection to create for a URI.
    pub name_hint: Option<String>,
    pub reports: Vec<Report>,
}

impl<'a> Checker<'a> {
    pub fn new(source: &'a str, body: &[Stmt]) -> Self {
        let mut imports = Imports::default();
        collect_imports(body, &mut imports);
        Checker {
            source,
            imports,
            scopes: vec![Scope {
                kind: ScopeKind::Module,
                bindings: HashMap::default(),
            }],
            constructor_depth: 0,
            call_arguments: Vec::new(),
            reported: HashSet::default(),
            name_hint: None,
            reports: Vec::new(),
        }
    }

    /// Whether the current node runs when the scheduler or DAG processor parses the file.
    pub fn at_parse_time(&self) -> bool {
        self.scopes.iter().all(|s| {
            matches!(
                s.kind,
                ScopeKind::Module | ScopeKind::Class | ScopeKind::DagFunction
            )
        })
    }

    pub fn in_constructor_arguments(&self) -> bool {
        self.constructor_depth > 0
    }

    /// Whether the current node is an argument of a driver or HTTP call (`psycopg2.connect(...)`,
    /// `requests.get(...)`, `create_engine(...)`): such a string is never rendered by Jinja.
    /// Anything else (an operator, a custom task class, a factory) may template it.
    pub fn in_plain_call_arguments(&self) -> bool {
        self.call_arguments
            .last()
            .is_some_and(|templated| !templated)
    }

    /// Text of the source at `range`.
    pub fn text(&self, range: Range<usize>) -> &'a str {
        self.source.get(range).unwrap_or("")
    }

    /// Records a finding of `spec` at `span`. The same rule at the same span is reported once
    /// (an f-string's literal parts are visited both as a whole and as parts).
    pub fn report(
        &mut self,
        spec: &'static RuleSpec,
        span: Range<usize>,
        message: String,
        fix: String,
        span_is_secret: bool,
    ) {
        if !self.reported.insert((spec.code, span.clone())) {
            return;
        }
        let builder = spec.finding(spec.severity, message, fix, span_is_secret);
        self.reports.push(Report { builder, span });
    }

    /// What secret, if any, an expression yields, and the sub-expression that yields it:
    /// `conn.password`, `Variable.get("k")`, `os.environ["DB_PASSWORD"]`, a name bound to one of
    /// these, or an f-string / concatenation / `%` / `.format` containing one.
    pub fn secret_source(&self, expr: &'a Expr) -> Option<(SecretSource, &'a Expr)> {
        self.secret_source_depth(expr, 0)
    }

    fn secret_source_depth(
        &self,
        expr: &'a Expr,
        depth: usize,
    ) -> Option<(SecretSource, &'a Expr)> {
        if depth > 16 {
            return None;
        }
        let direct = self.direct_source(expr);
        if direct.is_some() {
            return direct.map(|s| (s, expr));
        }
        let children: Vec<&'a Expr> = match expr {
            Expr::FString(f) => f
                .value
                .elements()
                .filter_map(|e| match e {
                    ruff_python_ast::InterpolatedStringElement::Interpolation(i) => {
                        Some(&*i.expression)
                    }
                    ruff_python_ast::InterpolatedStringElement::Literal(_) => None,
                })
                .collect(),
            Expr::BinOp(b) => vec![&*b.left, &*b.right],
            Expr::Tuple(t) => t.elts.iter().collect(),
            Expr::Call(call) => {
                // Only calls that pass the value through: "...".format(x), str(x),
                // json.dumps(x), base64.b64encode(x). `redact(x)`, `len(x)`, `hash(x)` do not.
                let transparent = matches!(
                    self.imports.last_name(&call.func),
                    Some(
                        "format"
                            | "str"
                            | "repr"
                            | "encode"
                            | "decode"
                            | "strip"
                            | "dumps"
                            | "b64encode"
                            | "urlsafe_b64encode"
                            | "quote"
                            | "quote_plus"
                            | "urlencode"
                            | "join"
                            | "bytes"
                    )
                );
                if !transparent {
                    return None;
                }
                let mut v: Vec<&Expr> = call.arguments.args.iter().collect();
                v.extend(call.arguments.keywords.iter().map(|k| &k.value));
                if let Expr::Attribute(a) = &*call.func {
                    v.push(&a.value);
                }
                v
            }
            _ => Vec::new(),
        };
        children
            .into_iter()
            .find_map(|c| self.secret_source_depth(c, depth + 1))
    }

    fn direct_source(&self, expr: &Expr) -> Option<SecretSource> {
        match expr {
            Expr::Name(name) => self.lookup(name.id.as_str()).cloned(),
            Expr::Attribute(attr) => match attr.attr.as_str() {
                "password" => Some(SecretSource::ConnectionPassword {
                    receiver: receiver_name(&attr.value),
                }),
                _ => None,
            },
            Expr::Call(call) => {
                if semantic::is_variable_get(&self.imports, call) {
                    let key = call.arguments.args.first().and_then(static_string);
                    return Some(SecretSource::Variable { key });
                }
                if semantic::is_connection_lookup(&self.imports, call) {
                    let conn_id = call
                        .arguments
                        .args
                        .first()
                        .or_else(|| semantic::keyword(call, "conn_id"))
                        .and_then(static_string);
                    return Some(SecretSource::Connection { conn_id });
                }
                if let Some(name) = semantic::env_read_name(&self.imports, call) {
                    return self.env_source(name);
                }
                if let Expr::Attribute(attr) = &*call.func {
                    match attr.attr.as_str() {
                        "get_password" => {
                            return Some(SecretSource::ConnectionPassword {
                                receiver: receiver_name(&attr.value),
                            });
                        }
                        "get_uri" if self.is_connection_object(&attr.value) => {
                            return Some(SecretSource::ConnectionUri);
                        }
                        "get" if is_extra_dejson(&attr.value) => {
                            return extra_source(call.arguments.args.first());
                        }
                        _ => {}
                    }
                }
                None
            }
            Expr::Subscript(sub) => {
                if let Some(name) = semantic::env_subscript_name(&self.imports, sub) {
                    return self.env_source(name);
                }
                if is_extra_dejson(&sub.value) {
                    return extra_source(Some(&sub.slice));
                }
                None
            }
            _ => None,
        }
    }

    fn env_source(&self, name: &Expr) -> Option<SecretSource> {
        let name = static_string(name)?;
        // `AIRFLOW_CONN_*` holds a whole connection URI, password included.
        let secret = is_sensitive_name(&name) || name.starts_with("AIRFLOW_CONN_");
        secret.then_some(SecretSource::Environment { name })
    }

    /// Whether `expr` is a connection object: a name bound to a connection lookup, or the
    /// lookup itself.
    fn is_connection_object(&self, expr: &Expr) -> bool {
        match self.direct_source(expr) {
            Some(SecretSource::Connection { .. }) => true,
            _ => match expr {
                Expr::Name(n) => {
                    let id = n.id.as_str();
                    id == "conn" || id == "connection" || id.ends_with("_conn")
                }
                _ => false,
            },
        }
    }

    fn lookup(&self, name: &str) -> Option<&SecretSource> {
        let innermost = self.scopes.last()?;
        innermost
            .bindings
            .get(name)
            .or_else(|| self.scopes.first()?.bindings.get(name))
    }

    fn bind(&mut self, target: &Expr, value: &'a Expr) {
        let Expr::Name(name) = target else {
            return;
        };
        let source = self.direct_source(value);
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        match source {
            Some(source) => {
                scope.bindings.insert(name.id.to_string(), source);
            }
            None => {
                scope.bindings.remove(name.id.as_str());
            }
        }
    }

    fn check_call(&mut self, call: &'a ExprCall) {
        rules::dag001_hardcoded_secret_argument::check_call(self, call);
        rules::dag003_connection_in_code::check_call(self, call);
        rules::dag005_secret_from_environment::check_call(self, call);
        rules::dag006_variable_get_at_parse_time::check_call(self, call);
        rules::dag008_variable_name_not_masked::check_call(self, call);
        rules::dag009_secret_logged::check_call(self, call);
        rules::dag010_secret_in_task_environment::check_call(self, call);
        rules::dag011_cloud_client_literal_keys::check_call(self, call);
    }

    fn check_strings(&mut self, expr: &'a Expr) {
        rules::dag004_credentials_in_uri::check_string(self, expr);
        rules::dag007_secret_in_template::check_string(self, expr);
        rules::dag008_variable_name_not_masked::check_string(self, expr);
    }

    fn visit_function(&mut self, function: &'a ruff_python_ast::StmtFunctionDef) {
        for decorator in &function.decorator_list {
            self.visit_expr(&decorator.expression);
        }
        for parameter in function.parameters.iter_non_variadic_params() {
            if let Some(default) = parameter.default() {
                self.visit_expr(default);
            }
        }
        rules::dag002_hardcoded_secret_assignment::check_function(self, function);
        let kind = if function
            .decorator_list
            .iter()
            .any(|d| semantic::is_dag_decorator(&self.imports, &d.expression))
        {
            ScopeKind::DagFunction
        } else if function
            .decorator_list
            .iter()
            .any(|d| semantic::is_task_decorator(&self.imports, &d.expression))
        {
            ScopeKind::Task
        } else {
            ScopeKind::Function
        };
        self.scopes.push(Scope {
            kind,
            bindings: HashMap::default(),
        });
        // A function's body is not inside the constructor call that mentions it.
        let depth = std::mem::take(&mut self.constructor_depth);
        let calls = std::mem::take(&mut self.call_arguments);
        self.visit_body(&function.body);
        self.call_arguments = calls;
        self.constructor_depth = depth;
        self.scopes.pop();
    }
}

impl<'a> Visitor<'a> for Checker<'a> {
    fn visit_keyword(&mut self, keyword: &'a ruff_python_ast::Keyword) {
        let hint = keyword
            .arg
            .as_ref()
            .map(|a| a.to_string())
            .or_else(|| self.name_hint.clone());
        let saved = std::mem::replace(&mut self.name_hint, hint);
        visitor::walk_keyword(self, keyword);
        self.name_hint = saved;
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(function) => self.visit_function(function),
            Stmt::ClassDef(class) => {
                for decorator in &class.decorator_list {
                    self.visit_expr(&decorator.expression);
                }
                if let Some(arguments) = &class.arguments {
                    self.visit_arguments(arguments);
                }
                let kind = if self.at_parse_time() {
                    ScopeKind::Class
                } else {
                    ScopeKind::Function
                };
                self.scopes.push(Scope {
                    kind,
                    bindings: HashMap::default(),
                });
                self.visit_body(&class.body);
                self.scopes.pop();
            }
            Stmt::Assign(assign) => {
                rules::dag002_hardcoded_secret_assignment::check_assign(
                    self,
                    &assign.targets,
                    &assign.value,
                );
                rules::dag008_variable_name_not_masked::check_assign(
                    self,
                    &assign.targets,
                    &assign.value,
                );
                let hint = assign.targets.first().and_then(hint_name);
                let saved = std::mem::replace(&mut self.name_hint, hint);
                visitor::walk_stmt(self, stmt);
                self.name_hint = saved;
                for target in &assign.targets {
                    self.bind(target, &assign.value);
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Some(value) = &assign.value {
                    let targets = std::slice::from_ref(&*assign.target);
                    rules::dag002_hardcoded_secret_assignment::check_assign(self, targets, value);
                    rules::dag008_variable_name_not_masked::check_assign(self, targets, value);
                }
                visitor::walk_stmt(self, stmt);
                if let Some(value) = &assign.value {
                    self.bind(&assign.target, value);
                }
            }
            // A docstring or bare string runs nothing and renders nothing; the credential rules
            // still read it as text.
            Stmt::Expr(expr)
                if matches!(&*expr.value, Expr::StringLiteral(_) | Expr::FString(_)) => {}
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                self.check_call(call);
                self.visit_expr(&call.func);
                let constructor = semantic::is_operator_constructor(&self.imports, call)
                    || semantic::is_dag_constructor(&self.imports, call);
                if constructor {
                    self.constructor_depth += 1;
                }
                let templated = !matches!(
                    self.imports.last_name(&call.func),
                    Some(
                        "connect"
                            | "get"
                            | "post"
                            | "put"
                            | "patch"
                            | "delete"
                            | "request"
                            | "create_engine"
                            | "urlopen"
                            // String methods: the text is searched for, not rendered.
                            | "replace"
                            | "startswith"
                            | "endswith"
                            | "find"
                            | "index"
                            | "count"
                            | "split"
                            | "removeprefix"
                            | "removesuffix"
                            | "search"
                            | "match"
                            | "fullmatch"
                            | "sub"
                            | "compile"
                    )
                );
                self.call_arguments.push(templated);
                self.visit_arguments(&call.arguments);
                self.call_arguments.pop();
                if constructor {
                    self.constructor_depth -= 1;
                }
                return;
            }
            Expr::Subscript(sub) => {
                rules::dag005_secret_from_environment::check_subscript(self, sub);
            }
            Expr::Dict(dict) => {
                rules::dag001_hardcoded_secret_argument::check_dict(self, dict);
                rules::dag008_variable_name_not_masked::check_dict(self, dict);
                // Each value is bound to its key: the hint for nested dicts and URIs.
                for item in &dict.items {
                    if let Some(key) = &item.key {
                        self.visit_expr(key);
                    }
                    let hint = item
                        .key
                        .as_ref()
                        .and_then(static_string)
                        .or_else(|| self.name_hint.clone());
                    let saved = std::mem::replace(&mut self.name_hint, hint);
                    self.visit_expr(&item.value);
                    self.name_hint = saved;
                }
                return;
            }
            Expr::Compare(compare) => {
                rules::dag002_hardcoded_secret_assignment::check_compare(self, compare);
            }
            Expr::StringLiteral(_) | Expr::FString(_) => self.check_strings(expr),
            Expr::Lambda(_) => {
                // A lambda's body runs when called, like a function's.
                self.scopes.push(Scope {
                    kind: ScopeKind::Function,
                    bindings: HashMap::default(),
                });
                let depth = std::mem::take(&mut self.constructor_depth);
                visitor::walk_expr(self, expr);
                self.constructor_depth = depth;
                self.scopes.pop();
                return;
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

/// `conn` in `conn.password`, `self.conn` in `self.conn.password`.
fn receiver_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => receiver_name(&a.value).map(|base| format!("{base}.{}", a.attr)),
        _ => None,
    }
}

/// The name an assignment target stands for, as a hint.
fn hint_name(target: &Expr) -> Option<String> {
    match target {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => Some(a.attr.to_string()),
        _ => None,
    }
}

/// `conn.extra_dejson` (or `.extra_dejson` of anything).
fn is_extra_dejson(expr: &Expr) -> bool {
    matches!(expr, Expr::Attribute(a) if a.attr.as_str() == "extra_dejson")
}

fn extra_source(key: Option<&Expr>) -> Option<SecretSource> {
    let key = static_string(key?)?;
    is_sensitive_name(&key).then_some(SecretSource::ConnectionExtra { key })
}

/// Imports anywhere in the module, so a name used above its import still resolves.
fn collect_imports(body: &[Stmt], imports: &mut Imports) {
    for stmt in body {
        match stmt {
            Stmt::Import(_) | Stmt::ImportFrom(_) => imports.record(stmt),
            Stmt::FunctionDef(f) => collect_imports(&f.body, imports),
            Stmt::ClassDef(c) => collect_imports(&c.body, imports),
            Stmt::If(i) => {
                collect_imports(&i.body, imports);
                for clause in &i.elif_else_clauses {
                    collect_imports(&clause.body, imports);
                }
            }
            Stmt::Try(t) => {
                collect_imports(&t.body, imports);
                for handler in &t.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                    collect_imports(&h.body, imports);
                }
                collect_imports(&t.orelse, imports);
                collect_imports(&t.finalbody, imports);
            }
            Stmt::With(w) => collect_imports(&w.body, imports),
            _ => {}
        }
    }
}

/// The span of a value as a finding shows it: a plain string literal without its prefix and
/// quotes (so it lines up with the credential rules' spans on the same text); anything else
/// (a concatenation, an f-string, a call) whole.
pub fn expr_span(expr: &Expr) -> Range<usize> {
    use ruff_python_ast::StringFlags;
    if let Expr::StringLiteral(literal) = expr
        && let [part] = literal.value.as_slice()
    {
        let start = part.range.start() + part.flags.opener_len();
        let end = part.range.end() - part.flags.closer_len();
        if start <= end {
            return start.to_usize()..end.to_usize();
        }
    }
    span(expr)
}

/// Source range of any node.
pub fn node_span(node: &impl Ranged) -> Range<usize> {
    span(node)
}
