// subpath: the contents of a volume mount's subPath and subPathExpr, judged before ephemeral-allow-list
// forbids both (validation.go, ValidateVolumeMounts via validateLocalDescendingPath: relative, no `..`
// element; subPathExpr and subPath mutually exclusive). Kubernetes reports the path checks at
// `volumeMounts.subPath` (no index): reproduced, with the mount's index kept in `item` for the order.
import { isJsonObject } from '../kube/types.js'
import { containerCheck, type ContainerFinding } from './container-check.js'
import { listAt, stringAt } from './kube-validation.js'

function descendingPath(path: string, field: string, item: number): ContainerFinding[] {
  const out: ContainerFinding[] = []
  if (path.startsWith('/')) out.push({ field, type: 'Invalid', value: path, detail: 'must be a relative path', item })
  if (path.split('/').includes('..')) out.push({ field, type: 'Invalid', value: path, detail: "must not contain '..'", item })
  return out
}

export const subPath = containerCheck('subpath', (c) => {
  const out: ContainerFinding[] = []
  listAt(c, 'volumeMounts').forEach((m, i) => {
    if (!isJsonObject(m) && m !== null) return
    const sub = stringAt(m, 'subPath')
    const expr = stringAt(m, 'subPathExpr')
    if (sub !== '') out.push(...descendingPath(sub, 'volumeMounts.subPath', i))
    if (expr !== '') {
      if (sub !== '') out.push({ field: `volumeMounts[${i}].subPathExpr`, type: 'Invalid', value: expr, detail: 'subPathExpr and subPath are mutually exclusive', item: i })
      out.push(...descendingPath(expr, 'volumeMounts.subPathExpr', i))
    }
  })
  return out
})
