"""Fixtures for the notification tests: referenced professionals, a real Celery worker thread
on real Redis, and a spare `redis-server` that a test may stop and start again."""

import contextlib
import logging
import socket
import subprocess
import threading
import time
import uuid

import pytest
from celery import shared_task
from django.core import mail

from notifications import sms
from professionals.models import Referencing
from tests.factories import ProfessionalFactory, professional_user

WAIT_SECONDS = 60


@pytest.fixture(autouse=True)
def _clean_outboxes(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    mail.outbox = []
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def reference(professional, pharmacy):
    Referencing.objects.create(professional=professional, pharmacy=pharmacy)
    return professional


def referenced_users(pharmacy, count: int, **fields):
    """`count` professional users referenced at `pharmacy` (e-mail + portal by default)."""
    users = []
    for index in range(count):
        user = professional_user(email=f"pro{index}.{pharmacy.pk}@exemple.fr", **fields)
        reference(user.professional, pharmacy)
        users.append(user)
    return users


def referenced_without_account(pharmacy, **fields):
    professional = ProfessionalFactory(email="sans.compte@exemple.fr", **fields)
    return reference(professional, pharmacy)


def wait_until(predicate, timeout: float = WAIT_SECONDS, message: str = "condition"):
    """Poll `predicate` until true (the worker runs in another thread); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"Timed out waiting for {message}")


@contextlib.contextmanager
def broker(app, url: str):
    """Point the project's Celery app at another broker for the duration of the block."""
    saved = app.conf.broker_url
    _reset_pools(app)
    app.conf.broker_url = url
    try:
        yield app
    finally:
        _reset_pools(app)
        app.conf.broker_url = saved


def _reset_pools(app):
    from kombu import pools

    with contextlib.suppress(Exception):
        app.pool.force_close_all()
    pools.reset()  # kombu's global producer pools would keep connections to the old broker
    app._pool = None
    app.amqp._producer_pool = None


def purge(app):
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("celery")


@contextlib.contextmanager
def worker_thread(app):
    """A real Celery worker (solo pool, in a thread of this process) consuming the app's broker."""
    from celery.contrib.testing.worker import start_worker
    from django.db import connections

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with (
            _root_logging_kept(),
            start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"),
        ):
            yield app
    finally:
        app.conf.task_always_eager = saved
        connections.close_all()


@contextlib.contextmanager
def _root_logging_kept():
    """The worker sets up logging as a worker process would: it takes over the root logger
    (its handlers replaced, its level raised to the worker's) and routes warnings to logging.
    Put them back, so that the tests after this one on the same worker log as before."""
    root = logging.getLogger()
    level, handlers = root.level, root.handlers[:]
    warnings_captured = logging._warnings_showwarning is not None
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
        logging.captureWarnings(warnings_captured)


@pytest.fixture
def celery_app():
    from gomask.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    purge(app)
    yield app
    app.conf.task_always_eager = saved


@pytest.fixture
def worker(celery_app):
    with worker_thread(celery_app):
        yield celery_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SpareRedis:
    """A second redis-server on its own port, started and stopped by the test."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--bind",
                "127.0.0.1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), timeout=20, message="redis-server to start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture
def spare_redis():
    server = SpareRedis()
    server.start()
    yield server
    server.stop()


# A task the worker runs after everything queued before it (solo pool, FIFO queue):
# waiting for it proves the worker has handled the earlier messages.
_drained: dict[str, threading.Event] = {}


@shared_task(name="tests.notifications.sentinel")
def sentinel(key: str) -> None:
    _drained[key].set()


def drain(timeout: float = WAIT_SECONDS) -> None:
    key = uuid.uuid4().hex
    _drained[key] = threading.Event()
    sentinel.apply_async((key,))
    drained = _drained[key].wait(timeout)
    _drained.pop(key, None)
    if not drained:
        pytest.fail("the worker did not drain its queue")
