// RFC 6902 operations, built with RFC 6901 pointer escaping. The API server keeps nothing but changes
// under the ephemeral container list (pod strategy PrepareForUpdate), so every path a mutation builds
// starts with /spec/ephemeralContainers/<i> or /ephemeralContainers/<i>.
import { isDeepStrictEqual } from 'node:util'
import { isJsonObject, type JsonObject, type JsonValue } from '../../kube/types.js'

export type JsonPatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'replace'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'remove'; readonly path: string }

export const escapePointerToken = (token: string | number): string => String(token).replace(/~/g, '~0').replace(/\//g, '~1')

export const pointer = (base: string, ...tokens: readonly (string | number)[]): string =>
  tokens.reduce<string>((p, t) => `${p}/${escapePointerToken(t)}`, base)


/**
 * The fewest operations (at this granularity) that turn `before` into `after` at `path`: nothing where
 * they are equal; objects member by member; an array that keeps its length or grows, element by element
 * plus appends; anything else replaced whole. Applying the result to `before` gives `after`.
 */
export function diff(path: string, before: JsonValue, after: JsonValue): JsonPatchOperation[] {
  if (isDeepStrictEqual(before, after)) return []
  if (isJsonObject(before) && isJsonObject(after)) {
    const ops: JsonPatchOperation[] = []
    for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) ops.push({ op: 'remove', path: pointer(path, key) })
    for (const key of Object.keys(after)) {
      ops.push(...(Object.hasOwn(before, key) ? diff(pointer(path, key), before[key]!, after[key]!) : [{ op: 'add' as const, path: pointer(path, key), value: after[key]! }]))
    }
    return ops
  }
  if (Array.isArray(before) && Array.isArray(after) && after.length >= before.length) {
    return [
      ...before.flatMap((v, i) => diff(pointer(path, i), v, after[i]!)),
      ...after.slice(before.length).map((value, i): JsonPatchOperation => ({ op: 'add', path: pointer(path, before.length + i), value })),
    ]
  }
  return [{ op: 'replace', path, value: after }]
}
