"""The Pub/Sub emulator (the Java one shipped with the Google Cloud SDK) and our topology on it.

The java process is started directly, not through `gcloud beta emulators`, whose wrapper leaves
java running when killed.
"""

from __future__ import annotations

import glob
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from devstack import processes

JAR_GLOBS = (
    "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar",
    "/usr/share/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar",
    os.path.expanduser(
        "~/google-cloud-sdk/platform/pubsub-emulator/lib/cloud-pubsub-emulator-*-all.jar"
    ),
)


def find_jar() -> str:
    override = os.environ.get("PUBSUB_EMULATOR_JAR")
    if override:
        return override
    for pattern in JAR_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[-1]
    raise FileNotFoundError(
        "Pub/Sub emulator jar not found; install it with "
        "`gcloud components install pubsub-emulator` (or apt: google-cloud-cli-pubsub-emulator), "
        "or set PUBSUB_EMULATOR_JAR"
    )


def start_emulator(port: int, log_dir: Path | None = None) -> processes.Service:
    java = shutil.which("java")
    if not java:
        raise FileNotFoundError("java not found: the Pub/Sub emulator needs Java 11+")
    service = processes.start(
        "pubsub-emulator",
        [java, "-jar", find_jar(), "--host=127.0.0.1", f"--port={port}"],
        f"http://127.0.0.1:{port}",
        env=os.environ,
        log_dir=log_dir,
    )
    processes.wait_http(service, "/", timeout=60)
    return service


@dataclass(frozen=True)
class Topology:
    project: str
    topic: str = "stripe-payments"
    dead_letter_topic: str = "stripe-payments-dead-letter"
    dead_letter_subscription: str = "stripe-payments-dead-letter-sub"
    push_subscription: str = "stripe-payments-writer"


def create_topology(emulator_host: str, topology: Topology, push_endpoint: str | None) -> None:
    """Topics, the dead-letter pull subscription and the writer's ordered subscription: pushed
    to `push_endpoint` by the emulator, or, with None, pulled (by devstack/push_deliverer.py)."""
    os.environ["PUBSUB_EMULATOR_HOST"] = emulator_host
    from google.api_core import exceptions
    from google.cloud import pubsub_v1
    from google.protobuf import duration_pb2

    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(topology.project, topology.topic)
    dead_letter_topic = publisher.topic_path(topology.project, topology.dead_letter_topic)
    for path in (topic, dead_letter_topic):
        try:
            publisher.create_topic(request={"name": path})
        except exceptions.AlreadyExists:
            pass
    push: dict[str, object] = {
        "name": subscriber.subscription_path(topology.project, topology.push_subscription),
        "topic": topic,
        "push_config": {"push_endpoint": push_endpoint} if push_endpoint else {},
        "ack_deadline_seconds": 30,
        "enable_message_ordering": True,
        # No dead-letter policy, unlike Cloud (Terraform's): the emulator neither forwards an
        # exhausted message to the dead-letter topic nor survives it; its ordered push would
        # stop for every payment. Without one it redelivers until the writer acknowledges.
        "retry_policy": {
            "minimum_backoff": duration_pb2.Duration(seconds=1),
            "maximum_backoff": duration_pb2.Duration(seconds=10),
        },
    }
    requests_ = [
        {
            "name": subscriber.subscription_path(
                topology.project, topology.dead_letter_subscription
            ),
            "topic": dead_letter_topic,
            "ack_deadline_seconds": 60,
        },
        push,
    ]
    for request in requests_:
        try:
            subscriber.create_subscription(request=request)
        except exceptions.AlreadyExists:
            pass
    subscriber.close()


def set_push_endpoint(emulator_host: str, topology: Topology, push_endpoint: str | None) -> None:
    """Make the writer's subscription a push one to `push_endpoint`, or (None) a pull one."""
    os.environ["PUBSUB_EMULATOR_HOST"] = emulator_host
    from google.cloud import pubsub_v1

    subscriber = pubsub_v1.SubscriberClient()
    path = subscriber.subscription_path(topology.project, topology.push_subscription)
    config = {"push_endpoint": push_endpoint} if push_endpoint else {}
    subscriber.modify_push_config(request={"subscription": path, "push_config": config})
    subscriber.close()
