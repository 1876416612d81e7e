import Table from 'cli-table3'
import type {AppInfo} from '../backend.js'
import type {DeployReport} from './report.js'

function newTable(head: string[]): Table.Table {
  // No colours: headings stay readable when piped, and NO_COLOR needs no special case.
  return new Table({head, style: {head: [], border: [], compact: true}})
}

/** The human summary of a deploy (or a dry run) for stdout. */
export function renderDeploySummary(report: DeployReport): string {
  const lines: string[] = []
  lines.push(
    report.dryRun
      ? `Dry run: app "${report.app}" would be deployed as revision ${report.revision}. Nothing was changed.`
      : `App "${report.app}" deployed (revision ${report.revision}).`,
  )
  if (report.labels.length > 0) {
    const table = newTable(['Label', 'Key Value Store', report.dryRun ? 'Would be' : 'Action'])
    for (const entry of report.labels) {
      table.push([entry.label, entry.store, entry.previousStore ? `${entry.action} (was "${entry.previousStore}")` : entry.action])
    }
    lines.push(table.toString())
  } else if (report.unanswered.length === 0) {
    lines.push('The app declares no key value store labels.')
  }
  if (report.unanswered.length > 0) {
    lines.push(`Not linked yet (deploy asks on a terminal, or takes --link kv:LABEL=STORE or --yes): ${report.unanswered.join(', ')}`)
  }
  if (report.unused.length > 0) {
    lines.push('Labels still linked but no longer used by any component (left as they are; deploy --prune unlinks them):')
    const table = newTable(['Label', 'Key Value Store'])
    table.push(...report.unused.map((link) => [link.label, link.store]))
    lines.push(table.toString())
  }
  if (report.pruned && report.pruned.length > 0) {
    lines.push('Unlinked, since no component uses them any more (--prune):')
    const table = newTable(['Label', 'Key Value Store'])
    table.push(...report.pruned.map((link) => [link.label, link.store]))
    lines.push(table.toString())
  }
  if (report.seeded > 0) {
    const pairs = report.seeded === 1 ? '1 pair' : `${report.seeded} pairs`
    lines.push(`${report.dryRun ? 'Would write' : 'Wrote'} ${pairs} into the key value store linked as "default".`)
  }
  return lines.join('\n')
}

export function renderAppList(apps: AppInfo[]): string {
  const table = newTable(['App', 'Version', 'Revision', 'Labels', 'Deployed'])
  for (const app of apps) {
    table.push([app.name, app.version ?? '-', String(app.revision), app.labels.join(', ') || '-', app.deployedAt])
  }
  return table.toString()
}

export function renderAppInfo(app: AppInfo): string {
  const lines = [
    `App:         ${app.name}`,
    `Version:     ${app.version ?? '-'}`,
    ...(app.description ? [`Description: ${app.description}`] : []),
    `Revision:    ${app.revision}`,
    `Deployed:    ${app.deployedAt}`,
    `Created:     ${app.createdAt}`,
    '',
  ]
  const components = newTable(['Component', 'Key Value Stores', 'SQLite Databases'])
  for (const component of app.components) {
    components.push([component.id, component.keyValueStores.join(', ') || '-', component.sqliteDatabases.join(', ') || '-'])
  }
  lines.push(app.components.length > 0 ? components.toString() : 'No components.')
  lines.push('')
  const links = newTable(['Label', 'Key Value Store', 'Status'])
  const linked = new Map(app.links.map((link) => [link.label, link.store]))
  const labels = [...new Set([...app.labels, ...app.links.map((link) => link.label)])].sort()
  for (const label of labels) {
    const store = linked.get(label)
    const status = !app.labels.includes(label) ? 'unused (no component declares it)' : store === undefined ? 'not linked' : 'linked'
    links.push([label, store ?? '-', status])
  }
  lines.push(labels.length > 0 ? links.toString() : 'No key value store labels.')
  return lines.join('\n')
}
