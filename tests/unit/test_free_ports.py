"""devstack.processes.free_ports: ports for a whole stack, chosen at once."""

from __future__ import annotations

import socket

from devstack.processes import free_ports


def test_ports_chosen_together_are_all_different_and_bindable():
    ports = free_ports(6)
    assert len(set(ports)) == 6
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
