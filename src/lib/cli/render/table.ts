import Table from 'cli-table3'

/** Every table kvcloud prints: compact, and without colours, so headings stay readable when piped and NO_COLOR needs no special case. */
export function newTable(head: string[]): Table.Table {
  return new Table({head, style: {head: [], border: [], compact: true}})
}
