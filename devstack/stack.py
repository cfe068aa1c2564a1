"""The local stack: emulator, Wix stand-in, writer and ingest under gunicorn, wired together.

`python -m devstack run` starts it and stops every process on Ctrl-C; the end-to-end tests and
the benchmarks start the same stack on free ports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from devstack import emulator, processes, samples

STATE_FILE = "stack.json"
LOCAL_STRIPE_KEY = "sk_test_local_devstack_only"  # the local Stripe stand-in accepts only this
STOP_WAVES = (
    ("checkout-page", "ingest", "stripe-standin", "push-deliverer"),
    ("writer",),
    ("wix-standin", "pubsub-emulator"),
)
# Each is also settable as DEVSTACK_<NAME> for `python -m devstack run`.
PORT_NAMES = (
    "emulator_port",
    "standin_port",
    "ingest_port",
    "writer_port",
    "checkout_port",
    "stripe_standin_port",
)


@dataclass
class StackConfig:
    state_dir: Path = Path(".devstack")
    project: str = "local-project"
    emulator_port: int = 8085
    standin_port: int = 8086
    ingest_port: int = 8080
    writer_port: int = 8081
    checkout_port: int = 8087
    webhook_secret: str = "whsec_local_devstack_only"  # noqa: S105 - local stack only
    stripe_secret_key: str = LOCAL_STRIPE_KEY
    stripe_api_base: str | None = None
    # Without a real STRIPE_SECRET_KEY, ingest talks to the local Stripe stand-in.
    stripe_standin_port: int = 8088
    stripe_publishable_key: str = ""
    # The signing secret of the stand-in's webhook endpoint for ingest (set at start).
    stripe_endpoint_secret: str = ""
    wix_api_key: str = "local-wix-api-key"
    wix_site_id: str = "local-wix-site"
    collection_id: str = "Payments"
    # Origins allowed to call ingest's /v1/*, besides the checkout page; empty: ingest's own,
    # on whatever port it has.
    allowed_origins: str = ""
    catalog: str = '{"tee": {"name": "T-shirt", "amount": 1999, "currency": "usd"}}'
    ingest_workers: int = 2
    # One writer process with many threads, as on Cloud Run: group commit batches the pushes
    # that one process handles at once.
    writer_workers: int = 1
    writer_threads: int = 32
    # The stand-in has no quota unless asked (POST /_standin/quota): a budget that never binds.
    wix_reads_per_minute: float = 60_000.0
    wix_writes_per_minute: float = 60_000.0
    # "concurrent": devstack/push_deliverer.py delivers the writer's subscription as Cloud does
    # (many at once, one per ordering key); "emulator": the emulator's own push, one at a time.
    push_delivery: str = "concurrent"
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def on_free_ports(cls, state_dir: Path, **overrides: Any) -> StackConfig:
        ports = dict(zip(PORT_NAMES, processes.free_ports(len(PORT_NAMES)), strict=True))
        return cls(state_dir=state_dir, **{**ports, **overrides})

    @property
    def ingest_url(self) -> str:
        return f"http://127.0.0.1:{self.ingest_port}"

    @property
    def writer_url(self) -> str:
        return f"http://127.0.0.1:{self.writer_port}"

    @property
    def standin_url(self) -> str:
        return f"http://127.0.0.1:{self.standin_port}"

    @property
    def checkout_url(self) -> str:
        return f"http://127.0.0.1:{self.checkout_port}"

    @property
    def page_origins(self) -> str:
        return (
            self.allowed_origins
            or f"http://127.0.0.1:{self.ingest_port},http://localhost:{self.ingest_port}"
        )

    @property
    def checkout_origins(self) -> str:
        # The local checkout page calls ingest from the browser: ingest must allow its origin.
        return f"{self.checkout_url},http://localhost:{self.checkout_port}"

    @property
    def stripe_standin_url(self) -> str:
        return f"http://127.0.0.1:{self.stripe_standin_port}"

    @property
    def uses_stripe_standin(self) -> bool:
        """No real Stripe key (nor STRIPE_API_BASE) was given: the stand-in plays Stripe."""
        return self.stripe_api_base is None and self.stripe_secret_key == LOCAL_STRIPE_KEY

    @property
    def emulator_host(self) -> str:
        return f"127.0.0.1:{self.emulator_port}"


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.services: dict[str, processes.Service] = {}
        self.log_dir = config.state_dir / "logs"
        self.ready = False  # every service started (a later restart of one keeps it so)

    # environment ---------------------------------------------------------------------------
    def base_env(self) -> dict[str, str]:
        c = self.config
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "WIX_", "PUSH_"))
        }
        env.update(
            GOOGLE_CLOUD_PROJECT=c.project,
            PUBSUB_EMULATOR_HOST=c.emulator_host,
            PUBSUB_TOPIC=self.topology.topic,
            PYTHONUNBUFFERED="1",
            HOST="127.0.0.1",
        )
        env.update(c.extra_env)
        return env

    def ingest_env(self) -> dict[str, str]:
        c = self.config
        env = self.base_env()
        env.update(
            PORT=str(c.ingest_port),
            STRIPE_WEBHOOK_SECRET=",".join(
                filter(None, (c.webhook_secret, c.stripe_endpoint_secret))
            ),
            STRIPE_SECRET_KEY=c.stripe_secret_key,
            ALLOWED_ORIGINS=f"{c.page_origins},{c.checkout_origins}",
            CATALOG=c.catalog,
            WEB_CONCURRENCY=str(c.ingest_workers),
        )
        if c.stripe_api_base or c.uses_stripe_standin:
            env["STRIPE_API_BASE"] = c.stripe_api_base or c.stripe_standin_url
        return env

    def writer_env(self) -> dict[str, str]:
        c = self.config
        env = self.base_env()
        env.update(
            PORT=str(c.writer_port),
            WIX_API_KEY=c.wix_api_key,
            WIX_SITE_ID=c.wix_site_id,
            WIX_API_BASE=c.standin_url,
            WIX_COLLECTION_ID=c.collection_id,
            PUBSUB_DEAD_LETTER_TOPIC=self.topology.dead_letter_topic,
            PUBSUB_DEAD_LETTER_SUBSCRIPTION=self.topology.dead_letter_subscription,
            PUSH_AUTH="disabled",
            WEB_CONCURRENCY=str(c.writer_workers),
            GUNICORN_THREADS=str(c.writer_threads),
            WIX_READS_PER_MINUTE=str(c.wix_reads_per_minute),
            WIX_WRITES_PER_MINUTE=str(c.wix_writes_per_minute),
        )
        return env

    def checkout_env(self) -> dict[str, str]:
        c = self.config
        env = self.base_env()
        env.update(
            PORT=str(c.checkout_port),
            CHECKOUT_INGEST_URL=c.ingest_url,
            STRIPE_PUBLISHABLE_KEY=c.stripe_publishable_key,
            CHECKOUT_PRODUCT=next(iter(json.loads(c.catalog)), ""),
            CHECKOUT_STRIPE_STANDIN_URL=c.stripe_standin_url if c.uses_stripe_standin else "",
            CHECKOUT_COLLECTION_URL=f"{c.standin_url}/",
            WEB_CONCURRENCY="1",
        )
        return env

    def standin_env(self) -> dict[str, str]:
        c = self.config
        env = self.base_env()
        env.update(
            PORT=str(c.standin_port),
            WIX_API_KEY=c.wix_api_key,
            WIX_SITE_ID=c.wix_site_id,
            WIX_STANDIN_DB=str((c.state_dir / "wix.sqlite3").resolve()),
            WEB_CONCURRENCY="1",
            GUNICORN_THREADS="16",
        )
        return env

    # lifecycle -----------------------------------------------------------------------------
    def gunicorn(self, name: str, app: str, env: dict[str, str], url: str) -> processes.Service:
        service = processes.start_gunicorn(name, app, url, env, self.log_dir)
        self.services[name] = service
        self.write_state()  # at once: `make stop` finds it whatever happens next
        return service

    def start(self, progress: Callable[[str], None] | None = None) -> None:
        """Start everything, in dependency order; `progress` hears each step as it begins (the
        first start takes a while: the emulator's JVM, five gunicorns)."""
        c = self.config
        c.state_dir.mkdir(parents=True, exist_ok=True)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("Pub/Sub emulator (java)", self._start_emulator),
            ("Wix stand-in", self.start_standin),
            ("writer", self.start_writer),
            ("topics and subscriptions", self.create_topology),
        ]
        if c.push_delivery == "concurrent":
            steps.append(("push deliverer (Cloud's concurrent push)", self.start_push_deliverer))
        steps.append(("the Payments collection", self.setup_collection))
        if c.uses_stripe_standin:
            steps.append(("Stripe stand-in", self.start_stripe_standin))
            steps.append(("ingest's webhook endpoint at Stripe", self.register_stripe_webhook))
        steps += [("ingest", self.start_ingest), ("checkout page", self.start_checkout)]
        try:
            for number, (what, step) in enumerate(steps, 1):
                if progress:
                    progress(f"  [{number}/{len(steps)}] {what}…")
                step()
        except BaseException:
            self.stop()
            raise
        self.ready = True
        self.write_state()

    def _start_emulator(self) -> None:
        self.services["pubsub-emulator"] = emulator.start_emulator(
            self.config.emulator_port, self.log_dir
        )
        self.write_state()

    @property
    def topology(self) -> emulator.Topology:
        return emulator.Topology(project=self.config.project)

    @property
    def push_endpoint(self) -> str:
        return f"{self.config.writer_url}/pubsub/push"

    def create_topology(self) -> None:
        """Topics and subscriptions, the writer's one included (again, if deleted): a push
        subscription for the emulator's own push, a pull one for the deliverer."""
        emulator.create_topology(
            self.config.emulator_host,
            self.topology,
            push_endpoint=self.push_endpoint if self.config.push_delivery == "emulator" else None,
        )

    def start_push_deliverer(self, concurrency: int = 64) -> processes.Service:
        """Deliver the writer's subscription as Cloud does (devstack/push_deliverer.py)."""
        env = self.base_env()
        env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
        service = processes.start(
            "push-deliverer",
            [
                sys.executable,
                "-m",
                "devstack.push_deliverer",
                self.config.project,
                self.topology.push_subscription,
                self.push_endpoint,
                f"--dead-letter-topic={self.topology.dead_letter_topic}",
                f"--concurrency={concurrency}",
            ],
            self.push_endpoint,
            env,
            self.log_dir,
        )
        self.services["push-deliverer"] = service
        self.write_state()  # at once: `make stop` finds it whatever happens next
        return service

    def use_push_deliverer(self, concurrency: int = 64) -> None:
        """From the emulator's own push to concurrent delivery: the subscription becomes a pull
        one for the deliverer. One way only: once a streaming pull has been attached, the
        emulator (0.8.20) no longer pushes that subscription when given a push config again."""
        emulator.set_push_endpoint(self.config.emulator_host, self.topology, None)
        self.config.push_delivery = "concurrent"
        if "push-deliverer" not in self.services:
            self.start_push_deliverer(concurrency)

    def start_standin(self) -> processes.Service:
        return self.gunicorn(
            "wix-standin",
            "devstack.wix_standin:create_standin_from_env()",
            self.standin_env(),
            self.config.standin_url,
        )

    def start_writer(self) -> processes.Service:
        return self.gunicorn(
            "writer", "writer.app:create_app_from_env()", self.writer_env(), self.config.writer_url
        )

    def start_stripe_standin(self) -> processes.Service:
        env = self.base_env()
        env.update(
            PORT=str(self.config.stripe_standin_port),
            STRIPE_STANDIN_API_KEYS=self.config.stripe_secret_key,
            WEB_CONCURRENCY="1",  # its state is in memory: one worker, many threads
            GUNICORN_THREADS="16",
        )
        return self.gunicorn(
            "stripe-standin",
            "devstack.stripe_standin:create_stripe_standin_from_env()",
            env,
            self.config.stripe_standin_url,
        )

    def register_stripe_webhook(self) -> None:
        """As deploy.md registers ingest's endpoint with Stripe: the stand-in then delivers its
        events to ingest, signed with the endpoint's secret, which ingest is given."""
        from devstack.bridge_env import register_webhook_endpoint

        self.config.stripe_endpoint_secret = register_webhook_endpoint(self.config)

    def start_ingest(self) -> processes.Service:
        return self.gunicorn(
            "ingest", "ingest.app:create_app_from_env()", self.ingest_env(), self.config.ingest_url
        )

    def start_checkout(self) -> processes.Service:
        return self.gunicorn(
            "checkout-page",
            "devstack.checkout_page:create_checkout_page_from_env()",
            self.checkout_env(),
            self.config.checkout_url,
        )

    def setup_collection(self) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "writer", "setup-collection"],
            env=self.writer_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode not in (0, 1):
            raise RuntimeError(f"setup-collection failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def stop(self) -> None:
        # Callers before what they call, in waves; the services of a wave stop together, since
        # each gunicorn takes a second or more to stop gracefully.
        waves = [
            [self.services.pop(name) for name in wave if name in self.services]
            for wave in STOP_WAVES
        ]
        waves.append(list(self.services.values()))
        self.services.clear()
        for wave in waves:
            if len(wave) > 1:
                with ThreadPoolExecutor(len(wave)) as pool:
                    list(pool.map(processes.Service.stop, wave))
            elif wave:
                wave[0].stop()
        state = self.config.state_dir / STATE_FILE
        if state.exists():
            state.unlink()

    # The Wix stand-in, for tests and benchmarks --------------------------------------------
    def records(self) -> dict[str, dict[str, Any]]:
        return samples.fetch_records(self.config.standin_url, self.config.collection_id, 60)

    def wait_for_records(
        self, expected: Mapping[str, samples.Expectation], timeout: float = 30
    ) -> dict[str, dict[str, Any]]:
        return samples.wait_for_records(
            self.config.standin_url, self.config.collection_id, expected, timeout
        )

    def wix_stats(self) -> dict[str, Any]:
        return samples.wix_stats(self.config.standin_url, 60)

    def set_wix_faults(self, **plan: Any) -> None:
        samples.set_wix_faults(self.config.standin_url, **plan)

    def write_state(self) -> None:
        """The stack's settings and processes, for `send`, `env` and `stop`. Each process is
        recorded with its start time, so that `stop` never signals a pid the kernel reused."""
        state = asdict(self.config)
        state["state_dir"] = str(self.config.state_dir)
        state["ready"] = self.ready
        state["pids"] = {name: s.pid for name, s in self.services.items()}
        state["processes"] = {
            name: {"pid": s.pid, "started": s.started} for name, s in self.services.items()
        }
        state["owner"] = {"pid": os.getpid(), "started": processes.start_time(os.getpid())}
        path = self.config.state_dir / STATE_FILE
        # Written whole, then renamed: a reader never sees half a file.
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(state, indent=2))
        partial.replace(path)


def load_state(state_dir: Path) -> StackConfig:
    path = state_dir / STATE_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"no running stack found ({path} missing): start it with `make run`"
        )
    data = json.loads(path.read_text())
    if data.get("ready") is False:
        raise FileNotFoundError(
            "the stack is still starting: wait until `make run` prints `local stack is up`"
        )
    for key in ("pids", "processes", "owner", "ready"):
        data.pop(key, None)
    data["state_dir"] = Path(data["state_dir"])
    return StackConfig(**data)
