#!/usr/bin/env python3
"""The `backend_kwargs` Airflow's secrets backends accept, read from the backends' own code on PyPI.

`airseal doctor` validates `[secrets] backend_kwargs` against what the configured backend class's
`__init__` really accepts. This script downloads pinned wheels of the providers that ship the
secrets backends (and of Airflow itself, for LocalFilesystemBackend) with `pip download --no-deps
--only-binary=:all:`, checks each wheel's sha256 against the constant below, reads the backend
modules straight out of the .whl with `ast` (no install, no import), and writes or checks
crates/airseal_doctor/data/backend-kwargs.tsv.

For each backend class it records the named `__init__` parameters; whether `**kwargs` is accepted
and where they go (the call they are passed to, read from the class body); the keys the backend,
or the client its `**kwargs` reach (VaultClient, the AWS connection wrapper, LoggingMixin), reads
out of those kwargs; kwargs handled behind a deprecation warning; and kwargs an older scanned
release accepted that the current one no longer does.

    python3 scripts/backend-kwargs.py            # regenerate the table
    python3 scripts/backend-kwargs.py --check    # exit 1 if the table differs, 2 on error

Wheels live in $AIRSEAL_CACHE/wheels (default ~/.cache/airseal/wheels) and are reused.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "crates/airseal_doctor/data/backend-kwargs.tsv"

# (project, version) -> sha256 of the py3-none-any wheel on PyPI.
WHEELS = {
    ("apache-airflow-providers-amazon", "8.29.0"):
        "24428028a1b08bc91c026acd3cc18cf152af6693c54d741eb6c0708459c9d8ed",
    ("apache-airflow-providers-amazon", "9.39.0"):
        "7acf1c08b6dba8e879a7b9d8a280397796aa492a8d3af6b1096fcb631fca0754",
    ("apache-airflow-providers-hashicorp", "3.0.0"):
        "e2758643bce3e87745d5f16c027bc5dac718f729702e4138edefcd31d24d075b",
    ("apache-airflow-providers-hashicorp", "4.8.4"):
        "47d78b94788580fcc99129839161f6d41a7e5f828f4bf389972caa7b83e790fa",
    ("apache-airflow-providers-google", "22.8.0"):
        "13c4e79fdd47c64ec38905318feb27cdda0a648828f28222606d6f9de5da8342",
    ("apache-airflow-providers-microsoft-azure", "15.2.1"):
        "8df06bf4a4a507b520514322c0ea6f3965b5b3f5117f3b30fbdf24e26db6f51a",
    ("apache-airflow", "2.10.5"):
        "4c6d19159bcd85f496fbea70db72ef55d32335f80e4ffb82ae3c252782079ca0",
    ("apache-airflow-core", "3.3.2"):
        "99258922bccec15be4700ff89f3c942b8acd93407e263c287ce863e671bb3c50",
}

# amazon 8.29.0 is the last release whose SecretsManagerBackend still handles `full_url_mode` and
# `are_secret_values_urlencoded` (9.0.0 dropped them); hashicorp 3.0.0 shows which VaultBackend
# parameters are newer than Airflow 2.3-era providers; Airflow 2.10.5 has no `configs_file_path`.
AMAZON = [("apache-airflow-providers-amazon", "8.29.0"), ("apache-airflow-providers-amazon", "9.39.0")]
HASHICORP = [("apache-airflow-providers-hashicorp", "3.0.0"), ("apache-airflow-providers-hashicorp", "4.8.4")]
GOOGLE = [("apache-airflow-providers-google", "22.8.0")]
AZURE = [("apache-airflow-providers-microsoft-azure", "15.2.1")]
CORE = [("apache-airflow", "2.10.5"), ("apache-airflow-core", "3.3.2")]


@dataclass(frozen=True)
class Client:
    """Code the backend's **kwargs reach, whose accepted names are recorded as `client` rows."""

    name: str  # shown in the `**` row
    file: str  # inside the wheel
    cls: str
    params: bool = False  # the class's __init__ parameters are accepted keys
    containers: tuple[str, ...] = ()  # expressions (ast.unparse text) holding the kwargs dict
    methods: tuple[str, ...] = ()  # only scan these methods (default: the whole class)
    releases: tuple[tuple[str, str], ...] = ()  # default: the backend's own release


@dataclass(frozen=True)
class Backend:
    file: str
    cls: str
    releases: list[tuple[str, str]]  # oldest first; the last one is "current"
    target: str = ""  # what the **kwargs are, in words
    clients: tuple[Client, ...] = ()
    no_init: tuple[tuple[str, str], ...] = ()  # (file, class) in CORE that must not define __init__


AWS_CLIENTS = (
    Client("AwsConnectionWrapper", "airflow/providers/amazon/aws/utils/connection_wrapper.py",
           "AwsConnectionWrapper", containers=("extra",), methods=("__post_init__",)),
    Client("BaseSessionFactory", "airflow/providers/amazon/aws/hooks/base_aws.py",
           "BaseSessionFactory", containers=("self.extra_config",)),
)
AWS_TARGET = "AWS connection extra (boto3 session/client settings)"

BACKENDS = [
    Backend("airflow/providers/amazon/aws/secrets/secrets_manager.py", "SecretsManagerBackend", AMAZON,
            AWS_TARGET, AWS_CLIENTS),
    Backend("airflow/providers/amazon/aws/secrets/systems_manager.py", "SystemsManagerParameterStoreBackend",
            AMAZON, AWS_TARGET, AWS_CLIENTS),
    Backend("airflow/providers/hashicorp/secrets/vault.py", "VaultBackend", HASHICORP,
            "VaultClient keyword arguments, the rest to hvac.Client",
            (Client("VaultClient", "airflow/providers/hashicorp/_internal_client/vault_client.py", "_VaultClient",
                    params=True, containers=("kwargs", "self.kwargs")),)),
    Backend("airflow/providers/google/cloud/secrets/secret_manager.py", "CloudSecretManagerBackend", GOOGLE,
            "BaseSecretsBackend/LoggingMixin.__init__ (only `context`; any other key raises TypeError)",
            (Client("LoggingMixin", "airflow/utils/log/logging_mixin.py", "LoggingMixin", params=True,
                    releases=tuple(CORE)),),
            no_init=(("airflow/secrets/base_secrets.py", "BaseSecretsBackend"),
                     ("airflow/_shared/secrets_backend/base.py", "BaseSecretsBackend"))),
    Backend("airflow/providers/microsoft/azure/secrets/key_vault.py", "AzureKeyVaultBackend", AZURE,
            "azure.keyvault.secrets.SecretClient keyword arguments (azure-core client options)"),
    Backend("airflow/secrets/local_filesystem.py", "LocalFilesystemBackend", CORE),
]


class Error(Exception):
    pass


def label(release: tuple[str, str]) -> str:
    return f"{release[0]}=={release[1]}"


# ---------------------------------------------------------------------------------------------- wheels

def cache_dir() -> Path:
    return Path(os.environ.get("AIRSEAL_CACHE", Path.home() / ".cache/airseal"))


def wheel(release: tuple[str, str]) -> Path:
    project, version = release
    dest = cache_dir() / "wheels"
    stem = f"{re.sub(r'[-_.]+', '_', project)}-{version}-"
    found = sorted(dest.glob(f"{stem}*.whl"))
    if not found:
        dest.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--dest", str(dest), f"{project}=={version}"], check=True)
        found = sorted(dest.glob(f"{stem}*.whl"))
    if len(found) != 1:
        raise Error(f"expected one wheel {stem}*.whl in {dest}, found {[p.name for p in found]}")
    digest = hashlib.sha256(found[0].read_bytes()).hexdigest()
    if digest != WHEELS[release]:
        raise Error(f"{found[0]}: sha256 {digest}, expected {WHEELS[release]}")
    return found[0]


_SOURCES: dict[tuple[tuple[str, str], str], str] = {}


def source(release: tuple[str, str], member: str) -> str | None:
    key = (release, member)
    if key not in _SOURCES:
        with zipfile.ZipFile(wheel(release)) as whl:
            try:
                _SOURCES[key] = whl.read(member).decode("utf-8")
            except KeyError:
                _SOURCES[key] = None  # type: ignore[assignment]
    return _SOURCES[key]


def class_node(release: tuple[str, str], member: str, name: str) -> ast.ClassDef:
    text = source(release, member)
    if text is None:
        raise Error(f"{label(release)}: no {member} in the wheel")
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise Error(f"{label(release)}: no class {name} in {member}")


def method(cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
    for node in cls.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node  # type: ignore[return-value]
    return None


# ------------------------------------------------------------------------------------------ analysis

def text(node: ast.AST | None) -> str:
    return "" if node is None else " ".join(ast.unparse(node).split())


@dataclass
class Entry:
    status: str
    default: str = ""
    annotation: str = ""


def parameters(func: ast.FunctionDef) -> tuple[dict[str, Entry], ast.arg | None]:
    """Named parameters (self excluded) with default and annotation text, and the ** parameter."""
    args = func.args
    positional = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    named: dict[str, Entry] = {}
    for arg, default in [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
        if arg.arg in ("self", "cls"):
            continue
        named[arg.arg] = Entry("param", text(default), text(arg.annotation))
    return named, args.kwarg


def is_deprecation_warning(node: ast.AST) -> bool:
    """A `warnings.warn(..., <Something>DeprecationWarning...)` call."""
    if not (isinstance(node, ast.Call) and text(node.func) in ("warnings.warn", "warn")):
        return False
    categories = node.args[1:2] + [k.value for k in node.keywords if k.arg == "category"]
    return any("Deprecation" in text(c) for c in categories)


def key_reads(scope: ast.AST, containers: set[str], own: ast.ClassDef | None = None) -> dict[str, Entry]:
    """String keys read out of the dict expressions `containers` within `scope`.

    Recognises `c.get("k", d)`, `c.pop("k", d)`, `c["k"]`, `"k" in c`, and `self.m(**c)` (the keyword
    parameters of method m of `own`). A key is `deprecated` when an `if` whose test reads it (directly
    or through a variable assigned from it earlier) warns with a DeprecationWarning.
    """
    found: dict[str, Entry] = {}

    def keys_in(node: ast.AST) -> dict[str, str]:
        keys: dict[str, str] = {}
        for sub in ast.walk(node):
            if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                    and sub.func.attr in ("get", "pop", "setdefault") and text(sub.func.value) in containers
                    and sub.args and isinstance(sub.args[0], ast.Constant) and isinstance(sub.args[0].value, str)):
                fallback = sub.args[1] if len(sub.args) > 1 else None
                keys.setdefault(sub.args[0].value,
                                text(fallback) if fallback is not None else ("None" if sub.func.attr == "get" else ""))
            elif (isinstance(sub, ast.Subscript) and text(sub.value) in containers
                  and isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str)):
                keys.setdefault(sub.slice.value, "")
            elif (isinstance(sub, ast.Compare) and isinstance(sub.left, ast.Constant)
                  and isinstance(sub.left.value, str) and isinstance(sub.ops[0], (ast.In, ast.NotIn))
                  and text(sub.comparators[0]) in containers):
                keys.setdefault(sub.left.value, "")
        return keys

    for key, default in keys_in(scope).items():
        found[key] = Entry("client", default)
    if own is not None:
        for sub in ast.walk(scope):
            if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and text(sub.func.value) == "self"
                    and any(k.arg is None and text(k.value) in containers for k in sub.keywords)):
                called = method(own, sub.func.attr)
                if called is not None:
                    for name, entry in parameters(called)[0].items():
                        found.setdefault(name, Entry("client", entry.default, entry.annotation))

    # Deprecation: follow `x = c.get("k")` aliases in source order up to each `if`.
    assigns = sorted((n for n in ast.walk(scope) if isinstance(n, ast.Assign)), key=lambda n: n.lineno)
    for branch in (n for n in ast.walk(scope) if isinstance(n, ast.If)):
        if not any(is_deprecation_warning(n) for stmt in branch.body for n in ast.walk(stmt)):
            continue
        aliases: dict[str, set[str]] = {}
        for assign in assigns:
            if assign.lineno < branch.lineno:
                for target in assign.targets:
                    aliases[text(target)] = set(keys_in(assign.value))
        keys = set(keys_in(branch.test))
        for sub in ast.walk(branch.test):
            keys |= aliases.get(text(sub), set())
        for key in keys:
            if key in found:
                found[key].status = "deprecated"
    return found


def deprecated_params(func: ast.FunctionDef, names: set[str]) -> set[str]:
    """Named parameters tested by an `if` that warns with a DeprecationWarning."""
    out: set[str] = set()
    for branch in (n for n in ast.walk(func) if isinstance(n, ast.If)):
        if any(is_deprecation_warning(n) for stmt in branch.body for n in ast.walk(stmt)):
            out |= {n.id for n in ast.walk(branch.test) if isinstance(n, ast.Name) and n.id in names}
    return out


def docstring_kwargs(cls: ast.ClassDef) -> set[str]:
    """Keys of the `backend_kwargs = {...}` examples in the class docstring."""
    doc = ast.get_docstring(cls) or ""
    keys: set[str] = set()
    for match in re.finditer(r"backend_kwargs\s*=\s*\{", doc):
        depth, end = 0, match.end() - 1
        for end in range(match.end() - 1, len(doc)):
            depth += {"{": 1, "}": -1}.get(doc[end], 0)
            if depth == 0:
                break
        keys |= set(re.findall(r'"(\w+)"\s*:', doc[match.end() - 1:end + 1]))
    return keys


def kwargs_calls(cls: ast.ClassDef, kwarg: str) -> list[str]:
    """Calls in the class that receive the **kwargs dict (directly or as `self.x = kwargs`)."""
    init = method(cls, "__init__")
    holders = {kwarg}
    for node in ast.walk(init):  # type: ignore[arg-type]
        if isinstance(node, ast.Assign) and text(node.value) == kwarg:
            holders |= {text(t) for t in node.targets}
    calls = []
    for node in ast.walk(cls):
        if not isinstance(node, ast.Call):
            continue
        for k in node.keywords:
            if text(k.value) in holders:
                calls.append(f"{text(node.func)}({'**' if k.arg is None else k.arg + '='}{text(k.value)})")
    return sorted(set(calls))


def analyze(backend: Backend, release: tuple[str, str]) -> tuple[dict[str, Entry], Entry | None]:
    """Accepted kwargs of one backend class in one release, and its `**` entry (None if not accepted)."""
    cls = class_node(release, backend.file, backend.cls)
    init = method(cls, "__init__")
    if init is None:
        raise Error(f"{label(release)}: {backend.cls} defines no __init__")
    named, var_keyword = parameters(init)
    for name in deprecated_params(init, set(named)):
        named[name].status = "deprecated"
    if var_keyword is None:
        return named, None

    rows: dict[str, Entry] = {}
    for key, entry in key_reads(init, {var_keyword.arg}, cls).items():  # read by the backend itself
        rows.setdefault(key, entry)
    client_names = []
    for client in backend.clients:
        for client_release in client.releases or (release,):
            client_cls = class_node(client_release, client.file, client.cls)
            if client.params:
                client_init = method(client_cls, "__init__")
                if client_init is not None:
                    for name, entry in parameters(client_init)[0].items():
                        rows.setdefault(name, Entry("client", entry.default, entry.annotation))
            scopes = [method(client_cls, m) for m in client.methods] if client.methods else [client_cls]
            for scope in scopes:
                if scope is None:
                    raise Error(f"{label(client_release)}: {client.cls} lacks {client.methods}")
                for key, entry in key_reads(scope, set(client.containers), client_cls).items():
                    rows.setdefault(key, entry)
        client_names.append(client.name)
    for file, name in backend.no_init:
        for core in CORE:
            if source(core, file) is not None and method(class_node(core, file, name), "__init__") is not None:
                raise Error(f"{label(core)}: {name} in {file} now defines __init__; revisit {backend.cls}")

    documented = sorted(docstring_kwargs(cls) - set(named))
    accepted = sorted(k for k in rows if k not in named)
    where = [backend.target or "unknown", "passed to " + "; ".join(kwargs_calls(cls, var_keyword.arg) or ["nothing"])]
    if client_names:
        where.append("via " + ", ".join(client_names))
    if accepted:
        where.append("keys read: " + ", ".join(accepted))
    if documented:
        where.append("documented in the class docstring: " + ", ".join(documented))
    star = Entry("var_keyword", " | ".join(where), text(var_keyword.annotation))
    for key, entry in rows.items():
        named.setdefault(key, entry)  # a named parameter shadows a client key of the same name
    return named, star


# ---------------------------------------------------------------------------------------------- table

def clean(value: str) -> str:
    return " ".join(value.replace("\t", " ").split())


def module_path(file: str) -> str:
    return file.removesuffix(".py").replace("/", ".")


def rows_for(backend: Backend) -> list[tuple[str, ...]]:
    qualified = f"{module_path(backend.file)}.{backend.cls}"
    per_release = []
    for release in backend.releases:
        named, star = analyze(backend, release)
        if star is not None:
            named["**"] = star
        per_release.append((release, named))
    current_release, current = per_release[-1]
    rows = []
    for key in sorted({k for _, entries in per_release for k in entries}):
        having = [release for release, entries in per_release if key in entries]
        if key in current:
            entry = current[key]
            sources = having
        else:
            last = having[-1]
            old = dict(per_release)[last][key]
            entry = Entry("removed", old.default, old.annotation)
            sources = [last]
        rows.append((qualified, key, entry.status, entry.default, entry.annotation,
                     ", ".join(label(r) for r in sources)))
    return rows


def table() -> str:
    rows = sorted(row for backend in BACKENDS for row in rows_for(backend))
    releases = sorted({r for backend in BACKENDS for r in backend.releases}
                      | {r for backend in BACKENDS for c in backend.clients for r in c.releases})
    lines = [
        "# The backend_kwargs Airflow's secrets backends accept: what each class's __init__ takes, per release.",
        "# Generated by scripts/backend-kwargs.py from the wheels on PyPI (read with ast, never imported); do not edit.",
        "# Releases read: " + ", ".join(label(r) for r in releases),
        "# Columns: class, kwarg, status, default, annotation, source (the scanned releases that accept it).",
        "# status: param = named __init__ parameter; var_keyword = the class takes **kwargs (kwarg `**`, the",
        "#   default column says where they go); client = a key the **kwargs are read for by the backend or the",
        "#   client they reach; deprecated = still accepted, warns; removed = no longer handled by the current",
        "#   release (source = last scanned release that handled it). A class without a `**` row raises",
        "#   TypeError for any other kwarg.",
    ]
    lines += ["\t".join(clean(field) for field in row) for row in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    try:
        text_ = table()
    except (Error, subprocess.CalledProcessError, OSError, SyntaxError, zipfile.BadZipFile) as err:
        sys.stderr.write(f"backend-kwargs.py: {err}\n")
        return 2
    count = sum(1 for line in text_.splitlines() if not line.startswith("#"))
    if args.check:
        current = TABLE.read_text() if TABLE.exists() else ""
        if current != text_:
            sys.stderr.write(f"{TABLE.relative_to(ROOT)} differs from the secrets backends' own code; "
                             "run python3 scripts/backend-kwargs.py\n")
            return 1
        print(f"{TABLE.relative_to(ROOT)} matches the secrets backends' __init__ ({count} rows)")
        return 0
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    TABLE.write_text(text_)
    print(f"wrote {TABLE.relative_to(ROOT)} ({count} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
