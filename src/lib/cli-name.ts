/**
 * How the user runs kvcloud, for every command line it prints (hints, errors, prompts, help
 * examples and oclif's usage lines): `spin kvcloud` when it runs as a Spin plugin, `kvcloud`
 * otherwise. Spin sets SPIN_BIN_PATH (its own executable) for every plugin it runs
 * (spin src/commands/external.rs, get_env_vars_map).
 */
export function cliName(env: NodeJS.ProcessEnv = process.env): string {
  return env.SPIN_BIN_PATH ? 'spin kvcloud' : 'kvcloud'
}

/** A kvcloud command line as the user types it: `commandLine('kv list')` is "kvcloud kv list". */
export function commandLine(args: string, env: NodeJS.ProcessEnv = process.env): string {
  return `${cliName(env)} ${args}`
}
