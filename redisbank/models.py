"""The redis-om model of a bank transaction and the search index over it.

redis-om derives key names and index names from the Python module unless told
otherwise, so the prefixes here are explicit: a transaction is always the JSON
document `redisBank:transaction:<ulid>`, whoever defines or imports the model.
"""

import contextlib
import hashlib
from datetime import datetime

import redis
from redis_om import Field, JsonModel

from redisbank import config


class BankTransaction(JsonModel, index=True):
    """One posting to the account, as stored and indexed in Redis."""

    from_account: str = Field(index=True)
    to_account: str = Field(index=True)
    vendor: str = Field(index=True, full_text_search=True)
    description: str = Field(index=True, full_text_search=True)
    transaction_type: str = Field(index=True)
    amount_cents: int = Field(index=True, sortable=True)
    balance_after_cents: int = 0
    transaction_date: datetime = Field(index=True, sortable=True)

    class Meta:
        global_key_prefix = config.PREFIX
        model_key_prefix = config.TRANSACTION_PREFIX

    def __init__(self, **data):
        # redis-om's JsonModel.__init__ asks the server whether RedisJSON is
        # loaded, so building a transaction would need a connection (and, unbound,
        # would try localhost:6379). connect() has already checked the modules.
        super(JsonModel, self).__init__(**data)


def bind(client: redis.Redis) -> None:
    """Point the models at client instead of redis-om's REDIS_OM_URL default."""
    BankTransaction._meta.database = client


def index_name() -> str:
    return BankTransaction._meta.index_name


def ensure_index(client: redis.Redis) -> bool:
    """Create the transaction index, or rebuild it if the model changed.

    Dropping an index keeps its documents, and FT.CREATE indexes every existing
    `redisBank:transaction:` key again, so a schema change loses no data. Returns
    True when the index was created.
    """
    # STOPWORDS 0 indexes every word, so a search for "There" in "Bean There
    # Coffee" finds it instead of silently matching nothing.
    schema = BankTransaction.redisearch_schema().replace(
        " SCHEMA ", " STOPWORDS 0 SCHEMA ", 1
    )
    digest = hashlib.sha256(schema.encode()).hexdigest()
    schema_key = config.INDEX_SCHEMA_KEY.format(index=index_name())
    if client.get(schema_key) == digest and _index_exists(client):
        return False

    if _index_exists(client):
        # Another process preparing at the same time may have dropped it first.
        with contextlib.suppress(redis.ResponseError):
            client.ft(index_name()).dropindex(delete_documents=False)
    created = True
    try:
        client.execute_command(f"FT.CREATE {index_name()} {schema}")
    except redis.ResponseError as error:
        # Several generators preparing at once: one of them creates the index.
        if "already exists" not in str(error).lower():
            raise
        created = False
    client.set(schema_key, digest)
    return created


def _index_exists(client: redis.Redis) -> bool:
    try:
        client.ft(index_name()).info()
    except redis.ResponseError:
        return False
    return True
