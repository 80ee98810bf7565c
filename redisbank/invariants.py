"""The ledger's invariants, checked against what Redis holds.

`redisbank check` and the tests use the same check: the documents are the
record, and everything derived from them must agree with it exactly, to the
cent. It reads every document, so it costs one pass over the ledger.
"""

from collections import Counter
from dataclasses import dataclass, field

import redis

from redisbank import config, ledger, models
from redisbank.errors import LedgerInconsistent

_SCAN_BATCH = 1000


@dataclass
class Findings:
    """What the check counted, and every invariant it found broken."""

    documents: int = 0
    balance_cents: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def inspect(client: redis.Redis) -> Findings:
    """Compare the documents with the balance, the series, the scores and the index.

    The invariants: the opening balance plus the sum of the documents' amounts
    is the stored balance, and the last sample of the balance series; the
    posting counter is the number of documents; each vendor's `bigspenders`
    score is minus the sum of its amounts, and no other vendor has one; the
    index counts every document and failed on none.
    """
    amounts = Counter()
    documents = 0
    for keys in _document_batches(client):
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.json().get(key, "$.vendor", "$.amount_cents")
        for fields in pipe.execute():
            amounts[fields["$.vendor"][0]] += int(fields["$.amount_cents"][0])
            documents += 1

    findings = Findings(documents, ledger.balance_cents(client))
    broken = findings.violations
    expected = config.OPENING_BALANCE_CENTS + amounts.total()
    if findings.balance_cents != expected:
        broken.append(
            f"the stored balance is {findings.balance_cents} cents, but the opening "
            f"balance plus the documents' amounts is {expected}"
        )
    postings = ledger.posting_count(client)
    if postings != documents:
        broken.append(
            f"the ledger counts {postings} postings for {documents} documents"
        )

    last = client.ts().get(config.BALANCE_TS_KEY) if documents else None
    if documents and (not last or int(last[1]) != expected):
        shown = int(last[1]) if last else "no sample"
        broken.append(
            f"the last {config.BALANCE_TS_KEY} sample is {shown}, not the balance "
            f"{expected}"
        )

    scores = dict(client.zrange(config.BIGSPENDERS_KEY, 0, -1, withscores=True))
    for vendor in sorted(set(scores) | set(amounts)):
        score = scores.get(vendor)
        if score is None or round(score) != -amounts[vendor] or score != round(score):
            broken.append(
                f"{vendor!r} has the {config.BIGSPENDERS_KEY} score {score}, not "
                f"{-amounts[vendor]}, minus the sum of its amounts"
            )

    info = client.ft(models.index_name()).info()
    if int(info["num_docs"]) != documents:
        broken.append(f"the index counts {info['num_docs']} of {documents} documents")
    if int(info["hash_indexing_failures"]):
        broken.append(f"the index failed on {info['hash_indexing_failures']} documents")
    return findings


def check(client: redis.Redis) -> Findings:
    """Return the findings when every invariant holds; raise LedgerInconsistent."""
    findings = inspect(client)
    if not findings.ok:
        raise LedgerInconsistent(findings.violations)
    return findings


def _document_batches(client: redis.Redis):
    # The transaction prefix is followed by a ULID; the index-schema and other
    # keys under the same prefix do not match the pattern.
    pattern = ledger.transaction_key("[0-9A-Z]*")
    batch = []
    for key in client.scan_iter(match=pattern, count=_SCAN_BATCH, _type="ReJSON-RL"):
        batch.append(key)
        if len(batch) == _SCAN_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
