// RFC 6902 operations, built with RFC 6901 pointer escaping. Only add and replace are needed: the API
// server keeps nothing but changes under the ephemeral container list (pod strategy PrepareForUpdate).
import type { JsonValue } from '../kube/types.js'

export type JsonPatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'replace'; readonly path: string; readonly value: JsonValue }

export const escapePointerToken = (token: string | number): string => String(token).replace(/~/g, '~0').replace(/\//g, '~1')

export const pointer = (base: string, ...tokens: readonly (string | number)[]): string =>
  tokens.reduce<string>((p, t) => `${p}/${escapePointerToken(t)}`, base)

/** Sets a member of an object that exists: `replace` if present, `add` if not. */
export const setMember = (path: string, present: boolean, value: JsonValue): JsonPatchOperation =>
  present ? { op: 'replace', path, value } : { op: 'add', path, value }
