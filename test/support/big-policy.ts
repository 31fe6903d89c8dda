// A policy of thousands of rules, each with a custom schema (the costly part of a compile), for the
// tests of compiling off the request path. Rule i matches only namespaces team-i-*, so none of them
// judges the tests' reviews; the last rule, no-privileged, applies everywhere and refuses privileged.
export function bigPolicyText(name: string, rules: number): string {
  const each = Array.from({ length: rules }, (_, i) => `  - name: rule-${i}
    match: {namespaces: ["team-${i}-*"], excludeUsers: ["admin-${i}"]}
    images: {allow: ["registry.example.com/tools/*"]}
    securityContext: {allowPrivileged: false, allowedCapabilities: [SYS_PTRACE]}
    schema:
      properties:
        container:
          properties:
            name: {pattern: "^debugger-${i}"}
            image: {type: string, maxLength: 200}
          required: [name]
`).join('')
  return `apiVersion: ephemeral-guard.dev/v1alpha1\nkind: EphemeralContainerPolicy\nmetadata: {name: ${name}}\nspec:\n  rules:\n${each}  - name: no-privileged\n    securityContext: {allowPrivileged: false}\n`
}
