// Kubernetes wire types used by ephemeral-guard: the AdmissionReview envelope (admission.k8s.io v1 and
// v1beta1, which share one JSON shape) and the parts of a Pod that the webhook reads.
// Every other module imports Kubernetes types from here. Input arrives as untrusted JSON, so object
// fields are typed as what JSON can hold and are narrowed where they are read.

const ADMISSION_API_VERSIONS = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const
export type AdmissionApiVersion = (typeof ADMISSION_API_VERSIONS)[number]

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }
export type JsonObject = { [key: string]: JsonValue }

export interface GroupVersionKind { group: string; version: string; kind: string }
export interface GroupVersionResource { group: string; version: string; resource: string }

export interface UserInfo {
  username?: string
  uid?: string
  groups?: string[]
  extra?: Record<string, string[]>
}

export interface AdmissionRequest {
  uid: string
  kind: GroupVersionKind
  resource: GroupVersionResource
  subResource?: string
  requestKind?: GroupVersionKind
  requestResource?: GroupVersionResource
  requestSubResource?: string
  name?: string
  namespace?: string
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'
  userInfo: UserInfo
  object?: JsonValue
  oldObject?: JsonValue
  dryRun?: boolean
  options?: JsonValue
}

export interface StatusDetailsCause { reason?: string; message?: string; field?: string }

/** metav1.Status as carried in AdmissionResponse.result ("status" in the Go type). */
export interface Status {
  status?: 'Success' | 'Failure'
  message?: string
  reason?: string
  code?: number
  details?: { name?: string; kind?: string; causes?: StatusDetailsCause[] }
}

export interface AdmissionResponse {
  uid: string
  allowed: boolean
  status?: Status
  patch?: string
  patchType?: 'JSONPatch'
  auditAnnotations?: Record<string, string>
  warnings?: string[]
}

export interface AdmissionReview {
  apiVersion: AdmissionApiVersion
  kind: 'AdmissionReview'
  request?: AdmissionRequest
  response?: AdmissionResponse
}

/** The annotation the kubelet sets on the API mirror of a static pod (kubernetes.io/config.mirror). */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror'

/** A JSON object: not null, not an array. */
export const isJsonObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)
