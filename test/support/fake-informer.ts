// An informer driven by the test, in place of @kubernetes/client-node's (src/cluster/policy-informer.ts
// ObjectInformer): `next` is what each start() delivers, or an error it reports; emit() sends events.
import type { ObjectInformer } from '../../src/cluster/policy-informer.js'
import type { JsonObject } from '../../src/kube/types.js'

export function fakeInformer() {
  const handlers: Record<string, Array<(x?: unknown) => void>> = {}
  const emit = (verb: string, x?: unknown): void => { for (const h of handlers[verb] ?? []) h(x) }
  const state = { starts: 0, stops: 0, next: [] as Array<JsonObject[] | Error> }
  const informer: ObjectInformer = {
    on: ((verb: string, cb: (x?: unknown) => void) => { (handlers[verb] ??= []).push(cb) }) as ObjectInformer['on'],
    start: async () => {
      state.starts++
      emit('connect')
      const outcome = state.next.shift() ?? []
      if (outcome instanceof Error) emit('error', outcome)
      else for (const o of outcome) emit('add', o)
    },
    stop: async () => { state.stops++ },
  }
  return { informer, emit, state }
}

