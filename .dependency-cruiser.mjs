// The house's layering, checked in `npm test` (npm run lint:layers). The picture, and why, is in
// the README's "Architecture" section:
//
//   commands -> cli -> core -> ports <- sqlite | http client;  server -> core;
//   api shared by server and client;  spin used by core's SQLite side and the CLI.
//
// Arrows only point down; nothing points back up, and no module takes part in a cycle (type-only
// imports included). Two composition roots may name an implementation of the ports: the CLI's
// backend choice and the server's account backends.

const COMPOSITION_ROOTS = ['^src/lib/cli/backend-choice\\.ts$', '^src/lib/server/(account-backends|build-server)\\.ts$', '^src/fast-path/']

// The one SQLite seam (node:sqlite or better-sqlite3) and its migration runner: whatever opens a
// SQLite file goes through it, Spin's own files included.
const SQLITE_SEAM = '^src/lib/sqlite/(sqlite|sqlite-binding|migrations)\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'A cycle makes two modules one: split out what both need.',
      from: {path: '^src/'},
      to: {circular: true},
    },
    {
      name: 'nothing-imports-commands',
      severity: 'error',
      comment: 'Commands are the top: parse flags, call the library, render.',
      from: {path: '^src/', pathNot: '^src/commands/'},
      to: {path: '^src/commands/'},
    },
    {
      name: 'only-commands-and-hooks-import-cli',
      severity: 'error',
      comment: 'The CLI layer (flags, prompts, rendering, user config) is for commands; the library below never speaks in CLI words.',
      from: {path: '^src/lib/', pathNot: ['^src/lib/cli/']},
      to: {path: '^src/lib/cli/'},
    },
    {
      name: 'core-stays-pure',
      severity: 'error',
      comment: 'The core holds the rules over its ports; it knows no implementation, no wire, no CLI, no server.',
      from: {path: '^src/lib/core/'},
      to: {path: '^src/lib/(cli|sqlite|http|server|api|spin|transfer)/|^src/(commands|fast-path|hooks)/'},
    },
    {
      name: 'implementations-only-through-composition',
      severity: 'error',
      comment: 'Only a composition root picks an implementation of the ports; everything else talks to the Backend interface.',
      from: {path: '^src/', pathNot: [...COMPOSITION_ROOTS, '^src/lib/sqlite/', '^src/lib/http/']},
      to: {path: '^src/lib/(sqlite|http)/', pathNot: SQLITE_SEAM, dependencyTypesNot: ['type-only']},
    },
    {
      name: 'implementations-apart',
      severity: 'error',
      comment: 'The SQLite implementation and the HTTP client never reach into each other.',
      from: {path: '^src/lib/sqlite/'},
      to: {path: '^src/lib/(http|server|api)/'},
    },
    {
      name: 'http-client-apart',
      severity: 'error',
      comment: 'The client reaches the server through the contract only.',
      from: {path: '^src/lib/http/'},
      to: {path: '^src/lib/(sqlite|server|core)/'},
    },
    {
      name: 'server-not-through-client',
      severity: 'error',
      comment: 'The server answers through the core and the contract, never through the HTTP client.',
      from: {path: '^src/lib/server/'},
      to: {path: '^src/lib/http/'},
    },
    {
      name: 'api-is-a-contract',
      severity: 'error',
      comment: 'The contract is shared by server and client: it depends on neither, nor on the core\'s internals.',
      from: {path: '^src/lib/api/'},
      to: {path: '^src/lib/(core|sqlite|http|server|spin|cli|deploy|transfer)/|^src/(commands|fast-path|hooks)/'},
    },
    {
      name: 'typebox-through-one-module',
      severity: 'error',
      comment: 'TypeBox is some 270 modules: imported through api/typebox.ts only, which the build bundles, so commands start as fast as before.',
      from: {path: '^src/', pathNot: '^src/lib/api/typebox\\.ts$'},
      to: {path: '^node_modules/@sinclair/typebox/'},
    },
    {
      name: 'spin-at-the-bottom',
      severity: 'error',
      comment: 'What is Spin\'s (manifests, runtime config, the spin up line) depends on nothing of kvcloud\'s above it.',
      from: {path: '^src/lib/spin/'},
      to: {path: '^src/lib/(core|sqlite|http|server|api|deploy|transfer)/|^src/lib/backend\\.ts$'},
    },
  ],
  options: {
    doNotFollow: {path: 'node_modules'},
    includeOnly: ['^src/', '^node_modules/@sinclair/typebox/'],
    tsPreCompilationDeps: true,
    tsConfig: {fileName: 'tsconfig.json'},
    enhancedResolveOptions: {extensions: ['.ts', '.js', '.cts']},
  },
}
