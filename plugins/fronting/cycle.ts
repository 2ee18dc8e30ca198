/**
 * Links form a directed graph of resources. A gateway fronting A for B, B for C and C for A would let a token go
 * round and come back with scopes its first consent never gave: a link that closes such a loop is refused.
 */

/** The resource ids of the loop `source → target → … → source` the new link would close, or undefined. */
export function cycleThrough(
  links: readonly { source_resource_id: string; target_resource_id: string }[],
  source: string,
  target: string,
): string[] | undefined {
  const next = new Map<string, string[]>();
  for (const link of links) next.set(link.source_resource_id, [...(next.get(link.source_resource_id) ?? []), link.target_resource_id]);
  // Breadth first from the new link's target: the shortest way back names the loop an operator must break.
  const cameFrom = new Map<string, string>();
  const queue = [target];
  const seen = new Set(queue);
  while (queue.length) {
    const at = queue.shift()!;
    if (at === source) {
      const back = [source];
      for (let step = source; step !== target; ) back.push((step = cameFrom.get(step)!));
      return [source, ...back.reverse()];
    }
    for (const to of next.get(at) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        cameFrom.set(to, at);
        queue.push(to);
      }
    }
  }
  return undefined;
}
