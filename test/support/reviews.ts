// Real-shaped AdmissionReviews for UPDATE pods/ephemeralcontainers, as the API server sends them after
// `kubectl debug`: the stored pod (defaults applied) as oldObject, the same pod plus the new ephemeral
// containers as object, requestKind/requestResource/requestSubResource set, UpdateOptions in options.
import { randomUUID } from 'node:crypto'
import type { AdmissionReview, JsonObject, JsonValue } from '../../src/kube/types.js'
import { PROFILES } from '../../src/admission/build.js'

export type Container = JsonObject

/** The pod as the API server stores it: a Deployment's pod with defaults and a projected SA token. */
export function storedPod(overrides: { annotations?: Record<string, string>; ephemeralContainers?: Container[] } = {}): JsonObject {
  const spec: JsonObject = {
    volumes: [
      { name: 'data', emptyDir: {} },
      {
        name: 'kube-api-access-x7k2p',
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
          defaultMode: 420,
        },
      },
    ],
    initContainers: [
      {
        name: 'migrate', image: 'registry.example.com/shop/cart:2.4.1', command: ['/cart', 'migrate'], resources: {},
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
      },
    ],
    containers: [
      {
        name: 'cart',
        image: 'registry.example.com/shop/cart:2.4.1',
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'cart-db', key: 'password' } } }],
        resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'kube-api-access-x7k2p', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
        ],
        readinessProbe: { httpGet: { path: '/readyz', port: 8080, scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: { runAsNonRoot: true, runAsUser: 10001, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: 'default',
    serviceAccount: 'default',
    nodeName: 'worker-2',
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  }
  if (overrides.ephemeralContainers) spec['ephemeralContainers'] = overrides.ephemeralContainers
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: 'cart-7d9f8b6c4-q2xkz',
      generateName: 'cart-7d9f8b6c4-',
      namespace: 'shop',
      uid: '3f1c9e62-8a4b-4c1e-9d2f-6b7a8c9d0e1f',
      resourceVersion: '81234',
      creationTimestamp: '2026-11-20T09:14:03Z',
      labels: { app: 'cart', 'pod-template-hash': '7d9f8b6c4' },
      ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'cart-7d9f8b6c4', uid: 'a1b2c3d4-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }],
    },
    spec,
    status: { phase: 'Running', podIP: '10.244.2.17', startTime: '2026-11-20T09:14:03Z', qosClass: 'Burstable' },
  }
}

/** An ephemeral container as kubectl debug sends it, after the API server's defaulting. */
export function debugContainer(overrides: Container = {}): Container {
  return {
    name: 'debugger-k7q2m',
    image: 'busybox:1.36',
    resources: {},
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
    stdin: true,
    tty: true,
    targetContainerName: 'cart',
    ...overrides,
  }
}

export type Profile = 'legacy' | 'general' | 'baseline' | 'restricted' | 'netadmin' | 'sysadmin'

/**
 * The securityContext each `kubectl debug --profile` sets: src/admission/build.ts's table, which the
 * e2e suite checks against what real `kubectl debug` sends.
 */
export const PROFILE_SECURITY_CONTEXT: Readonly<Record<Profile, JsonObject | undefined>> = PROFILES as Record<Profile, JsonObject | undefined>

export const profileContainer = (profile: Profile, overrides: Container = {}): Container => {
  const sc = PROFILE_SECURITY_CONTEXT[profile]
  return debugContainer({ ...(sc ? { securityContext: sc } : {}), ...overrides })
}

export interface ReviewOptions {
  /** Ephemeral containers added by this request (appended after existing ones). */
  added?: Container[]
  /** Ephemeral containers already in the stored pod. */
  existing?: Container[]
  /** Replaces object's ephemeral container list outright (to remove or change existing ones). */
  objectList?: JsonValue[]
  apiVersion?: 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1'
  /** 'legacy' sends the 1.16–1.21 EphemeralContainers object instead of a Pod. */
  shape?: 'Pod' | 'EphemeralContainers'
  annotations?: Record<string, string>
  username?: string
  groups?: string[]
  dryRun?: boolean
}

function legacyObject(list: JsonValue[], pod: JsonObject): JsonObject {
  const meta = pod['metadata'] as JsonObject
  return {
    kind: 'EphemeralContainers',
    apiVersion: 'v1',
    metadata: { name: meta['name']!, namespace: meta['namespace']!, uid: meta['uid']!, resourceVersion: meta['resourceVersion']!, creationTimestamp: meta['creationTimestamp']!, ...(meta['annotations'] ? { annotations: meta['annotations'] } : {}) },
    ephemeralContainers: list,
  }
}

export function admissionReview(o: ReviewOptions = {}): AdmissionReview & { request: NonNullable<AdmissionReview['request']> } {
  const existing = o.existing ?? []
  const list = o.objectList ?? [...existing, ...(o.added ?? [])]
  const oldPod = storedPod({ ...(o.annotations ? { annotations: o.annotations } : {}), ...(existing.length ? { ephemeralContainers: existing } : {}) })
  const newPod = storedPod({ ...(o.annotations ? { annotations: o.annotations } : {}), ephemeralContainers: list as Container[] })
  const legacy = o.shape === 'EphemeralContainers'
  const kind = legacy ? 'EphemeralContainers' : 'Pod'
  return {
    apiVersion: o.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: randomUUID(),
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: 'pods' },
      subResource: 'ephemeralcontainers',
      requestKind: { group: '', version: 'v1', kind },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      requestSubResource: 'ephemeralcontainers',
      name: 'cart-7d9f8b6c4-q2xkz',
      namespace: 'shop',
      operation: 'UPDATE',
      userInfo: { username: o.username ?? 'alice@example.com', uid: 'oidc:7f3a', groups: o.groups ?? ['sre', 'system:authenticated'] },
      object: legacy ? legacyObject(list, newPod) : newPod,
      oldObject: legacy ? legacyObject(existing, oldPod) : oldPod,
      dryRun: o.dryRun ?? false,
      options: { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  }
}
