#!/usr/bin/python
# Copyright (c) 2026 kuma.universal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: dataplane_proxies
short_description: Run a host's kuma-dp proxies (files and systemd instances of kuma-dp@) in one task
version_added: 0.1.0
description:
  - The host side of the P(kuma.universal.sidecar#role) role, for every proxy of a host at once. One module run
    checks and converges what a loop of C(file), C(copy), C(template) and C(systemd_service) tasks per proxy
    would, so that a converged host costs one task whatever the number of proxies.
  - With O(step=prune), proxies installed on the host that are not in O(proxies) are stopped, disabled and their
    files removed (environment file, token, work directory); then the current tokens of the wanted proxies are
    read and returned, for M(kuma.universal.dataplane_tokens).
  - With O(step=converge), the template unit O(unit_path), the CA file, and per proxy its token file (mode 0600,
    owned by O(user)), its work directory and its environment file are checked and written where they differ;
    then every C(kuma-dp@<name>) is enabled and running, restarted when its environment, the unit, the CAs (unless only added to) or
    (with O(restart_on_new_token)) its token changed.
  - With O(step=read), changes nothing, in check mode or not. It returns what O(step=prune) would remove and the
    current tokens (as O(step=prune) in check mode), and whether O(step=converge) with the same options would change
    anything (RV(converged)), a token counted as kept where O(proxies) gives none. One module run tells whether a
    host already runs what it should (the sidecar role then skips its converge step). Given a snapshot of the host
    taken earlier in the run (O(snapshot)), the read runs in the controller against it instead.
author:
  - kuma.universal contributors (@kuma-universal)
extends_documentation_fragment:
  - kuma.universal.attributes.HOST_MODULE
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads and compares everything; writes, removals and systemctl calls that change state are skipped.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details:
      - Environment files, the units, the CA file and the edges' configurations as before/after text; a token or an
        edge's TLS key only as a line saying it changes.
  idempotent:
    description: When run twice in a row with the same arguments, the second run reports no change.
    support: full
options:
  step:
    description:
      - V(prune) removes what left O(proxies) and returns the current tokens (RV(tokens)).
      - V(converge) makes the host run O(proxies).
      - V(read) does both in check mode, in one run (RV(converged)).
    type: str
    choices: [prune, converge, read]
    default: converge
  proxies:
    description: The proxies the host must run (from the P(kuma.universal.sidecar#role) role's plan).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Dataplane name; also the systemd instance, environment file, token file and work directory name.
        type: str
        required: true
      mesh:
        description: Mesh of the Dataplane.
        type: str
        default: default
      readiness_port:
        description: kuma-dp readiness port (C(KUMA_READINESS_PORT)); with O(step=converge), required.
        type: int
      description:
        description: A comment line for the environment file.
        type: str
      token:
        description:
          - A new token to write (a dataplane token, or a zone token for a zone proxy); omit to keep the token file
            on the host.
        type: str
      proxy_type:
        description:
          - V(dataplane) (a sidecar - its Dataplane is registered through the API beforehand, and kuma-dp gets only its
            name and mesh), or a zone proxy of a multizone deployment, V(ingress) or V(egress) (Kuma 2.x
            C(kuma-dp run --proxy-type) with the O(proxies[].resource) it registers itself when it connects).
        type: str
        choices: [dataplane, ingress, egress]
        default: dataplane
      resource:
        description:
          - With O(proxies[].proxy_type=ingress) or V(egress), required - the C(ZoneIngress) or C(ZoneEgress) entity
            (C(type), C(name) equal to O(proxies[].name), C(networking)), written into the environment file as
            C(KUMA_DATAPLANE_RUNTIME_RESOURCE) (one line of JSON). O(proxies[].mesh) is not used then.
        type: dict
      env:
        description:
          - Settings of this proxy only, written after O(env) (a name given in both takes this value), for example
            C(KUMA_DP_ARGS) for the flags the P(kuma.universal.sidecar#role) role's unit passes to C(kuma-dp run).
        type: dict
      edge:
        description:
          - The Envoy edge of a gateway (the P(kuma.universal.sidecar#role) role's C(kuma_sidecars[].gateway) with
            C(edge=envoy)), run as C(kuma-edge@<name>) beside the proxy's C(kuma-dp@<name>). Its files are
            C(<config_dir>/edge/<name>.json) (0640, group O(user)), C(.crt) (0644) and C(.key) (0600, owned by
            O(user)). A changed configuration is checked by C(envoy --mode validate) before it replaces the one
            in use; the edge restarts when one of its files or O(edge_unit) changed.
          - With O(step=prune), an installed edge whose proxy left (or, with O(prune=false), whose wanted proxy has
            no O(proxies[].edge) any more) is stopped, disabled and its files removed.
        type: dict
        suboptions:
          config:
            description: The static Envoy configuration (JSON text; the role's filter C(kuma.universal.sidecar_proxies) makes it).
            type: str
            required: true
          certificate:
            description: PEM certificate chain the edge presents to clients (TLS terminated at the edge).
            type: str
          key:
            description: PEM private key of O(proxies[].edge.certificate); never shown (a diff says only that it changes).
            type: str
  env:
    description:
      - Settings every proxy gets (C(KUMA_*) name to value), written into each environment file before the
        per-proxy ones (name, mesh, token path, work directory, readiness port).
    type: dict
    default: {}
  prune:
    description: With O(step=prune), stop and remove the proxies that are not in O(proxies); V(false) only reads.
    type: bool
    default: true
  prune_types:
    description:
      - With O(step=prune), the kinds of installed proxies that may be removed - V(dataplane) (sidecars), V(ingress)
        and V(egress) (zone proxies; an environment file with C(KUMA_DATAPLANE_PROXY_TYPE), or for a zone proxy that is a
        Dataplane listener C(ZONE_PROXY_LISTENER), tells them apart).
      - The P(kuma.universal.sidecar#role) role leaves out V(dataplane) when C(kuma_sidecars) is undefined, and the
        zone proxy kinds when C(kuma_zone_proxies) is undefined, so that a missing variable leaves those proxies alone.
    type: list
    elements: str
    choices: [dataplane, ingress, egress]
    default: [dataplane, ingress, egress]
  config_dir:
    description: Directory of the environment files and C(ca.crt).
    type: path
    default: /etc/kuma/dp
  tokens_dir:
    description:
      - Directory of the token files, one per proxy (C(<tokens_dir>/<name>/token), 0600, owned by O(user), in a
        directory of its own that the unit shows to that proxy alone). A file C(<tokens_dir>/<name>) (the earlier
        layout) is moved there.
      - Default C(<config_dir>/tokens).
    type: path
  work_root:
    description: Parent of the per-proxy work directories.
    type: path
    default: /var/lib/kuma-dp
  user:
    description: System user of every kuma-dp (owner of tokens and work directories).
    type: str
    default: kuma-dp
  unit:
    description: Content of the template unit; omit to leave O(unit_path) alone.
    type: str
  unit_path:
    description: Path of the template unit.
    type: path
    default: /etc/systemd/system/kuma-dp@.service
  ca_cert:
    description:
      - PEM of the CAs kuma-dp trusts, written to O(config_dir)/ca.crt; omit to leave it alone.
      - A change restarts every proxy, unless it only adds CAs to those the file had (the start of a CA roll - a
        running Envoy keeps the CAs it started with, and the control planes still chain to them).
    type: str
  restart_on_new_token:
    description: Restart a proxy whose token file changed.
    type: bool
    default: true
  required_paths:
    description: Files that must exist before anything is written (for example the kuma-dp and Envoy binaries).
    type: list
    elements: path
    default: []
  edge_unit:
    description: Content of the edge template unit written to O(edge_unit_path) when some proxy has an edge.
    type: str
  edge_unit_path:
    description: Path of the C(kuma-edge@) template unit.
    type: path
    default: /etc/systemd/system/kuma-edge@.service
  edge_envoy:
    description: The Envoy binary that checks a new edge configuration (C(--mode validate)).
    type: path
    default: /opt/kuma/current/bin/envoy
  snapshot:
    description:
      - With O(step=read), a snapshot of the host taken earlier in the run (C(dp_snapshot) of
        M(kuma.universal.install_probe), with the same O(config_dir), O(tokens_dir), O(work_root) and units). The read
        then runs in the controller against it (the module's action plugin), with no module run on the host.
      - Set aside, and the host read, when it is older than O(snapshot_max_age) or cannot answer for certain - a path
        it did not read (other directories than it was taken with), a symbolic link on the way, a file it holds
        without its content (too large, not text), a user it did not record. RV(read_from) says which.
      - Never sent to the host. A secret (it holds the token files).
    type: dict
  snapshot_max_age:
    description: Seconds after the snapshot was taken (its C(read_at), the controller's clock) it still stands for the host.
    type: int
    default: 300
notes:
  - Stopping a proxy waits for its Envoy to drain (the unit's C(TimeoutStopSec)); several stale proxies stop together.
seealso:
  - module: kuma.universal.dataplane_tokens
  - module: kuma.universal.dataplanes
"""

EXAMPLES = r"""
- name: Stop and remove the proxies that left the list, read the current tokens
  kuma.universal.dataplane_proxies:
    step: prune
    proxies: [{name: redis-0}, {name: redis-1}]
  register: current
  no_log: true  # the result holds the tokens

- name: Run the proxies
  kuma.universal.dataplane_proxies:
    unit: "{{ lookup('ansible.builtin.template', 'kuma-dp@.service.j2') }}"
    ca_cert: "{{ ca_pem }}"
    env:
      KUMA_CONTROL_PLANE_URL: https://cp.example:5678
      KUMA_CONTROL_PLANE_CA_CERT_FILE: /etc/kuma/dp/ca.crt
    proxies:
      - name: redis-0
        readiness_port: 9902
      - name: redis-1
        readiness_port: 9903
"""

RETURN = r"""
read_from:
  description: With O(step=read), V(snapshot) when the read ran against O(snapshot), V(host) when it read the host.
  returned: step=read
  type: str
  sample: snapshot
tokens:
  description: With O(step=prune), the token file content of each wanted proxy that has one (a secret - use C(no_log)).
  returned: step=prune or step=read
  type: dict
converged:
  description:
    - With O(step=read), whether the host already runs O(proxies) as O(step=converge) would leave it (files,
      units, running and enabled instances, edges); true without O(proxies). The prune is not counted (RV(pruned)).
  returned: step=read
  type: bool
installed:
  description: The proxies found on the host before the run (environment files and loaded C(kuma-dp@) units).
  returned: step=prune
  type: list
  elements: str
pruned:
  description: The proxies stopped and removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
pruned_meshes:
  description: The meshes of the pruned proxies, read from their environment files.
  returned: always
  type: list
  elements: str
pruned_edges:
  description: With O(step=prune), the edges (C(kuma-edge@<name>)) stopped and removed, by proxy name.
  returned: step=prune
  type: list
  elements: str
restarted:
  description:
    - The running proxies restarted because their settings, token, the unit or the CA changed (or that would be).
    - Restarted edges as C(kuma-edge@<name>).
  returned: step=converge
  type: list
  elements: str
started:
  description: The proxies that were not running and were started (or would be), new ones included.
  returned: step=converge
  type: list
  elements: str
files:
  description: The files and directories written or fixed (or that would be).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kuma.universal.plugins.module_utils._proxies_checks import ARGUMENT_SPEC
from ansible_collections.kuma.universal.plugins.module_utils._proxies_host import Host, run_step


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    result = run_step(Host(module))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
