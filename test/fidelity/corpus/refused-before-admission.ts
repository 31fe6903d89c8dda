import { category, ec } from './helpers.js'
import type { FidelityCase } from './types.js'

const { cases: built, add } = category('refused-before-admission')

add('name-number', 'name is a number', { added: [{ name: 5, image: 'busybox' }] })
add('image-object', 'image is an object', { added: [{ name: 'dbg', image: { ref: 'busybox' } }] })
add('command-string', 'command is a string', { added: [ec('dbg', { command: 'sh -c true' })] })
add('args-numbers', 'args holds numbers', { added: [ec('dbg', { args: [1, 2] })] })
add('stdin-string', 'stdin is "yes"', { added: [ec('dbg', { stdin: 'yes' })] })
add('tty-number', 'tty is 1', { added: [ec('dbg', { tty: 1 })] })
add('env-object', 'env is an object', { added: [ec('dbg', { env: { A: 'b' } })] })
add('env-value-number', 'an env value is a number', { added: [ec('dbg', { env: [{ name: 'A', value: 1 }] })] })
add('container-port-string', 'containerPort is a string', { added: [ec('dbg', { ports: [{ containerPort: '80' }] })] })
add('container-port-overflow', 'containerPort beyond int32', { added: [ec('dbg', { ports: [{ containerPort: 4294967296 }] })] })
add('container-port-fraction', 'containerPort 80.5', { added: [ec('dbg', { ports: [{ containerPort: 80.5 }] })] })
add('run-as-user-string', 'runAsUser is a string', { added: [ec('dbg', { securityContext: { runAsUser: '1000' } })] })
add('privileged-string', 'privileged is "true"', { added: [ec('dbg', { securityContext: { privileged: 'true' } })] })
add('quantity-unparsable', 'a limit that is no quantity', { added: [ec('dbg', { resources: { limits: { cpu: 'lots' } } })] })
add('quantity-bad-suffix', 'a quantity with an unknown suffix', { added: [ec('dbg', { resources: { requests: { memory: '1GB' } } })] })
add('quantity-empty', 'an empty quantity', { added: [ec('dbg', { resources: { limits: { memory: '' } } })] })
add('quantity-number', 'a quantity as a JSON number (accepted)', { added: [ec('dbg', { resources: { limits: { cpu: 1 } } })] })
add('volume-mounts-string', 'volumeMounts is a string', { added: [ec('dbg', { volumeMounts: 'data:/d' })] })
add('container-string', 'a container that is a string', { added: ['dbg'] })
add('container-null', 'a container that is null', { added: [null] })
add('unknown-field-strict', 'an unknown field under fieldValidation=Strict', { fieldValidation: 'Strict', added: [ec('dbg', { sidecarMode: 'on' })] })
add('unknown-field-warn', 'an unknown field under fieldValidation=Warn (dropped)', { fieldValidation: 'Warn', added: [ec('dbg', { sidecarMode: 'on' })] })
add('unknown-field-ignore', 'an unknown field under fieldValidation=Ignore (dropped)', { fieldValidation: 'Ignore', added: [ec('dbg', { sidecarMode: 'on' })] })
add('unknown-field-default', 'an unknown field, no fieldValidation (dropped)', { added: [ec('dbg', { sidecarMode: 'on' })] })
add('unknown-nested-strict', 'an unknown securityContext field under Strict', { fieldValidation: 'Strict', added: [ec('dbg', { securityContext: { superUser: true } })] })
add('unknown-nested-default', 'an unknown securityContext field, dropped', { added: [ec('dbg', { securityContext: { superUser: true } })] })
add('restart-policy-rules-strict', 'restartPolicyRules under Strict', { fieldValidation: 'Strict', added: [ec('dbg', { restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [1] } }] })] })

/** Category 'refused-before-admission' of the fidelity corpus. */
export const cases: readonly FidelityCase[] = built
