"""A TEST STAND-IN for an Elasticsearch cluster's WRITE path only; it does not search.

Elasticsearch cannot run on the machines these tests run on, so the write path
(templates, versioned indices and aliases, bulk writes, refresh, count) is exercised
against this loopback server instead: real HTTP, threaded, the official client talking
to it unchanged. It answers like a 9.x cluster as far as those endpoints go, keeps
documents per index in memory, records every request, and can misbehave on demand:

- `fail_next`: answer the next requests to a path with a status (429, 503, ...);
- `reject_items_next`: accept a bulk request but fail every item in it (429 per item);
- `refuse_document`: refuse one document id with a mapping error, every time;
- `go_down` / `come_back`: stop listening (connections refused) or answer 503, then recover.

Searching, percolating and analysis are NOT implemented (a search request gets a 400
saying so); their tests need a real cluster (``WILDWATCH_ES_URL``).
"""

from __future__ import annotations

import fnmatch
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["EsStandIn", "RecordedRequest", "StandInError", "StandInIndex"]

_VERSION = {
    "number": "9.1.0",
    "build_flavor": "default",
    "lucene_version": "10.2.2",
    "minimum_wire_compatibility_version": "8.19.0",
    "minimum_index_compatibility_version": "8.0.0",
}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def ndjson(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.body.splitlines() if line.strip()]


@dataclass
class StandInIndex:
    """One index: its settings and mappings as created, and its documents."""

    settings: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    #: Name of the index template applied when it was created, if any.
    template: str | None = None
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What a count sees: the documents as of the last refresh (near-real-time, like ES).
    visible: dict[str, dict[str, Any]] = field(default_factory=dict)


class StandInError(Exception):
    """An error answer, shaped like the cluster's."""

    def __init__(self, status: int, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.error_type = error_type
        self.reason = reason

    def body(self) -> dict[str, Any]:
        error = {"type": self.error_type, "reason": self.reason}
        return {"error": {"root_cause": [error], **error}, "status": self.status}


@dataclass
class _Failure:
    status: int
    remaining: int
    path_suffix: str


class EsStandIn:
    """The stand-in server; use as a context manager or call `start` / `stop`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, product: str | None = "Elasticsearch"
    ) -> None:
        self._host = host
        #: The X-Elastic-Product header sent; None sends none, as an OpenSearch server does.
        self.product = product
        self._port = port
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._down: Literal["refuse", "503"] | None = None
        self._failures: list[_Failure] = []
        self._item_rejections: list[int] = []
        self._refused_ids: dict[str, str] = {}
        self.requests: list[RecordedRequest] = []
        self.templates: dict[str, dict[str, Any]] = {}
        self.indices: dict[str, StandInIndex] = {}
        self.aliases: dict[str, set[str]] = {}

    # -- life cycle

    def start(self) -> EsStandIn:
        self._listen()
        return self

    def stop(self) -> None:
        self._close()

    def __enter__(self) -> EsStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    def _listen(self) -> None:
        server = ThreadingHTTPServer((self._host, self._port), _handler_for(self))
        server.daemon_threads = True
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- misbehaviour

    def go_down(self, mode: Literal["refuse", "503"] = "refuse") -> None:
        """Stop taking connections ("refuse"), or answer everything with 503 ("503")."""
        with self._lock:
            self._down = mode
        if mode == "refuse":
            self._close()

    def come_back(self) -> None:
        """Listen again on the same port and answer normally."""
        with self._lock:
            was_refusing = self._down == "refuse"
            self._down = None
        if was_refusing:
            self._listen()

    def fail_next(self, status: int, *, times: int = 1, path_suffix: str = "/_bulk") -> None:
        """Answer the next `times` requests whose path ends with `path_suffix` with `status`."""
        with self._lock:
            self._failures.append(_Failure(status, times, path_suffix))

    def reject_items_next(self, *, status: int = 429, times: int = 1) -> None:
        """Fail every item of the next `times` bulk requests with `status` (nothing written)."""
        with self._lock:
            self._item_rejections.extend([status] * times)

    def refuse_document(self, doc_id: str, reason: str = "failed to parse field [price]") -> None:
        """Refuse any write of `doc_id` with a mapping error, as a bad document would be."""
        with self._lock:
            self._refused_ids[doc_id] = reason

    # -- what happened

    def requests_to(self, path_suffix: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.endswith(path_suffix) and (method is None or r.method == method)
            ]

    def documents(self, target: str) -> dict[str, dict[str, Any]]:
        """Documents written to an index, or to the indices an alias points at, refreshed or not."""
        with self._lock:
            docs: dict[str, dict[str, Any]] = {}
            for name in self._resolve(target, allow_missing=True):
                docs.update(self.indices[name].docs)
            return docs

    def alias_targets(self, alias: str) -> set[str]:
        with self._lock:
            return set(self.aliases.get(alias, set()))

    # -- request handling (called from the server's threads)

    def handle(self, method: str, raw_path: str, body: bytes) -> tuple[int, dict[str, Any] | None]:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, body))
            if self._down == "503":
                error = StandInError(503, "unavailable", "stand-in is down")
                return error.status, error.body()
            injected = self._take_failure(path)
            if injected is not None:
                error = StandInError(injected, _error_type(injected), "injected failure")
                return error.status, error.body()
            try:
                return self._route(method, path, query, body)
            except StandInError as error:
                return error.status, error.body()

    def _take_failure(self, path: str) -> int | None:
        for failure in self._failures:
            if failure.remaining > 0 and path.endswith(failure.path_suffix):
                failure.remaining -= 1
                return failure.status
        return None

    def _route(
        self, method: str, path: str, query: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any] | None]:
        segments = [s for s in path.split("/") if s]
        payload = json.loads(body) if body and not path.endswith("/_bulk") else None
        match segments:
            case []:
                return 200, {
                    "name": "standin",
                    "cluster_name": "wildwatch-standin",
                    "version": _VERSION,
                    "tagline": "You Know, for Search",
                }
            case ["_index_template", name]:
                return self._template(method, name, payload)
            case ["_aliases"] if method == "POST":
                return self._update_aliases(payload or {})
            case ["_alias", names]:
                return self._get_aliases_by_name(names)
            case [target, "_alias"] if method == "GET":
                return self._get_aliases_of(target)
            case ["_bulk"] | [_, "_bulk"] if method in ("POST", "PUT"):
                default = segments[0] if len(segments) == 2 else None
                return self._bulk(default, body, require_alias=_flag(query, "require_alias"))
            case [target, "_refresh"]:
                return self._refresh(target)
            case [target, "_count"]:
                return self._count(target)
            case [index, "_settings"] if method == "PUT":
                return self._put_settings(index, payload or {})
            case [index, "_doc", doc_id] if method in ("PUT", "POST"):
                item = self._write(
                    "index", index, doc_id, payload or {}, _flag(query, "require_alias")
                )
                return item["status"], item
            case [index, "_doc", doc_id] if method == "DELETE":
                item = self._write("delete", index, doc_id, None, False)
                return item["status"], item
            case [name] if method == "PUT":
                return self._create_index(name, payload or {})
            case [name] if method == "HEAD":
                return (200 if name in self.indices or name in self.aliases else 404), None
            case [names] if method == "DELETE":
                return self._delete_indices(names)
            case [*_, "_search"] | [*_, "_msearch"]:
                raise StandInError(
                    400, "standin_unsupported", "the stand-in implements the write path only"
                )
        raise StandInError(400, "standin_unsupported", f"no stand-in route for {method} {path}")

    # -- templates and indices

    def _template(
        self, method: str, name: str, payload: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any] | None]:
        if method == "PUT":
            if not payload or not payload.get("index_patterns"):
                raise StandInError(400, "action_request_validation_exception", "no patterns")
            self.templates[name] = payload
            return 200, {"acknowledged": True}
        if name not in self.templates:
            raise StandInError(404, "resource_not_found_exception", f"template [{name}] missing")
        if method == "DELETE":
            del self.templates[name]
            return 200, {"acknowledged": True}
        if method == "HEAD":
            return 200, None
        return 200, {"index_templates": [{"name": name, "index_template": self.templates[name]}]}

    def _matching_template(self, index: str) -> tuple[str, dict[str, Any]] | None:
        matching = [
            (body.get("priority", 0), name, body)
            for name, body in self.templates.items()
            if any(fnmatch.fnmatchcase(index, p) for p in body["index_patterns"])
        ]
        if not matching:
            return None
        _, name, body = max(matching)
        return name, body

    def _create_index(self, name: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if name != name.lower() or name.startswith(("-", "_", "+")) or "*" in name:
            raise StandInError(400, "invalid_index_name_exception", f"invalid name [{name}]")
        if name in self.indices:
            raise StandInError(
                400, "resource_already_exists_exception", f"index [{name}] already exists"
            )
        if name in self.aliases:
            raise StandInError(400, "invalid_index_name_exception", f"[{name}] is an alias")
        index = StandInIndex()
        template = self._matching_template(name)
        if template is not None:
            index.template = template[0]
            body = template[1].get("template", {})
            index.settings.update(body.get("settings", {}))
            index.mappings = json.loads(json.dumps(body.get("mappings", {})))
        index.settings.update(payload.get("settings", {}))
        if "mappings" in payload:
            index.mappings = payload["mappings"]
        self.indices[name] = index
        for alias in payload.get("aliases", {}):
            self.aliases.setdefault(alias, set()).add(name)
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def _delete_indices(self, names: str) -> tuple[int, dict[str, Any]]:
        wanted = names.split(",")
        for name in wanted:
            if "*" in name:
                raise StandInError(
                    400, "illegal_argument_exception", "Wildcard expressions are not allowed"
                )
            if name in self.aliases:
                raise StandInError(
                    400, "illegal_argument_exception", f"[{name}] matches an alias, not an index"
                )
            if name not in self.indices:
                raise StandInError(404, "index_not_found_exception", f"no such index [{name}]")
        for name in wanted:
            del self.indices[name]
            for alias in list(self.aliases):
                self.aliases[alias].discard(name)
                if not self.aliases[alias]:
                    del self.aliases[alias]
        return 200, {"acknowledged": True}

    def _put_settings(self, index: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for name in self._resolve(index):
            settings = self.indices[name].settings
            for key, value in payload.items():
                if value is None:
                    settings.pop(key, None)
                else:
                    settings[key] = value
        return 200, {"acknowledged": True}

    # -- aliases

    def _resolve(self, target: str, *, allow_missing: bool = False) -> list[str]:
        """Concrete indices for a comma list of names, aliases and wildcards."""
        found: list[str] = []
        for part in target.split(","):
            if "*" in part:
                found += [n for n in self.indices if fnmatch.fnmatchcase(n, part)]
            elif part in self.aliases:
                found += sorted(self.aliases[part])
            elif part in self.indices:
                found.append(part)
            elif not allow_missing:
                raise StandInError(404, "index_not_found_exception", f"no such index [{part}]")
        return list(dict.fromkeys(found))

    def _aliases_of(self, index: str) -> dict[str, dict[str, Any]]:
        return {alias: {} for alias, members in self.aliases.items() if index in members}

    def _get_aliases_by_name(self, names: str) -> tuple[int, dict[str, Any]]:
        wanted = [
            a for a in self.aliases if any(fnmatch.fnmatchcase(a, n) for n in names.split(","))
        ]
        if not wanted:
            return 404, {"error": f"alias [{names}] missing", "status": 404}
        out: dict[str, Any] = {}
        for alias in wanted:
            for index in self.aliases[alias]:
                out.setdefault(index, {"aliases": {}})["aliases"][alias] = {}
        return 200, out

    def _get_aliases_of(self, target: str) -> tuple[int, dict[str, Any]]:
        return 200, {name: {"aliases": self._aliases_of(name)} for name in self._resolve(target)}

    def _update_aliases(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        # All actions are checked before any is applied: the swap is atomic.
        planned: list[tuple[str, str, str]] = []
        for action in payload.get("actions", []):
            ((kind, spec),) = action.items()
            indices = spec.get("indices") or [spec["index"]]
            aliases = spec.get("aliases") or [spec.get("alias")]
            for index in indices:
                if index not in self.indices:
                    raise StandInError(404, "index_not_found_exception", f"no such index [{index}]")
                for alias in aliases:
                    if kind == "remove" and index not in self.aliases.get(alias, set()):
                        raise StandInError(
                            404, "aliases_not_found_exception", f"aliases [{alias}] missing"
                        )
                    if kind == "add" and alias in self.indices:
                        raise StandInError(
                            400, "invalid_alias_name_exception", f"[{alias}] is an index name"
                        )
                    if kind not in ("add", "remove"):
                        raise StandInError(400, "standin_unsupported", f"alias action {kind}")
                    planned.append((kind, index, alias))
        for kind, index, alias in planned:
            if kind == "add":
                self.aliases.setdefault(alias, set()).add(index)
            else:
                self.aliases[alias].discard(index)
                if not self.aliases[alias]:
                    del self.aliases[alias]
        return 200, {"acknowledged": True}

    # -- documents

    def _write_target(self, name: str, require_alias: bool) -> str:
        if name in self.aliases:
            members = self.aliases[name]
            if len(members) != 1:
                raise StandInError(
                    400, "illegal_argument_exception", f"alias [{name}] has no single write index"
                )
            return next(iter(members))
        if require_alias:
            raise StandInError(
                404,
                "index_not_found_exception",
                f"no such index [{name}] and [require_alias] request flag is [true] "
                f"and [{name}] is not an alias",
            )
        if name not in self.indices:
            self._create_index(name, {})  # auto-create, as a default cluster does
        return name

    def _write(
        self,
        op: str,
        target: str,
        doc_id: str,
        source: dict[str, Any] | None,
        require_alias: bool,
    ) -> dict[str, Any]:
        item: dict[str, Any] = {"_index": target, "_id": doc_id}
        try:
            name = self._write_target(target, require_alias)
        except StandInError as error:
            return {**item, "status": error.status, "error": error.body()["error"]}
        item["_index"] = name
        index = self.indices[name]
        if op == "delete":
            existed = index.docs.pop(doc_id, None) is not None
            return {
                **item,
                "status": 200 if existed else 404,
                "result": "deleted" if existed else "not_found",
            }
        unknown = _unmapped_fields(index.mappings, source or {})
        if doc_id in self._refused_ids or unknown:
            reason = self._refused_ids.get(doc_id) or (
                f"mapping set to strict, dynamic introduction of [{unknown[0]}] is not allowed"
            )
            kind = (
                "mapper_parsing_exception"
                if doc_id in self._refused_ids
                else ("strict_dynamic_mapping_exception")
            )
            return {**item, "status": 400, "error": {"type": kind, "reason": reason}}
        created = doc_id not in index.docs
        index.docs[doc_id] = source or {}
        return {
            **item,
            "status": 201 if created else 200,
            "result": "created" if created else "updated",
        }

    def _bulk(
        self, default_index: str | None, body: bytes, *, require_alias: bool
    ) -> tuple[int, dict[str, Any]]:
        lines = iter(line for line in body.splitlines() if line.strip())
        items: list[dict[str, Any]] = []
        rejection = self._item_rejections.pop(0) if self._item_rejections else None
        for line in lines:
            ((op, meta),) = json.loads(line).items()
            source = json.loads(next(lines)) if op in ("index", "create", "update") else None
            target = meta.get("_index", default_index)
            doc_id = str(meta.get("_id"))
            if op not in ("index", "create", "delete"):
                error = StandInError(400, "standin_unsupported", f"bulk op {op}")
                items.append({op: {"_id": doc_id, "status": 400, "error": error.body()["error"]}})
                continue
            if rejection is not None:
                error = StandInError(rejection, _error_type(rejection), "injected item failure")
                items.append(
                    {
                        op: {
                            "_index": target,
                            "_id": doc_id,
                            "status": rejection,
                            "error": error.body()["error"],
                        }
                    }
                )
                continue
            items.append({op: self._write(op, target, doc_id, source, require_alias)})
        errors = any(not 200 <= next(iter(i.values()))["status"] < 300 for i in items)
        return 200, {"took": 1, "errors": errors, "items": items}

    def _refresh(self, target: str) -> tuple[int, dict[str, Any]]:
        names = self._resolve(target, allow_missing=True)
        for name in names:
            self.indices[name].visible = dict(self.indices[name].docs)
        shards = {"total": len(names), "successful": len(names), "failed": 0}
        return 200, {"_shards": shards}

    def _count(self, target: str) -> tuple[int, dict[str, Any]]:
        names = self._resolve(target)
        return 200, {"count": sum(len(self.indices[n].visible) for n in names)}


def _flag(query: dict[str, str], name: str) -> bool:
    return query.get(name, "false") in ("", "true")


def _error_type(status: int) -> str:
    return "es_rejected_execution_exception" if status == 429 else "unavailable_shards_exception"


def _unmapped_fields(mappings: dict[str, Any], source: dict[str, Any]) -> list[str]:
    if mappings.get("dynamic") != "strict":
        return []
    known = mappings.get("properties", {})
    return [key for key in source if key not in known]


def _handler_for(standin: EsStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: one request per connection, so a stand-in that goes down leaves no
        # kept-alive connection still being served.
        protocol_version = "HTTP/1.0"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = standin.handle(self.command, self.path, body)
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            if standin.product is not None:
                self.send_header("X-Elastic-Product", standin.product)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the recorded requests say what happened

    return Handler
