"""The cached roll-up is computed once for everybody who asks while it is missing (no stampede)."""
import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection

from forecasting.services import rollup as rollup_module
from forecasting.services.rollup import forecast_rollup_cached

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_concurrent_requests_compute_the_rollup_once(monkeypatch):
    calls = []
    real = rollup_module.forecast_rollup

    def slow_rollup(**kwargs):
        calls.append(threading.get_ident())
        time.sleep(0.5)  # long enough for every other request to arrive while it runs
        return real(**kwargs)

    monkeypatch.setattr(rollup_module, "forecast_rollup", slow_rollup)
    results, errors = [], []

    def request():
        try:
            results.append(forecast_rollup_cached())
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()  # each thread's own connection (PostgreSQL would keep it open)

    threads = [threading.Thread(target=request) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(calls) == 1
    assert len(results) == 4
    assert {r.horizons.keys() == results[0].horizons.keys() for r in results} == {True}
    assert forecast_rollup_cached().horizons.keys() == results[0].horizons.keys()  # served from the cache
    assert len(calls) == 1


def test_a_lock_left_without_a_result_does_not_block_for_ever(monkeypatch):
    """A request finding the lock waits; when the lock goes away without a result it computes itself."""
    calls = []
    real = rollup_module.forecast_rollup
    monkeypatch.setattr(rollup_module, "forecast_rollup", lambda **kw: calls.append(1) or real(**kw))
    today = rollup_module.timezone.localdate()
    version = ":".join(str(part) for part in (today, *rollup_module._data_version()))
    key = "forecast-rollup:" + rollup_module.hashlib.sha1(version.encode()).hexdigest()
    cache.set(f"{key}:computing", 1, 30)  # a holder that died without cleaning up …
    threading.Timer(0.3, cache.delete, args=[f"{key}:computing"]).start()  # … until its lock goes

    started = time.monotonic()
    result = forecast_rollup_cached(today=today)
    assert result is not None and calls == [1]
    assert time.monotonic() - started < 10
    assert cache.get(key) is not None


def test_the_data_version_moves_with_every_change_the_rollup_depends_on():
    """Added, edited and deleted contracts, deals and companies each give the cache a new key."""
    from accounts.models import Company
    from forecasting.models import Contract, Opportunity
    from tests.factories import CompanyFactory
    from tests.forecasting.factories import ContractFactory, OpportunityFactory

    spare = CompanyFactory()
    seen = [rollup_module._data_version()]

    def changed():
        seen.append(rollup_module._data_version())
        return seen[-1] != seen[-2]

    company = CompanyFactory()
    assert changed()
    contract = ContractFactory(company=company)
    assert changed()
    deal = OpportunityFactory(company=company)
    assert changed()
    assert not changed()  # nothing happened
    Opportunity.objects.filter(pk=deal.pk).update(amount=deal.amount + 1, updated_at=rollup_module.timezone.now())
    assert changed()
    Contract.objects.filter(pk=contract.pk).delete()  # a deletion leaves MAX(updated_at) where it was
    assert changed()
    Company.objects.filter(pk=spare.pk).delete()  # an older company: only the count tells
    assert changed()
    assert len(set(seen)) == len(seen) - 1  # every change gave a version not seen before
