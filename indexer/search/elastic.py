"""The Elasticsearch search backend: searches, writes, zero-downtime rebuilds, saved searches.

Layout (see `indexer.search.elastic_layout`): listings in ``<prefix>-listings-v<N>``
behind the alias ``<prefix>-listings``, saved searches as percolator queries in
``<prefix>-saved-searches-v<N>`` behind ``<prefix>-saved-searches``. Every read and write
goes through an alias; a rebuild fills a new version while the alias still serves the
old one, then moves the alias in one atomic request and deletes the old version.

Nothing here reads the environment: the app layer passes the URL (``WILDWATCH_ES_URL``)
and credentials to `ElasticBackend.from_url`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from elasticsearch import Elasticsearch

from indexer.errors import SearchIndexError
from indexer.search.document import SearchDocument
from indexer.search.elastic_bulk import (
    TRANSPORT_RETRY_STATUSES,
    BulkPolicy,
    cluster_call,
    write_actions,
)
from indexer.search.elastic_layout import IndexNames, listings_template, saved_searches_index
from indexer.search.elastic_query import (
    backend_result,
    percolate_search,
    percolator_entry,
    search_for,
)
from indexer.search.query import BackendResult, SearchQuery

__all__ = ["ElasticBackend"]

logger = logging.getLogger(__name__)

#: Listings sent in one percolate request.
PERCOLATE_BATCH = 100
#: Saved searches read per page of a percolate answer.
PERCOLATE_PAGE = 1000


def _source(doc: SearchDocument) -> dict[str, Any]:
    return doc.model_dump(mode="json")


class ElasticBackend:
    """Search, write and percolate listings on an Elasticsearch cluster.

    Build it with `from_url` (or around a configured client), call `ensure` once (the
    writes do it themselves the first time), then `index_documents` / `delete` as the
    store changes, `search` to query, `rebuild` to reindex everything without downtime.
    Cluster failures raise `SearchIndexUnavailable` (try later) or `SearchIndexError`.
    """

    name = "elasticsearch"

    def __init__(
        self,
        client: Elasticsearch,
        *,
        prefix: str = "wildwatch",
        shards: int = 1,
        bulk: BulkPolicy | None = None,
    ) -> None:
        if shards < 1:
            raise ValueError("an index needs at least one shard")
        self.client = client
        self.names = IndexNames(prefix)
        self.shards = shards
        self.bulk = bulk or BulkPolicy()
        self._ensured = False

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "wildwatch",
        api_key: str | None = None,
        ca_certs: str | None = None,
        request_timeout: float = 10.0,
        max_retries: int = 3,
        retry_backoff: float = 0.5,
        shards: int = 1,
        bulk: BulkPolicy | None = None,
    ) -> ElasticBackend:
        """A backend for the cluster at `url` (``http(s)://host:port``).

        `api_key` is an encoded API key; `ca_certs` a PEM file that signed the cluster's
        certificate. A request that cannot connect, times out or gets 502/503/504 is tried
        `max_retries` more times, waiting about `retry_backoff` seconds, doubling.
        """
        if not url.startswith(("http://", "https://")):
            # The value is not echoed: it may carry credentials.
            raise ValueError("the Elasticsearch URL must start with http:// or https://")
        options: dict[str, Any] = {}
        if api_key:
            options["api_key"] = api_key
        if ca_certs:
            options["ca_certs"] = ca_certs
        client = Elasticsearch(
            url,
            request_timeout=request_timeout,
            max_retries=max_retries,
            retry_on_timeout=True,
            retry_on_status=TRANSPORT_RETRY_STATUSES,
            retry_backoff_base=retry_backoff,
            retry_backoff_cap=max(retry_backoff, retry_backoff * 8),
            **options,
        )
        return cls(client, prefix=prefix, shards=shards, bulk=bulk)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ElasticBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the cluster and its layout

    def ping(self) -> bool:
        """Whether the cluster answers (never raises)."""
        return bool(self.client.ping())

    def ensure(self) -> None:
        """Create whatever is missing; safe to call any number of times.

        That is: the index template (always stored again), the first listings index with
        its alias, and the saved-search index with its alias.
        """
        self._put_template()
        for alias, create in (
            (self.names.listings, self._create_listings_index),
            (self.names.saved_searches, self._create_saved_searches_index),
        ):
            if not self._alias_targets(alias):
                create(self._next_version(alias), alias=alias)
        self._ensured = True

    def refresh(self) -> None:
        """Make every write so far visible to searches and percolation."""
        with cluster_call("refresh the search index"):
            self.client.indices.refresh(
                index=f"{self.names.listings},{self.names.saved_searches}",
                ignore_unavailable=True,
            )

    def count(self) -> int:
        """Listings in the index the alias serves."""
        with cluster_call("count the indexed listings"):
            return int(self.client.count(index=self.names.listings)["count"])

    def drop_all(self) -> None:
        """Delete every index, alias and template of this prefix (tests, decommissioning)."""
        indices = self._versions(self.names.listings) | self._versions(self.names.saved_searches)
        with cluster_call("delete the search indices"):
            if indices:
                self.client.indices.delete(index=",".join(sorted(indices)))
            self.client.options(ignore_status=404).indices.delete_index_template(
                name=self.names.listings_template
            )
        self._ensured = False

    # -- listings

    def index_documents(self, docs: Iterable[SearchDocument]) -> int:
        """Add or replace listings; the number written."""
        self._ensure_once()
        actions = (
            {
                "_op_type": "index",
                "_index": self.names.listings,
                "_id": doc.id,
                "_source": _source(doc),
            }
            for doc in docs
        )
        return write_actions(
            self.client, actions, self.bulk, action="index listings", require_alias=True
        )

    def delete(self, ids: Iterable[str]) -> int:
        """Remove listings; ids the index does not hold are not an error."""
        self._ensure_once()
        actions = (
            {"_op_type": "delete", "_index": self.names.listings, "_id": listing_id}
            for listing_id in ids
        )
        return write_actions(
            self.client, actions, self.bulk, action="delete listings", require_alias=True
        )

    def rebuild(self, documents: Iterable[SearchDocument]) -> str:
        """Build a new listings index from `documents`, then serve it; its name.

        Searches keep using the old index until the new one is complete and refreshed;
        the alias then moves in one atomic request and the old index is deleted. If
        anything fails, the new index is dropped and the old one keeps serving.
        """
        self._put_template()
        if not self._alias_targets(self.names.saved_searches):
            self._create_saved_searches_index(
                self._next_version(self.names.saved_searches), alias=self.names.saved_searches
            )
        return self._rebuild(
            self.names.listings,
            self._create_listings_index,
            ({"_op_type": "index", "_id": doc.id, "_source": _source(doc)} for doc in documents),
        )

    def search(self, query: SearchQuery) -> BackendResult:
        body = search_for(query).to_dict()
        with cluster_call("search listings"):
            response = self.client.search(index=self.names.listings, body=body)
        return backend_result(response.body, query)

    # -- saved searches (percolator)

    def register_saved_search(self, saved_search_id: int, query: SearchQuery) -> None:
        """Store (or replace) a saved search so `percolate` reports listings it matches."""
        self._ensure_once()
        with cluster_call(f"store saved search {saved_search_id}"):
            self.client.index(
                index=self.names.saved_searches,
                id=str(saved_search_id),
                document=percolator_entry(saved_search_id, query),
                refresh="wait_for",
                require_alias=True,
            )

    def remove_saved_search(self, saved_search_id: int) -> None:
        """Forget a saved search; one never stored is not an error."""
        self._ensure_once()
        with cluster_call(f"remove saved search {saved_search_id}"):
            self.client.options(ignore_status=404).delete(
                index=self.names.saved_searches, id=str(saved_search_id), refresh="wait_for"
            )

    def rebuild_saved_searches(self, searches: Iterable[tuple[int, SearchQuery]]) -> str:
        """Replace every stored saved search (after a mapping change), without downtime."""
        self._put_template()
        return self._rebuild(
            self.names.saved_searches,
            self._create_saved_searches_index,
            (
                {"_op_type": "index", "_id": str(sid), "_source": percolator_entry(sid, query)}
                for sid, query in searches
            ),
        )

    def percolate(self, docs: list[SearchDocument]) -> dict[str, list[int]]:
        """For each listing, the ids of the saved searches it matches (ascending)."""
        self._ensure_once()
        matches: dict[str, set[int]] = {doc.id: set() for doc in docs}
        for start in range(0, len(docs), PERCOLATE_BATCH):
            batch = docs[start : start + PERCOLATE_BATCH]
            for saved_search_id, slots in self._percolate_batch([_source(d) for d in batch]):
                for slot in slots:
                    matches[batch[slot].id].add(saved_search_id)
        return {listing_id: sorted(ids) for listing_id, ids in matches.items()}

    def _percolate_batch(self, sources: list[dict[str, Any]]) -> Iterator[tuple[int, list[int]]]:
        after: int | None = None
        while True:
            body = percolate_search(sources, page_size=PERCOLATE_PAGE, after=after).to_dict()
            with cluster_call("match saved searches"):
                response = self.client.search(index=self.names.saved_searches, body=body)
            hits = response.body["hits"]["hits"]
            for hit in hits:
                # Which of the documents matched; one document alone is slot 0.
                slots = (hit.get("fields") or {}).get("_percolator_document_slot", [0])
                yield int(hit["_id"]), [int(slot) for slot in slots]
            if len(hits) < PERCOLATE_PAGE:
                return
            after = int(hits[-1]["sort"][0])

    # -- helpers

    def _ensure_once(self) -> None:
        if not self._ensured:
            self.ensure()

    def _put_template(self) -> None:
        template = listings_template(self.names, shards=self.shards).to_dict()
        with cluster_call("store the listings index template"):
            self.client.indices.put_index_template(name=self.names.listings_template, **template)

    def _create_listings_index(
        self, version: int, *, alias: str | None = None, loading: bool = False
    ) -> str:
        # Settings and mapping come from the template; only the alias and load-time
        # settings are given here.
        name = self.names.versioned(self.names.listings, version)
        settings = {"refresh_interval": "-1"} if loading else None
        aliases = {alias: {}} if alias else None
        with cluster_call(f"create index {name}"):
            self.client.indices.create(index=name, aliases=aliases, settings=settings)
        return name

    def _create_saved_searches_index(
        self, version: int, *, alias: str | None = None, loading: bool = False
    ) -> str:
        name = self.names.versioned(self.names.saved_searches, version)
        index = saved_searches_index(self.names, version, shards=self.shards)
        if alias:
            index.aliases(**{alias: {}})
        if loading:
            index.settings(refresh_interval="-1")
        with cluster_call(f"create index {name}"):
            self.client.indices.create(index=name, **index.to_dict())
        return name

    def _alias_targets(self, alias: str) -> list[str]:
        """The indices `alias` points at (none when it does not exist)."""
        with cluster_call(f"look up alias {alias}"):
            response = self.client.options(ignore_status=404).indices.get_alias(name=alias)
            in_the_way = response.meta.status == 404 and bool(
                self.client.indices.exists(index=alias)
            )
        if in_the_way:
            raise SearchIndexError(
                f"an index named {alias!r} is in the way of the alias wildwatch needs "
                "(written to before `ensure`?): delete it, or use another prefix"
            )
        if response.meta.status == 404:
            return []
        return sorted(response.body)

    def _versions(self, alias: str) -> set[str]:
        """Existing ``<alias>-v<N>`` indices, whether the alias points at them or not."""
        with cluster_call(f"list the {alias} indices"):
            response = self.client.options(ignore_status=404).indices.get_alias(
                index=f"{alias}-v*", allow_no_indices=True
            )
        if response.meta.status == 404:
            return set()
        return {name for name in response.body if self.names.version_of(alias, name)}

    def _next_version(self, alias: str) -> int:
        versions = [self.names.version_of(alias, name) or 0 for name in self._versions(alias)]
        return max(versions, default=0) + 1

    def _rebuild(
        self,
        alias: str,
        create: Callable[..., str],
        actions: Iterable[dict[str, Any]],
    ) -> str:
        old = self._alias_targets(alias)
        stale = self._versions(alias)
        new = create(self._next_version(alias), loading=True)
        try:
            written = write_actions(
                self.client,
                ({**action, "_index": new} for action in actions),
                self.bulk,
                action=f"fill {new}",
                require_alias=False,
            )
            with cluster_call(f"open {new} for searches"):
                self.client.indices.put_settings(index=new, settings={"refresh_interval": None})
                self.client.indices.refresh(index=new)
                moves: list[dict[str, Any]] = [
                    {"remove": {"index": index, "alias": alias}} for index in old
                ]
                moves.append({"add": {"index": new, "alias": alias}})
                # One request: searches see the old index or the new one, never neither.
                self.client.indices.update_aliases(actions=moves)
        except BaseException:
            logger.warning("rebuild of %s failed; %s keeps serving", new, old or "nothing")
            self._drop_quietly(new)
            raise
        logger.info("%s now serves %s (%d documents)", alias, new, written)
        if stale:
            with cluster_call(f"delete the old {alias} indices"):
                self.client.indices.delete(index=",".join(sorted(stale)))
        self._ensured = self._ensured or alias == self.names.listings
        return new

    def _drop_quietly(self, index: str) -> None:
        try:
            self.client.options(ignore_status=404).indices.delete(index=index)
        except Exception as exc:  # the original failure matters more
            logger.warning("could not delete the unfinished index %s: %s", index, exc)
