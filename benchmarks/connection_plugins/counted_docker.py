# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark instrument, not part of the collection: community.docker.docker that also records
the size of every file it puts on a host, so that bench_rollout.py can report the bytes each
host was sent (issue 23 item 3). The transfer itself is the parent's, unchanged."""

from __future__ import annotations

DOCUMENTATION = r"""
name: counted_docker
short_description: community.docker.docker, recording the bytes of each file put on a host
description:
  - Appends C(<host> <bytes> <local path>) to the file named by C(BENCH_PUT_LOG) for every put_file.
author:
  - kuma.universal contributors (@kuma-universal)
options:
  remote_addr:
    description: The container.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_docker_host
  remote_user:
    description: The user in the container.
    vars:
      - name: ansible_user
      - name: ansible_docker_user
  docker_extra_args:
    description: Extra arguments to docker.
    default: ""
    vars:
      - name: ansible_docker_extra_args
  container_timeout:
    description: Seconds to wait for the container.
    default: 10
    type: integer
    vars:
      - name: ansible_docker_timeout
  extra_env:
    description: Extra environment for commands.
    type: dict
    vars:
      - name: ansible_docker_extra_env
  working_dir:
    description: Working directory of commands.
    type: string
    vars:
      - name: ansible_docker_working_dir
  privileged:
    description: Run commands privileged.
    type: bool
    default: false
    vars:
      - name: ansible_docker_privileged
"""

import os

from ansible_collections.community.docker.plugins.connection.docker import Connection as DockerConnection


class Connection(DockerConnection):
    transport = "counted_docker"

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        log = os.environ.get("BENCH_PUT_LOG")
        if log:
            line = "%s %d %s\n" % (self.get_option("remote_addr"), os.path.getsize(in_path), in_path)
            with open(log, "a") as out:
                out.write(line)
