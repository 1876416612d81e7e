import type {DeployReport} from '../../deploy/report.js'
import {newTable} from './table.js'

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
