#!/usr/bin/env python3
"""A HashiCorp Vault test server: the KV version 2 secrets engine's HTTP API, Python stdlib only.

No Vault server can be installed where airseal's tests run, so the Vault store
(crates/airseal_stores/src/vault.rs) and Airflow's own `VaultBackend` (through hvac) are tested
against this server instead. It is written from Vault's published API documentation
(https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2, website/content/api-docs/
secret/kv/kv-v2.mdx in hashicorp/vault), the KV plugin's validation rules (custom_metadata limits,
check-and-set) and what hvac 2.4 sends when Airflow's `VaultBackend` reads. It is not Vault: no
policies (one token may do everything), no leases, no storage backend, no seal.

Endpoints (every request but the test hooks needs `X-Vault-Token`; a wrong or missing token is
`403 {"errors": ["permission denied"]}`; with `--namespace NS` the `X-Vault-Namespace` header must
be NS, else 403 too):

  GET  /v1/auth/token/lookup-self                 hvac's is_authenticated() (Airflow 2.10's provider)
  GET  /v1/sys/internal/ui/mounts/:path           the mount holding :path (type, options.version)
  GET  /v1/sys/mounts                             every mount
  GET|POST      /v1/:mount/config                 max_versions, cas_required, delete_version_after
  GET  /v1/:mount/data/:path[?version=N]          read the latest (or version N) of a secret
  POST|PUT      /v1/:mount/data/:path             write a version: {"data": {...}, "options": {"cas": N}}
  DELETE        /v1/:mount/data/:path             soft-delete the latest version
  POST|PUT      /v1/:mount/delete|undelete|destroy/:path   {"versions": [N, ...]}
  GET  /v1/:mount/metadata/:path                  current_version, versions, custom_metadata, times
  POST|PUT      /v1/:mount/metadata/:path         max_versions, cas_required, custom_metadata
  DELETE        /v1/:mount/metadata/:path         the key and all its versions
  LIST /v1/:mount/metadata/:path                  (or GET ?list=true) the keys under a folder
  (a KV version 1 mount, `--mount NAME:1`, is a plain map: GET/POST/PUT/DELETE/LIST /v1/:mount/:path)

As in Vault: check-and-set (`options.cas`: 0 = only if absent, N = only if N is the current
version; a mismatch is `400 {"errors": ["check-and-set parameter did not match the current
version"]}`), `cas_required`, `max_versions` (default 10) pruning, soft deletes (a read of a
deleted version is 404 with its metadata), custom_metadata validation (at most 64 keys, keys 1-128
and values 1-512 bytes, printable), request bodies over `max_request_size` (32 MiB) refused with
413, JSON without NaN/Infinity, and responses with object keys sorted (Go's encoding/json).

Test hooks (no token): `--fail-next N [--fail-status S]` makes the next N requests fail, and
  POST /__airseal/faults   {"count": N, "match": "/data/", "method": "POST", "status": 503,
                            "retry_after": null, "delay": 0.0, "drop": false,
                            "drop_response": false, "concurrent_write": null}
queues a fault for the next N requests whose path contains `match` (and whose method is
`method`, when given): they are delayed `delay` seconds, then answer `status`, or are dropped
without an answer (`drop`), or are served but the answer is dropped (`drop_response`: the
client cannot tell whether its write landed), or, with `concurrent_write: {...}`, another writer
first writes that data map to the same KV v2 path (a check-and-set race). A fault with none of
these only delays. `GET /__airseal/faults` lists the faults still queued, `DELETE
/__airseal/faults` drops every queued fault. `GET /__airseal/requests`
lists the requests served (method and path, never a body); `DELETE /__airseal/requests` clears it.

    python3 scripts/vault-kv2-server.py --port 0 --token T --mount airflow

binds 127.0.0.1 and prints the port on the first line of stdout; exits on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import datetime
import json
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

MAX_REQUEST_SIZE = 32 * 1024 * 1024  # Vault's default listener max_request_size
DEFAULT_MAX_VERSIONS = 10
MAX_CUSTOM_METADATA_KEYS = 64
MAX_CUSTOM_METADATA_KEY_LENGTH = 128
MAX_CUSTOM_METADATA_VALUE_LENGTH = 512
CAS_MISMATCH = "check-and-set parameter did not match the current version"
CAS_REQUIRED = "check-and-set parameter required for this call"
KV2_INVALID_PATH = (
    "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API "
    "endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation."
)


def now() -> str:
    """RFC 3339 with nanoseconds, as Vault writes times."""
    stamp = datetime.datetime.now(datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def go_string(text: str) -> str:
    """What Go's encoding/json makes of a decoded string: lone surrogates become U+FFFD."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def go_value(value):
    if isinstance(value, str):
        return go_string(value)
    if isinstance(value, list):
        return [go_value(v) for v in value]
    if isinstance(value, dict):
        return {go_string(k): go_value(v) for k, v in value.items()}
    return value


def multierror(messages: list[str]) -> str:
    """hashicorp/go-multierror's text."""
    if len(messages) == 1:
        return f"1 error occurred:\n\t* {messages[0]}\n\n"
    points = "\n\t* ".join(messages)
    return f"{len(messages)} errors occurred:\n\t* {points}\n\n"


class HttpError(Exception):
    def __init__(self, status: int, errors: list[str], data=None):
        super().__init__(status)
        self.status = status
        self.errors = errors
        self.data = data


class Key:
    """One KV v2 key: its metadata and versions."""

    def __init__(self) -> None:
        stamp = now()
        self.versions: dict[int, dict] = {}
        self.current_version = 0
        self.oldest_version = 0
        self.created_time = stamp
        self.updated_time = stamp
        self.max_versions = 0
        self.cas_required = False
        self.delete_version_after = "0s"
        self.custom_metadata: dict[str, str] | None = None

    def version_metadata(self, number: int) -> dict:
        version = self.versions[number]
        return {
            "created_time": version["created_time"],
            "custom_metadata": self.custom_metadata,
            "deletion_time": version["deletion_time"],
            "destroyed": version["destroyed"],
            "version": number,
        }


class Mount:
    def __init__(self, path: str, version: int) -> None:
        self.path = path
        self.version = version
        self.keys: dict[str, Key] = {}  # KV v2
        self.plain: dict[str, dict] = {}  # KV v1
        self.config = {"max_versions": 0, "cas_required": False, "delete_version_after": "0s"}
        self.accessor = f"kv_{uuid.uuid4().hex[:8]}"
        self.uuid = str(uuid.uuid4())

    def describe(self) -> dict:
        return {
            "accessor": self.accessor,
            "config": {"default_lease_ttl": 0, "force_no_cache": False, "max_lease_ttl": 0},
            "description": "",
            "external_entropy_access": False,
            "local": False,
            "options": {"version": str(self.version)},
            "path": self.path + "/",
            "plugin_version": "",
            "running_plugin_version": "v0.0.0+builtin",
            "running_sha256": "",
            "seal_wrap": False,
            "type": "kv",
            "uuid": self.uuid,
        }


class State:
    def __init__(self, token: str, namespace: str | None, mounts: list[tuple[str, int]]) -> None:
        self.lock = threading.Lock()
        self.token = token
        self.namespace = namespace
        self.mounts = {path: Mount(path, version) for path, version in mounts}
        self.faults: list[dict] = []
        self.requests: list[list[str]] = []

    def mount_for(self, path: str) -> tuple[Mount, str] | None:
        """The mount `path` lies in (the longest matching mount path) and the rest of the path."""
        best = None
        for name, mount in self.mounts.items():
            if path == name or path.startswith(name + "/"):
                if best is None or len(name) > len(best.path):
                    best = mount
        if best is None:
            return None
        return best, path[len(best.path) + 1 :]

    def take_fault(self, method: str, path: str) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if fault.get("method") not in (None, method):
                    continue
                if fault["count"] > 0 and fault.get("match", "") in path:
                    fault["count"] -= 1
                    taken = dict(fault)
                    self.faults = [f for f in self.faults if f["count"] > 0]
                    return taken
        return None


STATE: State  # set in main()


def reject_constant(name: str):
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def parse_body(raw: bytes):
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        # Never echo the body: it may hold a secret.
        raise HttpError(400, [f"failed to parse JSON input: {type(error).__name__}"]) from None
    if not isinstance(value, dict):
        raise HttpError(400, ["failed to parse JSON input: not an object"])
    return go_value(value)


def as_int(value, name: str) -> int:
    if isinstance(value, bool):
        raise HttpError(400, [f"error converting input for field {name!r}"])
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise HttpError(400, [f"error converting input for field {name!r}"])


def validate_custom_metadata(raw) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise HttpError(400, ["custom_metadata validation failed: not a map"])
    metadata = {}
    for key, value in raw.items():
        if isinstance(value, (dict, list)):
            raise HttpError(400, [f"custom_metadata validation failed: value for key {key!r} is not a string"])
        if value is None:
            value = ""
        elif isinstance(value, bool):
            value = "1" if value else "0"
        metadata[key] = str(value)
    prefix = "custom_metadata validation failed"
    if len(metadata) > MAX_CUSTOM_METADATA_KEYS:
        raise HttpError(400, [multierror([f"{prefix}: payload must contain at most {MAX_CUSTOM_METADATA_KEYS} keys, provided {len(metadata)}"])])
    problems = []
    for key, value in metadata.items():
        key_length, value_length = len(key.encode()), len(value.encode())
        if not 0 < key_length <= MAX_CUSTOM_METADATA_KEY_LENGTH:
            problems.append(f"{prefix}: length of key {json.dumps(key)} is {key_length} but must be 0 < len(key) <= {MAX_CUSTOM_METADATA_KEY_LENGTH}")
        if not 0 < value_length <= MAX_CUSTOM_METADATA_VALUE_LENGTH:
            problems.append(f"{prefix}: length of value for key {json.dumps(key)} is {value_length} but must be 0 < len(value) <= {MAX_CUSTOM_METADATA_VALUE_LENGTH}")
        if not key.isprintable():
            problems.append(f"{prefix}: key {json.dumps(key)} contains unprintable characters")
        if not value.isprintable():
            problems.append(f"{prefix}: value for key {json.dumps(key)} contains unprintable characters")
    if problems:
        raise HttpError(400, [multierror(problems)])
    return metadata


class KvV2:
    """The KV v2 engine's paths, on one mount (the caller holds STATE.lock)."""

    def __init__(self, mount: Mount) -> None:
        self.mount = mount

    def max_versions(self, key: Key) -> int:
        return key.max_versions or self.mount.config["max_versions"] or DEFAULT_MAX_VERSIONS

    def handle(self, method: str, rest: str, query: dict, body: dict):
        section, _, path = rest.partition("/")
        if section == "config" and not path:
            return self.config(method, body)
        if section == "data" and path:
            return self.data(method, path, query, body)
        if section == "metadata":
            if method == "LIST":
                return self.list(path)
            if path:
                return self.metadata(method, path, body)
        if section in ("delete", "undelete", "destroy") and path and method in ("POST", "PUT"):
            return self.versions(section, path, body)
        raise HttpError(404, [KV2_INVALID_PATH])

    def config(self, method: str, body: dict):
        if method == "GET":
            return 200, {"data": dict(self.mount.config)}
        if method in ("POST", "PUT"):
            if "max_versions" in body:
                self.mount.config["max_versions"] = as_int(body["max_versions"], "max_versions")
            if "cas_required" in body:
                self.mount.config["cas_required"] = bool(body["cas_required"])
            if "delete_version_after" in body:
                self.mount.config["delete_version_after"] = str(body["delete_version_after"])
            return 204, None
        raise HttpError(405, ["unsupported operation"])

    def data(self, method: str, path: str, query: dict, body: dict):
        keys = self.mount.keys
        if method == "GET":
            key = keys.get(path)
            if key is None or key.current_version == 0:
                raise HttpError(404, [])
            number = as_int(query.get("version", ["0"])[0] or "0", "version") or key.current_version
            if number not in key.versions:
                raise HttpError(404, [])
            version = key.versions[number]
            metadata = key.version_metadata(number)
            if version["deletion_time"] or version["destroyed"]:
                raise HttpError(404, [], data={"data": None, "metadata": metadata})
            return 200, {"data": {"data": version["data"], "metadata": metadata}}
        if method in ("POST", "PUT"):
            if "data" not in body:
                raise HttpError(400, ["no data provided"])
            if not isinstance(body["data"], dict):
                raise HttpError(400, ["data must be a map"])
            options = body.get("options") or {}
            if not isinstance(options, dict):
                raise HttpError(400, ["options must be a map"])
            key = keys.get(path)
            current = key.current_version if key else 0
            cas_required = self.mount.config["cas_required"] or (key is not None and key.cas_required)
            if "cas" in options and options["cas"] is not None:
                if as_int(options["cas"], "cas") != current:
                    raise HttpError(400, [CAS_MISMATCH])
            elif cas_required:
                raise HttpError(400, [CAS_REQUIRED])
            if key is None:
                key = keys[path] = Key()
            stamp = now()
            number = key.current_version + 1
            key.versions[number] = {"data": body["data"], "created_time": stamp, "deletion_time": "", "destroyed": False}
            key.current_version = number
            key.updated_time = stamp
            if key.oldest_version == 0:
                key.oldest_version = 1
            keep = self.max_versions(key)
            for old in sorted(key.versions):
                if len(key.versions) <= keep:
                    break
                del key.versions[old]
            key.oldest_version = min(key.versions)
            return 200, {"data": key.version_metadata(number)}
        if method == "DELETE":
            key = keys.get(path)
            if key is not None and key.current_version in key.versions:
                key.versions[key.current_version]["deletion_time"] = now()
            return 204, None
        raise HttpError(405, ["unsupported operation"])

    def versions(self, action: str, path: str, body: dict):
        numbers = body.get("versions")
        if not isinstance(numbers, list) or not numbers:
            raise HttpError(400, ["no version number provided"])
        key = self.mount.keys.get(path)
        if key is None:
            return 204, None
        for raw in numbers:
            version = key.versions.get(as_int(raw, "versions"))
            if version is None:
                continue
            if action == "delete" and not version["destroyed"]:
                version["deletion_time"] = version["deletion_time"] or now()
            elif action == "undelete" and not version["destroyed"]:
                version["deletion_time"] = ""
            elif action == "destroy":
                version["destroyed"] = True
                version["data"] = None
        return 204, None

    def metadata(self, method: str, path: str, body: dict):
        keys = self.mount.keys
        key = keys.get(path)
        if method == "GET":
            if key is None:
                raise HttpError(404, [])
            return 200, {
                "data": {
                    "cas_required": key.cas_required,
                    "created_time": key.created_time,
                    "current_version": key.current_version,
                    "custom_metadata": key.custom_metadata,
                    "delete_version_after": key.delete_version_after,
                    "max_versions": key.max_versions,
                    "oldest_version": key.oldest_version,
                    "updated_time": key.updated_time,
                    "versions": {
                        str(n): {k: v for k, v in key.version_metadata(n).items() if k in ("created_time", "deletion_time", "destroyed")}
                        for n in sorted(key.versions)
                    },
                }
            }
        if method in ("POST", "PUT"):
            fields = {name: body[name] for name in ("max_versions", "cas_required", "delete_version_after", "custom_metadata") if name in body}
            if not fields:
                return 204, None
            custom = validate_custom_metadata(fields["custom_metadata"]) if "custom_metadata" in fields else None
            if key is None:
                key = keys[path] = Key()
            if "max_versions" in fields:
                key.max_versions = as_int(fields["max_versions"], "max_versions")
            if "cas_required" in fields:
                key.cas_required = bool(fields["cas_required"])
            if "delete_version_after" in fields:
                key.delete_version_after = str(fields["delete_version_after"])
            if custom is not None:
                key.custom_metadata = custom
            # As in the KV plugin, a metadata write leaves updated_time alone (it is the time of
            # the last version written).
            return 204, None
        if method == "DELETE":
            keys.pop(path, None)
            return 204, None
        raise HttpError(405, ["unsupported operation"])

    def list(self, path: str):
        prefix = path if not path or path.endswith("/") else path + "/"
        found = set()
        for name in self.mount.keys:
            if name.startswith(prefix):
                rest = name[len(prefix) :]
                head, slash, _ = rest.partition("/")
                found.add(head + "/" if slash else head)
        if not found:
            raise HttpError(404, [])
        return 200, {"data": {"keys": sorted(found)}}


class KvV1:
    """A KV version 1 mount: a plain map of paths to objects."""

    def __init__(self, mount: Mount) -> None:
        self.mount = mount

    def handle(self, method: str, rest: str, query: dict, body: dict):
        plain = self.mount.plain
        if method == "LIST":
            prefix = rest if not rest or rest.endswith("/") else rest + "/"
            found = {n[len(prefix):].split("/")[0] + ("/" if "/" in n[len(prefix):] else "") for n in plain if n.startswith(prefix)}
            if not found:
                raise HttpError(404, [])
            return 200, {"data": {"keys": sorted(found)}}
        if not rest:
            raise HttpError(405, ["unsupported operation"])
        if method == "GET":
            if rest not in plain:
                raise HttpError(404, [])
            return 200, {"data": plain[rest]}
        if method in ("POST", "PUT"):
            plain[rest] = body
            return 204, None
        if method == "DELETE":
            plain.pop(rest, None)
            return 204, None
        raise HttpError(405, ["unsupported operation"])


def envelope(data: dict | None) -> dict:
    body = {
        "request_id": str(uuid.uuid4()),
        "lease_id": "",
        "renewable": False,
        "lease_duration": 0,
        "data": None,
        "wrap_info": None,
        "warnings": None,
        "auth": None,
        "mount_type": "kv",
    }
    body.update(data or {})
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "airseal-vault-kv2-test"
    sys_version = ""
    # Headers and body leave in one write (flushed after each request), and without Nagle's
    # delay: a keep-alive client would otherwise wait for a delayed ACK on every request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - quiet: never log paths with data
        pass

    def send_json(self, status: int, body, headers: dict | None = None) -> None:
        payload = b"" if body is None else json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_LIST(self):
        self.dispatch("LIST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_SIZE:
            self.close_connection = True
            self.send_json(413, {"errors": ["http: request body too large"]})
            return None
        return self.rfile.read(length) if length else b""

    def dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        raw_path = split.path
        with STATE.lock:
            STATE.requests.append([method, raw_path])
        if raw_path.startswith("/__airseal/"):
            self.admin(method, raw_path)
            return
        fault = STATE.take_fault(method, raw_path)
        if fault is not None:
            if fault.get("delay"):
                time.sleep(float(fault["delay"]))
            if fault.get("drop"):
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass
                return
            if fault.get("status"):
                self.read_body()
                headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else {}
                self.send_json(int(fault["status"]), {"errors": [fault.get("message") or "injected fault (airseal test server)"]}, headers)
                return
            if fault.get("concurrent_write") is not None:
                self.concurrent_write(unquote(raw_path), fault["concurrent_write"])
        raw = self.read_body()
        if raw is None:
            return
        query = parse_qs(split.query)
        if method == "GET" and query.get("list", [""])[0].lower() in ("true", "1"):
            method = "LIST"
        try:
            status, body = self.route(method, unquote(raw_path), query, raw)
        except HttpError as error:
            status = error.status
            body = {"errors": error.errors} if error.data is None else envelope({"data": error.data})
        if body is not None and status == 200:
            body = envelope(body)
        if fault is not None and fault.get("drop_response"):
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return
        self.send_json(status, body)

    def concurrent_write(self, path: str, data: dict) -> None:
        """Another client writes `data` at the KV v2 path of `path` (no check-and-set)."""
        with STATE.lock:
            found = STATE.mount_for(path[len("/v1/") :]) if path.startswith("/v1/") else None
            if found is None or found[0].version != 2 or not found[1].startswith("data/"):
                return
            KvV2(found[0]).data("POST", found[1][len("data/") :], {}, {"data": go_value(data)})

    def route(self, method: str, path: str, query: dict, raw: bytes):
        if not path.startswith("/v1/"):
            raise HttpError(404, [])
        path = path[len("/v1/") :]
        if STATE.namespace is not None and self.headers.get("X-Vault-Namespace", "").strip("/") != STATE.namespace:
            raise HttpError(403, ["permission denied"])
        if self.headers.get("X-Vault-Token") != STATE.token:
            raise HttpError(403, ["permission denied"])
        body = parse_body(raw) if method in ("POST", "PUT", "PATCH") else {}
        with STATE.lock:
            if path == "auth/token/lookup-self" and method == "GET":
                return 200, {"data": {
                    "accessor": "airseal-test-accessor", "creation_time": 0, "creation_ttl": 0,
                    "display_name": "token", "entity_id": "", "expire_time": None, "explicit_max_ttl": 0,
                    "id": STATE.token, "issue_time": now(), "meta": None, "num_uses": 0, "orphan": True,
                    "path": "auth/token/create", "policies": ["root"], "renewable": False, "ttl": 0,
                    "type": "service",
                }}
            if path.startswith("sys/internal/ui/mounts/") and method == "GET":
                found = STATE.mount_for(path[len("sys/internal/ui/mounts/") :].strip("/"))
                if found is None:
                    raise HttpError(400, ["no mount found for the given path"])
                return 200, {"data": found[0].describe()}
            if path == "sys/mounts" and method == "GET":
                return 200, {"data": {m.path + "/": m.describe() for m in STATE.mounts.values()}}
            found = STATE.mount_for(path)
            if found is None:
                raise HttpError(404, [f'no handler for route "{path}". route entry not found.'])
            mount, rest = found
            engine = KvV2(mount) if mount.version == 2 else KvV1(mount)
            return engine.handle(method, rest, query, body)

    def admin(self, method: str, path: str) -> None:
        raw = self.read_body()
        if raw is None:
            return
        if path == "/__airseal/faults" and method == "POST":
            try:
                fault = json.loads(raw or b"{}")
            except ValueError:
                self.send_json(400, {"errors": ["bad fault"]})
                return
            fault.setdefault("count", 1)
            fault.setdefault("match", "")
            with STATE.lock:
                STATE.faults.append(fault)
            self.send_json(204, None)
        elif path == "/__airseal/faults" and method == "GET":
            with STATE.lock:
                self.send_json(200, {"faults": [dict(f) for f in STATE.faults]})
        elif path == "/__airseal/faults" and method == "DELETE":
            with STATE.lock:
                STATE.faults.clear()
            self.send_json(204, None)
        elif path == "/__airseal/requests" and method == "GET":
            with STATE.lock:
                self.send_json(200, {"requests": list(STATE.requests)})
        elif path == "/__airseal/requests" and method == "DELETE":
            with STATE.lock:
                STATE.requests.clear()
            self.send_json(204, None)
        else:
            self.send_json(404, {"errors": ["unknown test hook"]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8200, help="0 picks a free port (printed on the first line)")
    parser.add_argument("--token", default="airseal-test-token", help="the one token accepted")
    parser.add_argument("--namespace", default=None, help="require this X-Vault-Namespace")
    parser.add_argument("--mount", action="append", default=[], metavar="PATH[:1]",
                        help="a KV v2 mount (`:1` for KV v1); repeatable; default: secret")
    parser.add_argument("--fail-next", type=int, default=0, help="fail the next N requests")
    parser.add_argument("--fail-status", type=int, default=503, help="their status (default 503)")
    args = parser.parse_args()
    mounts = []
    for spec in args.mount or ["secret"]:
        path, _, version = spec.partition(":")
        mounts.append((path.strip("/"), int(version or 2)))
    global STATE
    STATE = State(args.token, args.namespace.strip("/") if args.namespace else None, mounts)
    if args.fail_next:
        STATE.faults.append({"count": args.fail_next, "status": args.fail_status, "match": ""})
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
