import type {AppInfo} from '../../backend.js'
import {newTable} from './table.js'

/** `apps list`: one row per app. */
export function renderAppList(apps: AppInfo[]): string {
  const table = newTable(['App', 'Version', 'Revision', 'Labels', 'Deployed'])
  for (const app of apps) {
    table.push([app.name, app.version ?? '-', String(app.revision), app.labels.join(', ') || '-', app.deployedAt])
  }
  return table.toString()
}

/** `apps info`: the app, its components, and each label with its store. */
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
