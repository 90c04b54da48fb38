import type { ClientTlsMode, DestinationRule } from '../kube/destinationrules';
import type { MtlsMode, PeerAuthentication } from '../kube/peerauthentications';

/**
 * mTLS as configured, for the mesh and for one namespace.
 *
 * Which objects apply follows istiod (pilot/pkg/model/authentication.go, pilot/pkg/security/authn ComposePeerAuthentication):
 * - a PeerAuthentication without a selector, or with empty matchLabels, is namespace-wide, or mesh-wide in the root namespace;
 * - when several exist in one namespace the oldest wins (ties: by name);
 * - UNSET inherits: workload ← namespace ← mesh; an UNSET mesh policy runs as PERMISSIVE, and so does no policy at all;
 * - portLevelMtls is honoured only on workload (selector) policies, and selector policies in the root namespace are ignored.
 *
 * The verdict is Kiali's (util/mtls/status.go finalStatus and OverallMtlsStatus, as Kiali composes a namespace with the
 * mesh): a DestinationRule counts as namespace-wide only with host `*.<ns>.svc.<domain>`, as mesh-wide only with host
 * `*.local`, and only when it sets `trafficPolicy.tls`. Where Kiali picks the first object of a list, this picks the one
 * istiod applies (the oldest), and reports the others as conflicts.
 */

export type KialiMtlsStatus = 'MTLS_ENABLED' | 'MTLS_PARTIALLY_ENABLED' | 'MTLS_NOT_ENABLED' | 'MTLS_DISABLED';

/** A mode that decides what a sidecar accepts (UNSET is resolved away). */
export type ServerMtlsMode = Exclude<MtlsMode, 'UNSET'>;

export type MtlsObjectKind = 'PeerAuthentication' | 'DestinationRule';

/** Enough to name and link an object. */
export type ObjectRef = { kind: MtlsObjectKind; namespace: string; name: string };

export type ServerSide = {
  /** the mode set by configuration; undefined when nothing sets one ("Not set") */
  mode: ServerMtlsMode | undefined;
  /** what sidecars enforce: `mode`, or PERMISSIVE when nothing sets one */
  runtimeMode: ServerMtlsMode;
  /** the level whose PeerAuthentication set the mode; 'default' when none did */
  scope: 'namespace' | 'mesh' | 'default';
  /** the PeerAuthentication that set the mode */
  policy?: ObjectRef;
  /** selector-less policies on the way that leave the mode UNSET (or have no mtls) and so defer: the namespace's, then the mesh's */
  unsetPolicies: ObjectRef[];
};

export type ClientSide =
  /** a namespace- or mesh-wide DestinationRule's `trafficPolicy.tls.mode` decides what clients originate */
  | { source: 'destination-rule'; scope: 'namespace' | 'mesh'; tlsMode: ClientTlsMode; rule: ObjectRef; mtls: boolean }
  /** no such DestinationRule: with auto-mTLS, client sidecars send mTLS to sidecars unless the server side is DISABLE */
  | { source: 'auto-mtls'; mtls: boolean }
  /** no such DestinationRule and auto-mTLS is off: clients send plaintext */
  | { source: 'none'; mtls: false };

/** A policy that makes some workloads, or some ports, run another mode than their parent level. */
export type MtlsOverride = {
  scope: 'namespace' | 'workload' | 'port';
  policy: ObjectRef;
  /** the workload selector (scope workload and port) */
  selector?: Record<string, string>;
  port?: number;
  declaredMode?: MtlsMode;
  /** the mode that runs there, after inheritance */
  mode: ServerMtlsMode;
  /** the mode of the level it overrides: the namespace (or mesh) for a workload, the workload for a port */
  parentMode: ServerMtlsMode;
  effect: 'weakens' | 'strengthens';
};

export type MtlsConflictCode =
  /** several selector-less PeerAuthentications in one namespace (or in the root namespace): the oldest wins */
  | 'multiple-scope-policies'
  /** several workload PeerAuthentications select the same workloads: the oldest wins for them */
  | 'overlapping-workload-policies'
  /** a PeerAuthentication with a selector in the root namespace: istiod ignores it */
  | 'ignored-root-workload-policy'
  /** several DestinationRules for the same wildcard host set TLS: the one listed as winner counts */
  | 'multiple-destination-rules'
  /** what clients originate does not fit what servers accept, so sidecar-to-sidecar connections fail */
  | 'tls-mismatch';

export type MtlsConflict = { code: MtlsConflictCode; message: string; winner?: ObjectRef; objects: ObjectRef[] };

export type MtlsStatusResult = {
  scope: 'mesh' | 'namespace';
  /** the namespace evaluated; the root namespace for the mesh */
  namespace: string;
  status: KialiMtlsStatus;
  /** the namespace sets no mode of its own: its server side comes from the mesh */
  inherited: boolean;
  server: ServerSide;
  client: ClientSide;
  autoMtls: boolean;
  /** the objects that decided the result: server side first, then client side */
  decidedBy: ObjectRef[];
  overrides: MtlsOverride[];
  conflicts: MtlsConflict[];
};

export type MeshMtlsInput = {
  rootNamespace: string;
  /** any set of PeerAuthentications; those outside the root namespace only show as namespace overrides */
  peerAuthentications: readonly PeerAuthentication[];
  /** DestinationRules of every namespace (Kiali looks for the wildcard hosts in all of them) */
  destinationRules: readonly DestinationRule[];
  /** meshConfig.enableAutoMtls, true unless set to false */
  autoMtls: boolean;
};

export type NamespaceMtlsInput = MeshMtlsInput & {
  namespace: string;
  /** the cluster's DNS domain, e.g. cluster.local */
  clusterDomain: string;
};

export const MESH_WIDE_HOST = '*.local';
export const namespaceWideHost = (namespace: string, clusterDomain: string) => `*.${namespace}.svc.${clusterDomain}`;

const MODE_STRENGTH: Record<ServerMtlsMode, number> = { DISABLE: 0, PERMISSIVE: 1, STRICT: 2 };

const ref = (kind: MtlsObjectKind, object: PeerAuthentication | DestinationRule): ObjectRef => ({
  kind,
  namespace: object.metadata.namespace ?? '',
  name: object.metadata.name,
});
const paRef = (pa: PeerAuthentication) => ref('PeerAuthentication', pa);
const drRef = (dr: DestinationRule) => ref('DestinationRule', dr);
export const formatRef = (r: ObjectRef) => `${r.namespace}/${r.name}`;

const isSetMode = (mode: MtlsMode | undefined): mode is ServerMtlsMode => mode !== undefined && mode !== 'UNSET';

function selectorLabels(pa: PeerAuthentication): Record<string, string> {
  return pa.spec?.selector?.matchLabels ?? {};
}

/** istiod's rule: no selector, or one with empty matchLabels, covers the whole namespace. */
export function isScopeWide(pa: PeerAuthentication): boolean {
  return Object.keys(selectorLabels(pa)).length === 0;
}

/** Byte order, like Go's strings.Compare. */
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Oldest first; equal creation times (they have second precision) by name, then namespace, as istiod orders config. */
export function byAge<T extends PeerAuthentication | DestinationRule>(a: T, b: T): number {
  const time = (o: T) => {
    const parsed = Date.parse(o.metadata.creationTimestamp ?? '');
    return Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
  };
  return time(a) - time(b) || compareStrings(a.metadata.name, b.metadata.name) || compareStrings(a.metadata.namespace ?? '', b.metadata.namespace ?? '');
}

const inNamespace = <T extends PeerAuthentication | DestinationRule>(objects: readonly T[], namespace: string) =>
  objects.filter((o) => o.metadata.namespace === namespace);

/** The selector-less policy istiod applies in a namespace, and a conflict when others are ignored. */
function scopePolicy(pas: readonly PeerAuthentication[], namespace: string) {
  const candidates = inNamespace(pas, namespace).filter(isScopeWide).sort(byAge);
  const [winner, ...ignored] = candidates;
  const conflicts: MtlsConflict[] = [];
  if (winner && ignored.length > 0) {
    conflicts.push({
      code: 'multiple-scope-policies',
      message: `${candidates.length} selector-less PeerAuthentications in ${namespace}: Istio applies the oldest, ${formatRef(paRef(winner))}, and ignores ${ignored.map((pa) => formatRef(paRef(pa))).join(', ')}`,
      winner: paRef(winner),
      objects: candidates.map(paRef),
    });
  }
  return { policy: winner, conflicts };
}

/** `tls: {}` is DISABLE (the proto default); a rule without `tls` does not count, as in Kiali. */
function tlsModeOf(dr: DestinationRule): ClientTlsMode | undefined {
  const tls = dr.spec?.trafficPolicy?.tls;
  return tls ? (tls.mode ?? 'DISABLE') : undefined;
}

/**
 * The DestinationRule with this wildcard host that sets TLS. Kiali accepts it from any namespace; this prefers the
 * namespace `preferred` (the namespace's own, whose rules are exported to every client), then the root namespace, then
 * the oldest.
 */
function wildcardRule(drs: readonly DestinationRule[], host: string, preferred: string, rootNamespace: string) {
  const rank = (dr: DestinationRule) => (dr.metadata.namespace === preferred ? 0 : dr.metadata.namespace === rootNamespace ? 1 : 2);
  const candidates = drs.filter((dr) => dr.spec?.host === host && tlsModeOf(dr) !== undefined).sort((a, b) => rank(a) - rank(b) || byAge(a, b));
  const [winner, ...others] = candidates;
  const conflicts: MtlsConflict[] = [];
  if (winner && others.some((dr) => tlsModeOf(dr) !== tlsModeOf(winner))) {
    conflicts.push({
      code: 'multiple-destination-rules',
      message: `${candidates.length} DestinationRules for host ${host} set different TLS modes: ${candidates.map((dr) => `${formatRef(drRef(dr))} ${tlsModeOf(dr)}`).join(', ')}; ${formatRef(drRef(winner))} counts here`,
      winner: drRef(winner),
      objects: candidates.map(drRef),
    });
  }
  return { rule: winner, conflicts };
}

function clientSide(rule: { dr: DestinationRule; scope: 'namespace' | 'mesh' } | undefined, autoMtls: boolean, server: ServerMtlsMode): ClientSide {
  if (rule) {
    const tlsMode = tlsModeOf(rule.dr)!;
    return { source: 'destination-rule', scope: rule.scope, tlsMode, rule: drRef(rule.dr), mtls: tlsMode === 'ISTIO_MUTUAL' || tlsMode === 'MUTUAL' };
  }
  return autoMtls ? { source: 'auto-mtls', mtls: server !== 'DISABLE' } : { source: 'none', mtls: false };
}

// ---- Kiali's verdict, on the mode strings it compares ('' = not defined) ----

type KialiTls = { dr: string; pa: string; overall: KialiMtlsStatus };

function kialiFinalStatus(dr: string, pa: string, autoMtls: boolean): KialiTls {
  const mtlsEnabled = dr === 'ISTIO_MUTUAL' || dr === 'MUTUAL' || (dr === '' && autoMtls);
  const mtlsDisabled = dr === 'DISABLE' || (dr === '' && autoMtls);
  let overall: KialiMtlsStatus = 'MTLS_PARTIALLY_ENABLED';
  if (pa === 'STRICT' && mtlsEnabled) overall = 'MTLS_ENABLED';
  else if (pa === 'DISABLE' && mtlsDisabled) overall = 'MTLS_DISABLED';
  else if (pa === '' && dr === '') overall = 'MTLS_NOT_ENABLED';
  return { dr, pa, overall };
}

const isDefined = (t: KialiTls) => t.overall === 'MTLS_ENABLED' || t.overall === 'MTLS_DISABLED';

/** Kiali's OverallMtlsStatus: a namespace's own verdict if it is decisive, else what it inherits from the mesh. */
function kialiOverallStatus(ns: KialiTls | undefined, mesh: KialiTls, autoMtls: boolean): KialiMtlsStatus {
  if (ns && isDefined(ns)) return ns.overall;
  if (ns?.overall === 'MTLS_PARTIALLY_ENABLED') {
    return kialiOverallStatus(undefined, kialiFinalStatus(ns.dr || mesh.dr, ns.pa || mesh.pa, autoMtls), autoMtls);
  }
  if (isDefined(mesh)) return mesh.overall;
  if (mesh.pa === '' && mesh.dr === '') return 'MTLS_NOT_ENABLED';
  if ((mesh.pa === 'DISABLE' && mesh.dr === '') || (mesh.dr === 'DISABLE' && mesh.pa === '')) return 'MTLS_DISABLED';
  const halfEnabled = (mesh.pa === 'STRICT' && mesh.dr === '') || ((mesh.dr === 'ISTIO_MUTUAL' || mesh.dr === 'MUTUAL') && mesh.pa === '');
  if (autoMtls && halfEnabled) return 'MTLS_ENABLED';
  return 'MTLS_PARTIALLY_ENABLED';
}

// ---- checks on the composed result ----

function tlsMismatch(server: ServerSide, client: ClientSide, where: string): MtlsConflict[] {
  if (client.source === 'auto-mtls') return [];
  const objects = [server.policy, client.source === 'destination-rule' ? client.rule : undefined].filter((r): r is ObjectRef => r !== undefined);
  const clientText = client.source === 'destination-rule' ? `${formatRef(client.rule)} sets TLS ${client.tlsMode}` : 'auto-mTLS is off and no DestinationRule sets TLS';
  if (server.runtimeMode === 'STRICT' && !client.mtls) {
    return [{ code: 'tls-mismatch', message: `${where} requires mTLS (STRICT) but ${clientText}: sidecar clients are refused`, objects }];
  }
  if (server.runtimeMode === 'DISABLE' && client.mtls) {
    return [{ code: 'tls-mismatch', message: `${where} accepts only plaintext (DISABLE) but ${clientText}: sidecar clients' connections fail`, objects }];
  }
  return [];
}

function override(scope: MtlsOverride['scope'], pa: PeerAuthentication, mode: ServerMtlsMode, parentMode: ServerMtlsMode, declaredMode: MtlsMode | undefined, port?: number): MtlsOverride {
  return {
    scope,
    policy: paRef(pa),
    ...(scope === 'namespace' ? {} : { selector: selectorLabels(pa) }),
    ...(port === undefined ? {} : { port }),
    ...(declaredMode === undefined ? {} : { declaredMode }),
    mode,
    parentMode,
    effect: MODE_STRENGTH[mode] < MODE_STRENGTH[parentMode] ? 'weakens' : 'strengthens',
  };
}

/** Workload and port-level policies of a namespace whose mode differs from their parent's. */
function workloadOverrides(workloadPolicies: readonly PeerAuthentication[], namespaceMode: ServerMtlsMode): MtlsOverride[] {
  return workloadPolicies.flatMap((pa) => {
    const declared = pa.spec?.mtls?.mode;
    const workloadMode = isSetMode(declared) ? declared : namespaceMode;
    const found: MtlsOverride[] = workloadMode === namespaceMode ? [] : [override('workload', pa, workloadMode, namespaceMode, declared)];
    for (const [port, setting] of Object.entries(pa.spec?.portLevelMtls ?? {})) {
      const portMode = isSetMode(setting.mode) ? setting.mode : workloadMode;
      if (portMode !== workloadMode) found.push(override('port', pa, portMode, workloadMode, setting.mode, Number(port)));
    }
    return found;
  });
}

const isSubset = (a: Record<string, string>, b: Record<string, string>) => Object.entries(a).every(([k, v]) => b[k] === v);

/** Two selectors overlap for sure when one's labels are a subset of the other's: every workload the larger one selects has both. */
function overlappingWorkloadPolicies(workloadPolicies: readonly PeerAuthentication[]): MtlsConflict[] {
  return workloadPolicies.flatMap((newer, i) => {
    const older = workloadPolicies.slice(0, i).filter((o) => isSubset(selectorLabels(o), selectorLabels(newer)) || isSubset(selectorLabels(newer), selectorLabels(o)));
    if (older.length === 0) return [];
    const winner = older[0]!;
    return [
      {
        code: 'overlapping-workload-policies' as const,
        message: `${formatRef(paRef(newer))} selects workloads that ${older.map((o) => formatRef(paRef(o))).join(', ')} also select${older.length === 1 ? 's' : ''}; for workloads selected by both, Istio applies the oldest, ${formatRef(paRef(winner))}`,
        winner: paRef(winner),
        objects: [...older, newer].map(paRef),
      },
    ];
  });
}

// ---- mesh ----

type MeshParts = { server: ServerSide; meshRule: DestinationRule | undefined; kiali: KialiTls; conflicts: MtlsConflict[] };

function meshParts(input: MeshMtlsInput): MeshParts {
  const { rootNamespace } = input;
  const { policy, conflicts } = scopePolicy(input.peerAuthentications, rootNamespace);
  const declared = policy?.spec?.mtls?.mode;
  // istiod runs a mesh policy that leaves the mode UNSET exactly as no mesh policy: PERMISSIVE, and namespaces inherit that
  const server: ServerSide = isSetMode(declared)
    ? { mode: declared, runtimeMode: declared, scope: 'mesh', policy: paRef(policy!), unsetPolicies: [] }
    : { mode: undefined, runtimeMode: 'PERMISSIVE', scope: 'default', unsetPolicies: policy ? [paRef(policy)] : [] };
  const { rule, conflicts: ruleConflicts } = wildcardRule(input.destinationRules, MESH_WIDE_HOST, rootNamespace, rootNamespace);
  for (const pa of inNamespace(input.peerAuthentications, rootNamespace).filter((pa) => !isScopeWide(pa))) {
    conflicts.push({
      code: 'ignored-root-workload-policy',
      message: `${formatRef(paRef(pa))} has a selector but lives in the root namespace ${rootNamespace}: Istio ignores it`,
      objects: [paRef(pa)],
    });
  }
  const kiali = kialiFinalStatus(rule ? tlsModeOf(rule)! : '', server.mode ?? '', input.autoMtls);
  return { server, meshRule: rule, kiali, conflicts: [...conflicts, ...ruleConflicts] };
}

const decidedByOf = (server: ServerSide, client: ClientSide): ObjectRef[] =>
  [...server.unsetPolicies, server.policy, client.source === 'destination-rule' ? client.rule : undefined].filter((r): r is ObjectRef => r !== undefined);

/** The mesh-wide status: the root namespace's selector-less PeerAuthentication and the `*.local` DestinationRule. */
export function meshMtlsStatus(input: MeshMtlsInput): MtlsStatusResult {
  const { server, meshRule, kiali, conflicts } = meshParts(input);
  const client = clientSide(meshRule && { dr: meshRule, scope: 'mesh' }, input.autoMtls, server.runtimeMode);
  const namespaces = [...new Set(input.peerAuthentications.map((pa) => pa.metadata.namespace ?? ''))].filter((ns) => ns !== input.rootNamespace).sort();
  const namespaceOverrides = namespaces.flatMap((ns) => {
    const { policy } = scopePolicy(input.peerAuthentications, ns);
    const declared = policy?.spec?.mtls?.mode;
    return policy && isSetMode(declared) && declared !== server.runtimeMode ? [override('namespace', policy, declared, server.runtimeMode, declared)] : [];
  });
  return {
    scope: 'mesh',
    namespace: input.rootNamespace,
    status: kialiOverallStatus(undefined, kiali, input.autoMtls),
    inherited: false,
    server,
    client,
    autoMtls: input.autoMtls,
    decidedBy: decidedByOf(server, client),
    overrides: namespaceOverrides,
    conflicts: [...conflicts, ...tlsMismatch(server, client, 'the mesh')],
  };
}

/**
 * One namespace's status: its own selector-less PeerAuthentication (else the mesh's), its `*.<ns>.svc.<domain>`
 * DestinationRule (else the mesh's `*.local` one, else auto-mTLS), and the workload and port-level policies in it.
 * The root namespace gets the mesh status, as in Kiali. Conflicts among mesh-level objects are reported by
 * meshMtlsStatus only.
 */
export function namespaceMtlsStatus(input: NamespaceMtlsInput): MtlsStatusResult {
  const { namespace, rootNamespace } = input;
  if (namespace === rootNamespace) return meshMtlsStatus(input);

  const mesh = meshParts(input);
  const { policy, conflicts } = scopePolicy(input.peerAuthentications, namespace);
  const declared = policy?.spec?.mtls?.mode;
  const ownMode = isSetMode(declared);
  const server: ServerSide = ownMode
    ? { mode: declared, runtimeMode: declared, scope: 'namespace', policy: paRef(policy!), unsetPolicies: [] }
    : { ...mesh.server, unsetPolicies: [...(policy ? [paRef(policy)] : []), ...mesh.server.unsetPolicies] };

  const { rule: namespaceRule, conflicts: ruleConflicts } = wildcardRule(input.destinationRules, namespaceWideHost(namespace, input.clusterDomain), namespace, rootNamespace);
  const clientRule = namespaceRule ? { dr: namespaceRule, scope: 'namespace' as const } : mesh.meshRule && { dr: mesh.meshRule, scope: 'mesh' as const };
  const client = clientSide(clientRule, input.autoMtls, server.runtimeMode);

  const kialiNamespace = kialiFinalStatus(namespaceRule ? tlsModeOf(namespaceRule)! : '', ownMode ? declared : '', input.autoMtls);
  const workloadPolicies = inNamespace(input.peerAuthentications, namespace)
    .filter((pa) => !isScopeWide(pa))
    .sort(byAge);

  return {
    scope: 'namespace',
    namespace,
    status: kialiOverallStatus(kialiNamespace, mesh.kiali, input.autoMtls),
    inherited: !ownMode,
    server,
    client,
    autoMtls: input.autoMtls,
    decidedBy: decidedByOf(server, client),
    overrides: workloadOverrides(workloadPolicies, server.runtimeMode),
    conflicts: [...conflicts, ...overlappingWorkloadPolicies(workloadPolicies), ...ruleConflicts, ...tlsMismatch(server, client, `namespace ${namespace}`)],
  };
}

const MODE_LABEL: Record<ServerMtlsMode, string> = { STRICT: 'Strict', PERMISSIVE: 'Permissive', DISABLE: 'Disabled' };

/**
 * The server side in words, e.g. "Strict (inherited from mesh: istio-system/default)", "Permissive (jupyterhub/default)",
 * "Not set (runs Permissive)" or "Not set (jupyterhub/default is UNSET; runs Permissive)".
 */
export function describeServerSide(result: Pick<MtlsStatusResult, 'server' | 'inherited'>): string {
  const { server, inherited } = result;
  if (server.mode && server.policy) return `${MODE_LABEL[server.mode]} (${inherited ? 'inherited from mesh: ' : ''}${formatRef(server.policy)})`;
  const unset = server.unsetPolicies.map((r) => `${formatRef(r)} is UNSET; `).join('');
  return `Not set (${unset}runs ${MODE_LABEL[server.runtimeMode]})`;
}
