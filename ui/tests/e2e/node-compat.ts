// Vitest's reporter calls Map.groupBy (Node 21+); Debian 12's Node 20 lacks it. Runs once in the main process.
export default function setup(): void {
  const withGroupBy = Map as unknown as { groupBy?: unknown }
  if (typeof withGroupBy.groupBy !== 'function') {
    withGroupBy.groupBy = <K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, V[]> => {
      const groups = new Map<K, V[]>()
      let index = 0
      for (const item of items) {
        const k = key(item, index++)
        const group = groups.get(k)
        if (group) group.push(item)
        else groups.set(k, [item])
      }
      return groups
    }
  }
}
