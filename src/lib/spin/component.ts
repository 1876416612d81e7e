/** One component of a Spin app, as far as kvcloud cares: which labels it opens. */
export interface ComponentInfo {
  id: string
  keyValueStores: string[]
  sqliteDatabases: string[]
}
